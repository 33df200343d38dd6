// Task definitions: what lm-evaluation-harness keeps in a task YAML, as a JSON data file
// (data/tasks/NAME.json, or any path): source dataset, templates, choices, answer, few-shot
// setup, and for generation tasks the stop strings and answer extractors.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Substitutions, Template } from './template.js';

/** Where the rows come from: a Hub dataset id or a local folder in the same layout, or a file. */
export interface TaskDataset {
  /** Hub id (org/name), a folder (Hub layout: [config/]split-*.ext), or one data file */
  id: string;
  /** the dataset's configuration: the files under this folder of the repo (e.g. ARC-Easy) */
  config?: string;
  split: string;
}

/** One extractor of a generation task's answer (lm-evaluation-harness's regex filter). */
export interface AnswerExtractor {
  /** regex run on the response; the chosen match's first non-empty group (else all of it) is the answer */
  regex: string;
  /** which match: the first (strict) or the last (flexible) */
  take?: 'first' | 'last';
}

export interface GenerationSettings {
  /** generation stops once the response contains one of these (it is cut there) */
  until: string[];
  maxNewTokens: number;
  /** metric name → extractor; each gives an exact_match metric */
  extractors: Record<string, AnswerExtractor>;
  /** regexes removed from both response and reference before comparing */
  ignore: string[];
  ignoreCase: boolean;
}

export interface TaskDefinition {
  name: string;
  kind: 'multiple_choice' | 'generate';
  dataset: TaskDataset;
  /** text before the few-shot examples */
  description: Template;
  /** a row's prompt (multiple choice with choices as continuations; generation) */
  text: Template;
  /** multiple choice: the choices (a list template or one template per choice) */
  choices: Template | Template[] | null;
  /** 'context': each choice is the context and `target` the continuation (WinoGrande) */
  choicesIn: 'continuation' | 'context';
  /** generation: the reference answer; multiple choice with choices in the context: the continuation */
  target: Template | null;
  /** multiple choice: the gold choice, a field holding its index, or a label among `labels` */
  answer: { field: string; labels: string | string[] | null } | null;
  targetDelimiter: string;
  fewshotDelimiter: string;
  /** shots come from `split` (default: the evaluated one); `match`: only rows agreeing on that column */
  fewshot: {
    split: string | null;
    count: number;
    sampler: 'random' | 'first';
    match: string | null;
  };
  generation: GenerationSettings | null;
  substitutions: Substitutions;
  /** folder the definition came from: relative dataset paths resolve against it */
  baseDir: string;
}

/** The shipped definitions. */
export const BUNDLED_TASKS_DIR = fileURLToPath(new URL('../../data/tasks/', import.meta.url));

type Json = Record<string, unknown>;

function field<T>(
  json: Json,
  key: string,
  where: string,
  check: (v: unknown) => boolean,
  want: string,
  fallback?: T,
): T {
  const v = json[key];
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    throw new Error(`${where}: "${key}" is missing; add ${want}`);
  }
  if (!check(v)) throw new Error(`${where}: "${key}" must be ${want}`);
  return v as T;
}

const isText = (v: unknown): boolean => typeof v === 'string';
const isTemplate = (v: unknown): boolean =>
  typeof v === 'string' ||
  (typeof v === 'object' &&
    v !== null &&
    typeof (v as Json).template === 'string' &&
    Array.isArray((v as Json).filters));
