// One task end to end on an engine: rows → few-shot prompts → token ids (prepared once per
// tokenizer), then per model variant (original, or with a plan applied at run time) the
// per-item scores: acc/acc_norm from continuation log-likelihoods, or exact match of generations.

import type { DataRecord } from '../data/records.js';
import { continuationLogLikelihoods } from '../engine/continuation.js';
import type { Engine } from '../engine/engine.js';
import type { AblationChoice } from '../engine/types.js';
import type { HubOptions } from '../hub/resolve.js';
import type { ChatTokenizer } from '../tokenize/tokenizer.js';
import { loadSplit } from './documents.js';
import { type EncodedPair, encodePair, prefixTokenId } from './encode.js';
import {
  type ChoiceItem,
  choiceItem,
  type FewshotSource,
  fewshotPrefix,
  type GenerationItem,
  generationItem,
} from './requests.js';
import { choiceScores, cutAtStop, exactMatch, extractAnswer } from './score.js';
import type { TaskDefinition } from './task.js';

export interface PrepareOptions {
  /** first rows of the split only; null: all */
  limit: number | null;
  /** few-shot count; null: the task's */
  shots: number | null;
  seed: number;
  hub?: HubOptions;
}

export type PreparedTask =
  | { def: TaskDefinition; kind: 'multiple_choice'; items: ChoiceItem[]; encoded: EncodedPair[][] }
  | { def: TaskDefinition; kind: 'generate'; items: GenerationItem[]; prompts: number[][] };

/** Rows, prompts and token ids of a task (the same for every variant of one model). */
export async function prepareTask(
  def: TaskDefinition,
  tokenizer: ChatTokenizer,
  eosTokenIds: readonly number[],
  opts: PrepareOptions,
): Promise<PreparedTask> {
  const all = await loadSplit(def, def.dataset.split, opts.hub);
  const rows = opts.limit === null ? all : all.slice(0, opts.limit);
  const count = opts.shots ?? def.fewshot.count;
  const shotSplit = def.fewshot.split ?? def.dataset.split;
  const source: FewshotSource =
    count === 0
      ? { rows: [], sameSplit: false }
      : shotSplit === def.dataset.split
        ? { rows: all, sameSplit: true }
        : { rows: await loadSplit(def, shotSplit, opts.hub), sameSplit: false };
  const where = (i: number): string => `task ${def.name}: row ${i + 1}`;
  const prefix = (row: DataRecord, i: number): string =>
    fewshotPrefix(def, row, i, count, source, opts.seed);
  const plain = { addSpecialTokens: false };
  if (def.kind === 'generate') {
    const items = rows.map((row, i) => generationItem(def, row, prefix(row, i), where(i)));
    return {
      def,
      kind: 'generate',
      items,
      prompts: items.map((it) => tokenizer.encode(it.prompt, plain)),
    };
  }
  const prefixToken = prefixTokenId(tokenizer, eosTokenIds);
  const items = rows.map((row, i) => choiceItem(def, row, prefix(row, i), where(i)));
  const encoded = items.map((it) =>
    it.pairs.map((p) => encodePair(tokenizer, p.context, p.continuation, prefixToken)),
  );
  return { def, kind: 'multiple_choice', items, encoded };
}

export interface VariantOptions {
  ablation?: AblationChoice;
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Per-item scores by metric name (acc, acc_norm; or exact_match per extractor). */
export type ItemScores = Record<string, number[]>;

export async function scoreTask(
  engine: Engine,
  tokenizer: ChatTokenizer,
  task: PreparedTask,
  opts: VariantOptions,
): Promise<ItemScores> {
  const forward = {
    ...(opts.ablation ? { ablation: opts.ablation } : {}),
    ...(opts.batchSize ? { batchSize: opts.batchSize } : {}),
  };
  if (task.kind === 'multiple_choice') {
    const lls = await continuationLogLikelihoods(engine, task.encoded.flat(), {
      ...forward,
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    });
    const out: ItemScores = { acc: [], acc_norm: [] };
    let k = 0;
    for (const item of task.items) {
      const itemLls = Array.from(lls.subarray(k, k + item.pairs.length));
      k += item.pairs.length;
      const s = choiceScores(itemLls, item.choices, item.gold);
      out.acc.push(s.acc);
      out.acc_norm.push(s.acc_norm);
    }
    return out;
  }
  const g = task.def.generation as NonNullable<TaskDefinition['generation']>;
  const decoded = (ids: readonly number[]): string =>
    tokenizer.decode(ids, { skipSpecialTokens: true });
  let finished = 0;
  const result = await engine.generate(task.prompts, {
    ...forward,
    maxNewTokens: g.maxNewTokens,
    shouldStop: (_prompt, generated) => {
      const text = decoded(generated);
      const stop = g.until.some((s) => text.includes(s));
      if (stop) opts.onProgress?.(++finished, task.prompts.length);
      return stop;
    },
  });
  const out: ItemScores = {};
  for (const name of Object.keys(g.extractors)) out[`exact_match,${name}`] = [];
  for (const [i, tokens] of result.tokens.entries()) {
    const response = cutAtStop(decoded(tokens), g.until);
    for (const [name, extractor] of Object.entries(g.extractors)) {
      const answer = extractAnswer(response, extractor);
      out[`exact_match,${name}`].push(exactMatch(answer, task.items[i].reference, g));
    }
  }
  opts.onProgress?.(task.prompts.length, task.prompts.length);
  return out;
}
