// Prompt sets: a spec string or object → prompts (with `topic` and `facts` where the source has
// them), from a bundled set, a local file or dataset folder, or a Hugging Face dataset.
//
// Spec string: SOURCE[:SPLIT][:COLUMN]
//   SOURCE  bundled name (censored-topics, harmless → data/prompts/<name>/<split>.jsonl),
//           a local .txt (one prompt a line) / .jsonl / .json / .csv / .tsv / .parquet file,
//           a local folder laid out like a dataset repo, or a Hub dataset id org/name[@revision]
//   SPLIT   name and optional slice as in `datasets`: train, train[:400], test[10:20],
//           train[-50:], train[:10%], train[:50]+test[:50]; a plain file takes only a slice: [:100]
//   COLUMN  field holding the prompt; default "prompt" (.txt files have none)
// e.g. mlabonne/harmful_behaviors:train[:400]:text · censored-topics:eval · my.txt:[:100]
//      questions.csv::question (no slice, column "question")

import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dataFilesForSplit, splitsOffered } from '../hub/dataset-files.js';
import { HUB_ID, type HubOptions, resolveDataset } from '../hub/resolve.js';
import { type DataRecord, readRecords } from './records.js';
import { applySlice, parseSplit, type SplitSlice } from './split.js';

export interface Prompt {
  text: string;
  topic?: string;
  /** reference facts a full answer contains (for fact recall) */
  facts?: string[];
}

export interface PromptSetSpec {
  /** bundled name, local file or folder, or Hub dataset id org/name[@revision] */
  source: string;
  /** split and slice, e.g. train[:400]; a plain file takes only a slice, e.g. [:100] */
  split?: string;
  /** field or column holding the prompt; default "prompt"; ignored for .txt */
  column?: string;
  /** text put before every prompt, joined by a space (as Heretic does) */
  prefix?: string;
  /** text put after every prompt, joined by a space */
  suffix?: string;
}

/** Folder of the bundled sets, from src/data or dist/data alike. */
export const BUNDLED_PROMPTS_DIR = fileURLToPath(new URL('../../data/prompts/', import.meta.url));

const DEFAULT_COLUMN = 'prompt';
const DATA_FILE = /\.(txt|jsonl|json|csv|tsv|parquet)$/i;

function kindOf(path: string): 'file' | 'folder' | null {
  try {
    return statSync(path).isDirectory() ? 'folder' : 'file';
  } catch {
    return null;
  }
}

/** Splits on ':' outside brackets, so slices like [10:20] stay whole. */
function specParts(spec: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of spec) {
    if (c === '[') depth++;
    if (c === ']') depth--;
    if (c === ':' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

export function parsePromptSetSpec(spec: string): PromptSetSpec {
  const parts = specParts(spec);
  // The longest leading run of parts that names an existing path is the source, so local
  // paths with ':' in them (C:\...) still work.
  let take = 1;
  for (let n = parts.length; n >= 1; n--) {
    if (kindOf(parts.slice(0, n).join(':')) !== null) {
      take = n;
      break;
    }
  }
  const rest = parts.slice(take);
  if (rest.length > 2) {
    throw new Error(
      `prompt set "${spec}": expected SOURCE[:SPLIT][:COLUMN], e.g. mlabonne/harmful_behaviors:train[:400]:text`,
    );
  }
  const [split, column] = rest;
  return {
    source: parts.slice(0, take).join(':'),
    ...(split ? { split } : {}),
    ...(column ? { column } : {}),
  };
}

function bundledNames(): string[] {
  try {
    return readdirSync(BUNDLED_PROMPTS_DIR).filter(
      (n) => kindOf(join(BUNDLED_PROMPTS_DIR, n)) === 'folder',
    );
  } catch {
    return [];
  }
}

function needName(spec: PromptSetSpec, slice: SplitSlice, offered: readonly string[]): string {
  if (slice.name === '') {
    throw new Error(
      `prompt set "${spec.source}": name a split (${offered.join(', ') || 'train'}), e.g. ${spec.source}:${offered[0] ?? 'train'}${spec.split ?? ''}`,
    );
  }
  return slice.name;
}

function listFolder(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) => {
    const path = prefix === '' ? e.name : `${prefix}/${e.name}`;
    return e.isDirectory() ? listFolder(dir, path) : [path];
  });
}