const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates a parsed definition; `where` names the file in errors. */
export function parseTaskDefinition(json: unknown, where: string, baseDir: string): TaskDefinition {
  if (!isObject(json)) throw new Error(`${where}: a task definition is a JSON object`);
  const j = json as Json;
  const kind = field<string>(j, 'kind', where, isText, '"multiple_choice" or "generate"');
  if (kind !== 'multiple_choice' && kind !== 'generate') {
    throw new Error(`${where}: "kind" is "${kind}"; use "multiple_choice" or "generate"`);
  }
  const ds = field<Json>(j, 'dataset', where, isObject, 'an object {id, config?, split}');
  const fewshot = field<Json>(j, 'fewshot', where, isObject, 'an object', {});
  const count = field<number>(
    fewshot,
    'count',
    `${where} fewshot`,
    (v) => Number.isInteger(v) && (v as number) >= 0,
    'a whole number',
    0,
  );
  const sampler = field<string>(fewshot, 'sampler', `${where} fewshot`, isText, 'text', 'random');
  if (sampler !== 'random' && sampler !== 'first') {
    throw new Error(`${where}: fewshot.sampler is "${sampler}"; use "random" or "first"`);
  }
  const choicesIn = field<string>(j, 'choicesIn', where, isText, 'text', 'continuation');
  if (choicesIn !== 'continuation' && choicesIn !== 'context') {
    throw new Error(`${where}: "choicesIn" is "${choicesIn}"; use "continuation" or "context"`);
  }
  const def: TaskDefinition = {
    name: field<string>(j, 'name', where, isText, 'the task name'),
    kind,
    dataset: {
      id: field<string>(ds, 'id', `${where} dataset`, isText, 'a Hub id or a path'),
      ...(ds.config !== undefined
        ? { config: field<string>(ds, 'config', `${where} dataset`, isText, 'text') }
        : {}),
      split: field<string>(ds, 'split', `${where} dataset`, isText, 'a split name'),
    },
    description: field<Template>(j, 'description', where, isTemplate, 'a template', ''),
    text: field<Template>(j, 'text', where, isTemplate, 'a template'),
    choices:
      kind === 'multiple_choice'
        ? field<Template | Template[]>(
            j,
            'choices',
            where,
            (v) => isTemplate(v) || (Array.isArray(v) && v.every(isTemplate)),
            'a list template or a list of templates',
          )
        : null,
    choicesIn,
    target:
      kind === 'generate' || choicesIn === 'context'
        ? field<Template>(j, 'target', where, isTemplate, 'a template')
        : null,
    answer: null,
    targetDelimiter: field<string>(j, 'targetDelimiter', where, isText, 'text', ' '),
    fewshotDelimiter: field<string>(j, 'fewshotDelimiter', where, isText, 'text', '\n\n'),
    fewshot: {
      split:
        fewshot.split === undefined
          ? null
          : field<string>(fewshot, 'split', `${where} fewshot`, isText, 'a split name'),
      count,
      sampler,
      match:
        fewshot.match === undefined
          ? null
          : field<string>(fewshot, 'match', `${where} fewshot`, isText, 'a column path'),
    },
    generation: null,
    substitutions: field<Substitutions>(
      j,
      'substitutions',
      where,
      (v) =>
        isObject(v) &&
        Object.values(v as Json).every(
          (list) =>
            Array.isArray(list) &&
            list.every((p) => Array.isArray(p) && p.length === 2 && p.every(isText)),
        ),
      'an object of [pattern, replacement] lists',
      {},
    ),
    baseDir,
  };
  if (kind === 'multiple_choice') {
    const answer = field<Json>(j, 'answer', where, isObject, 'an object {field, labels?}');
    def.answer = {
      field: field<string>(answer, 'field', `${where} answer`, isText, 'a column path'),
      labels: field<string | string[] | null>(
        answer,
        'labels',
        `${where} answer`,
        (v) => isText(v) || (Array.isArray(v) && v.every(isText)),
        'a column path or a list of labels',
        null as unknown as string,
      ),
    };
  } else {
    const g = field<Json>(j, 'generation', where, isObject, 'an object');
    const extractors = field<Record<string, AnswerExtractor>>(
      g,
      'extractors',
      `${where} generation`,
      (v) =>
        isObject(v) &&
        Object.values(v as Json).every(
          (e) =>
            isObject(e) &&
            isText((e as Json).regex) &&
            [undefined, 'first', 'last'].includes((e as Json).take as string | undefined),
        ),
      'an object of {regex, take?}',
    );
    for (const [name, e] of Object.entries(extractors)) {
      try {
        new RegExp(e.regex, 'g');
      } catch (err) {
        throw new Error(`${where}: extractor ${name}: ${(err as Error).message}`);
      }
    }
    def.generation = {
      until: field<string[]>(
        g,
        'until',
        `${where} generation`,
        (v) => Array.isArray(v) && v.every(isText),
        'a list of stop strings',
        [],
      ),
      maxNewTokens: field<number>(
        g,
        'maxNewTokens',
        `${where} generation`,
        (v) => Number.isInteger(v) && (v as number) > 0,
        'a positive whole number',
        256,
      ),
      extractors,
      ignore: field<string[]>(
        g,
        'ignore',
        `${where} generation`,
        (v) => Array.isArray(v) && v.every(isText),
        'a list of regexes',
        [],
      ),
      ignoreCase: field<boolean>(
        g,
        'ignoreCase',
        `${where} generation`,
        (v) => typeof v === 'boolean',
        'true or false',
        true,
      ),
    };
  }
  return def;
}

/**
 * A plain `.jsonl` of {question, choices, answer (index)}: multiple choice on the raw text, the
 * question as context and each choice (after the target delimiter) as continuation, zero-shot.
 */
export function plainMultipleChoiceTask(path: string): TaskDefinition {
  return {
    name: basename(path, extname(path)),
    kind: 'multiple_choice',
    dataset: { id: path, split: 'test' },
    description: '',
    text: '{{question}}',
    choices: '{{choices}}',
    choicesIn: 'continuation',
    target: null,
    answer: { field: 'answer', labels: null },
    targetDelimiter: ' ',
    fewshotDelimiter: '\n\n',
    fewshot: { split: null, count: 0, sampler: 'random', match: null },
    generation: null,
    substitutions: {},
    baseDir: dirname(path),
  };
}

/** A task by shipped name (data/tasks/NAME.json), definition path (.json) or plain .jsonl. */
export async function loadTask(nameOrPath: string): Promise<TaskDefinition> {
  if (nameOrPath.endsWith('.jsonl')) {
    if (!existsSync(nameOrPath))
      throw new Error(`${nameOrPath}: no such task file; check the path`);
    return plainMultipleChoiceTask(resolve(nameOrPath));
  }
  const path = nameOrPath.endsWith('.json')
    ? resolve(nameOrPath)
    : join(BUNDLED_TASKS_DIR, `${nameOrPath}.json`);
  if (!existsSync(path)) {
    throw new Error(
      `task "${nameOrPath}": no such definition (${path}); name a shipped task, a .json definition or a .jsonl of question/choices/answer`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
  }
  return parseTaskDefinition(json, path, dirname(path));
}

/** A dataset id that is a path, made absolute against the definition's folder. */
export function datasetLocation(def: TaskDefinition): string {
  const id = def.dataset.id;
  const local = id.startsWith('.') || isAbsolute(id) || existsSync(join(def.baseDir, id));
  return local && !isAbsolute(id) ? resolve(def.baseDir, id) : id;
}
