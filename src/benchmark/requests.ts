// Rows → scoring requests as lm-evaluation-harness builds them: the few-shot context
// (description, then shots "text + delimiter + target" joined by the few-shot delimiter, then the
// row's text), and per choice a (context, continuation) text pair, or one generation prompt.

import type { DataRecord } from '../data/records.js';
import { Rng } from '../util/random.js';
import type { TaskDefinition } from './task.js';
import { renderList, renderText } from './template.js';

export interface ChoiceItem {
  /** per choice: context text and continuation text (delimiter included) */
  pairs: { context: string; continuation: string }[];
  /** the choices' own text (acc_norm divides by its length) */
  choices: string[];
  gold: number;
}

export interface GenerationItem {
  prompt: string;
  /** the reference answer text */
  reference: string;
}

/** Index of the gold choice of a row. */
function goldIndex(def: TaskDefinition, row: DataRecord, n: number, where: string): number {
  const answer = def.answer as NonNullable<TaskDefinition['answer']>;
  const value = renderText(`{{${answer.field}}}`, row, def.substitutions, where);
  let index: number;
  if (answer.labels === null) index = Number(value);
  else {
    const labels = Array.isArray(answer.labels)
      ? answer.labels
      : renderList(`{{${answer.labels}}}`, row, def.substitutions, where);
    index = labels.indexOf(value);
  }
  if (!(Number.isInteger(index) && index >= 0 && index < n)) {
    throw new Error(
      `${where}: answer "${value}" names none of the ${n} choices; check the task's answer field and labels`,
    );
  }
  return index;
}

/** Choices of a row and, for shots, the text that answers it. */
function choiceParts(def: TaskDefinition, row: DataRecord, where: string) {
  const choices = renderList(
    def.choices as NonNullable<TaskDefinition['choices']>,
    row,
    def.substitutions,
    where,
  );
  const gold = goldIndex(def, row, choices.length, where);
  if (def.choicesIn === 'context') {
    const target = renderText(
      def.target as NonNullable<TaskDefinition['target']>,
      row,
      def.substitutions,
      where,
    );
    return { choices, gold, shot: `${choices[gold]}${def.targetDelimiter}${target}`, target };
  }
  const text = renderText(def.text, row, def.substitutions, where);
  return { choices, gold, shot: `${text}${def.targetDelimiter}${choices[gold]}`, text };
}

/** A solved example as shown in the few-shot context. */
function shotText(def: TaskDefinition, row: DataRecord, where: string): string {
  if (def.kind === 'multiple_choice') return choiceParts(def, row, where).shot;
  const text = renderText(def.text, row, def.substitutions, where);
  const target = renderText(
    def.target as NonNullable<TaskDefinition['target']>,
    row,
    def.substitutions,
    where,
  );
  return `${text}${def.targetDelimiter}${target}`;
}

export interface FewshotSource {
  /** rows the shots are drawn from */
  rows: readonly DataRecord[];
  /** true when they are the evaluated split itself: a row is never its own shot */
  sameSplit: boolean;
}

/**
 * The description and `count` shots for row `index`: the first rows ('first'), or rows drawn
 * without replacement by a generator seeded with (seed, index), so each row's shots are fixed
 * whatever subset of rows is evaluated.
 */
export function fewshotPrefix(
  def: TaskDefinition,
  row: DataRecord,
  index: number,
  count: number,
  source: FewshotSource,
  seed: number,
): string {
  const description = renderText(def.description, row, def.substitutions, `task ${def.name}`);
  if (count === 0) return description;
  const match = def.fewshot.match;
  const key = (r: DataRecord): string =>
    renderText(`{{${match}}}`, r, def.substitutions, `task ${def.name}: fewshot.match`);
  const own = match === null ? '' : key(row);
  const pool = source.rows
    .map((_, i) => i)
    .filter((i) => !(source.sameSplit && i === index))
    .filter((i) => match === null || key(source.rows[i]) === own);
  if (pool.length < count) {
    throw new Error(
      `task ${def.name}: ${count} shots asked, but the few-shot split has ${pool.length} rows; lower --shots`,
    );
  }
  let picked: number[];
  if (def.fewshot.sampler === 'first') picked = pool.slice(0, count);
  else {
    const rng = Rng.forStream(seed, index);
    for (let i = 0; i < count; i++) {
      const j = i + rng.int(pool.length - i);
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    picked = pool.slice(0, count);
  }
  const shots = picked.map((i) =>
    shotText(def, source.rows[i], `task ${def.name}: shot row ${i + 1}`),
  );
  return description + shots.join(def.fewshotDelimiter) + def.fewshotDelimiter;
}

/** The (context, continuation) pairs of a multiple-choice row, after `prefix`. */
export function choiceItem(
  def: TaskDefinition,
  row: DataRecord,
  prefix: string,
  where: string,
): ChoiceItem {
  const parts = choiceParts(def, row, where);
  const pairs =
    def.choicesIn === 'context'
      ? parts.choices.map((c) => ({
          context: prefix + c,
          continuation: def.targetDelimiter + (parts.target as string),
        }))
      : parts.choices.map((c) => ({
          context: prefix + (parts.text as string),
          continuation: def.targetDelimiter + c,
        }));
  return { pairs, choices: parts.choices, gold: parts.gold };
}

/** The prompt and reference of a generation row, after `prefix`. */
export function generationItem(
  def: TaskDefinition,
  row: DataRecord,
  prefix: string,
  where: string,
): GenerationItem {
  return {
    prompt: prefix + renderText(def.text, row, def.substitutions, where),
    reference: renderText(
      def.target as NonNullable<TaskDefinition['target']>,
      row,
      def.substitutions,
      where,
    ),
  };
}