/** Files holding one split part, with a name for errors. */
async function splitFiles(
  spec: PromptSetSpec,
  slice: SplitSlice,
  hub: HubOptions,
): Promise<string[]> {
  const kind = kindOf(spec.source);
  if (kind === 'file') {
    if (slice.name !== '') {
      throw new Error(
        `prompt set "${spec.source}": a file has no splits; give only a slice, e.g. ${spec.source}:[${slice.from ?? ''}:${slice.to ?? ''}]`,
      );
    }
    return [spec.source];
  }
  if (kind === 'folder') {
    const paths = listFolder(spec.source);
    const offered = splitsOffered(paths);
    const files = dataFilesForSplit(paths, needName(spec, slice, offered));
    if (files.length === 0) {
      throw new Error(
        `prompt set "${spec.source}": no data files for split "${slice.name}" (it has: ${offered.join(', ') || 'none'})`,
      );
    }
    return files.map((f) => join(spec.source, f));
  }
  const bundled = bundledNames();
  if (bundled.includes(spec.source)) {
    const dir = join(BUNDLED_PROMPTS_DIR, spec.source);
    const offered = readdirSync(dir)
      .filter((f) => f.endsWith('.jsonl'))
      .map((f) => f.slice(0, -'.jsonl'.length));
    const name = needName(spec, slice, offered);
    if (!offered.includes(name)) {
      throw new Error(
        `prompt set "${spec.source}": no split "${name}"; bundled splits are ${offered.join(', ')}`,
      );
    }
    return [join(dir, `${name}.jsonl`)];
  }
  if (DATA_FILE.test(spec.source))
    throw new Error(`prompt set "${spec.source}": no such file; check the path`);
  const [id, revision] = spec.source.split('@');
  if (HUB_ID.test(id) && id.includes('/')) {
    const ds = await resolveDataset(id, needName(spec, slice, ['train', 'test']), {
      ...hub,
      ...(revision ? { revision } : {}),
    });
    return ds.splitFiles;
  }
  throw new Error(
    `prompt set "${spec.source}": not a file or folder, a bundled set (${bundled.join(', ')}) or a Hub dataset id (org/name)`,
  );
}

function toPrompt(record: DataRecord, column: string, where: string, row: number): Prompt {
  const text = record[column];
  if (typeof text !== 'string') {
    if (text === undefined) {
      const columns = Object.keys(record).join(', ');
      throw new Error(
        `${where}: no column "${column}" (it has: ${columns}); add it to the spec, e.g. SOURCE:SPLIT:COLUMN`,
      );
    }
    throw new Error(`${where}: row ${row + 1}: "${column}" is ${JSON.stringify(text)}, not text`);
  }
  const prompt: Prompt = { text };
  if (typeof record.topic === 'string') prompt.topic = record.topic;
  if (Array.isArray(record.facts) && record.facts.every((f) => typeof f === 'string'))
    prompt.facts = record.facts as string[];
  return prompt;
}

/** Loads a prompt set; Hub datasets go through the cache (see src/hub/resolve.ts). */
export async function loadPrompts(
  spec: string | PromptSetSpec,
  hub: HubOptions = {},
): Promise<Prompt[]> {
  const s = typeof spec === 'string' ? parsePromptSetSpec(spec) : spec;
  const prompts: Prompt[] = [];
  for (const slice of parseSplit(s.split ?? '')) {
    const rows: Prompt[] = [];
    for (const file of await splitFiles(s, slice, hub)) {
      const column = extname(file).toLowerCase() === '.txt' ? 'text' : (s.column ?? DEFAULT_COLUMN);
      const records = await readRecords(file, [column, 'topic', 'facts']);
      for (const [i, r] of records.entries()) rows.push(toPrompt(r, column, file, i));
    }
    prompts.push(...applySlice(rows, slice));
  }
  if (prompts.length === 0)
    throw new Error(
      `prompt set "${s.source}${s.split ? `:${s.split}` : ''}": no prompts; check the slice`,
    );
  const prefix = s.prefix ? `${s.prefix} ` : '';
  const suffix = s.suffix ? ` ${s.suffix}` : '';
  return prompts.map((p) => ({ ...p, text: `${prefix}${p.text}${suffix}` }));
}
