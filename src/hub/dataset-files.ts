// Which data files of a dataset repo hold a split, by the Hub's naming convention: the split
// keyword (or a synonym: training, valid/dev, testing/eval) as a whole part of a file or folder
// name, e.g. data/train-00000-of-00001.parquet, test.csv, validation/part-0.jsonl. A repo
// whose files name no split at all is one train split, as in `datasets`.

import { DATA_FILE_EXTENSIONS } from '../data/records.js';

const SYNONYMS: Record<string, readonly string[]> = {
  train: ['train', 'training'],
  validation: ['validation', 'valid', 'val', 'dev'],
  test: ['test', 'testing', 'eval', 'evaluation'],
};

// Repo metadata that shares a data extension (LICENSE.txt, requirements.txt) is not data.
const NOT_DATA = /(^|\/)(\.|readme|licen[cs]e|requirements|citation|notice)[^/]*$/i;

function isDataFile(path: string): boolean {
  const lower = path.toLowerCase();
  return DATA_FILE_EXTENSIONS.some((ext) => lower.endsWith(ext)) && !NOT_DATA.test(path);
}

function namesSplit(path: string, keywords: readonly string[]): boolean {
  const parts = path.toLowerCase().split('/');
  parts[parts.length - 1] = parts[parts.length - 1].replace(/\.[^.]+$/, '');
  return parts.some((part) =>
    keywords.some((k) =>
      new RegExp(`(^|[-._ 0-9])${k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[-._ 0-9])`).test(
        part,
      ),
    ),
  );
}

/** Data files of `split` among a repo's paths, sorted (shard order). */
export function dataFilesForSplit(paths: readonly string[], split: string): string[] {
  const data = paths.filter(isDataFile).sort();
  const keywords = SYNONYMS[split] ?? [split];
  const matched = data.filter((p) => namesSplit(p, keywords));
  if (matched.length > 0) return matched;
  const anySplit = Object.values(SYNONYMS).flat();
  if (split === 'train' && !data.some((p) => namesSplit(p, anySplit))) return data;
  return [];
}

/** Split names the paths offer, for error messages. */
export function splitsOffered(paths: readonly string[]): string[] {
  const data = paths.filter(isDataFile);
  const found = Object.entries(SYNONYMS)
    .filter(([, keywords]) => data.some((p) => namesSplit(p, keywords)))
    .map(([name]) => name);
  return found.length === 0 && data.length > 0 ? ['train'] : found;
}
