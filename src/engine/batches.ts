// How work is cut to bound memory: prompts into batches (sequences that share one KV cache) and a
// batch's prompt tokens into prefill steps (rows that share one set of activations).

import type { ModelSpec } from '../model/spec.js';
import { KvCache } from './kv-cache.js';

/** bytes of KV cache a default batch may take */
const KV_CACHE_BUDGET = 2 * 1024 ** 3;
/** Heretic's largest batch; more gives little on one GPU */
const MAX_DEFAULT_BATCH = 128;
/** bytes of per-row activations one prefill step may take */
const ACTIVATION_BUDGET = 256 * 1024 ** 2;

/** Default batch size: as many sequences of `positions` tokens as fit the KV cache budget. */
export function defaultBatchSize(spec: ModelSpec, positions: number): number {
  const perSequence = KvCache.bytesPerSequence(spec, Math.max(1, positions));
  return Math.max(1, Math.min(MAX_DEFAULT_BATCH, Math.floor(KV_CACHE_BUDGET / perSequence)));
}

/** Most token rows per forward step, so that the widest activations stay within budget. */
export function maxRowsPerStep(spec: ModelSpec): number {
  const qkv = (spec.numHeads + 2 * spec.numKvHeads) * spec.headDim;
  const bytesPerRow = 4 * (4 * spec.hiddenSize + qkv + 3 * spec.intermediateSize);
  return Math.max(16, Math.min(4096, Math.floor(ACTIVATION_BUDGET / bytesPerRow)));
}

/**
 * Prompt indices in batches of at most `size`, longest prompts first so that the prompts of one
 * batch have similar lengths (the cache is sized by the longest).
 */
export function splitBatches(lengths: readonly number[], size: number): number[][] {
  if (!(Number.isInteger(size) && size >= 1)) {
    throw new Error(`batch size ${size} is not a positive integer; use e.g. --batch-size 16`);
  }
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[b] - lengths[a] || a - b);
  const batches: number[][] = [];
  for (let i = 0; i < order.length; i += size) batches.push(order.slice(i, i + size));
  return batches;
}

/** One prefill step: rows of several sequences, and which of them end a prompt. */
export interface PrefillStep {
  ids: Int32Array;
  seq: Int32Array;
  pos: Int32Array;
  /** rows holding a prompt's last token (the ones that predict the first response token) */
  lastRows: Int32Array;
  /** batch sequence of each of lastRows */
  lastSeqs: number[];
}

/** All prompt tokens of a batch (sequence s = prompts[s]), in steps of at most maxRows rows. */
export function prefillSteps(
  prompts: readonly (readonly number[])[],
  maxRows: number,
): PrefillStep[] {
  const total = prompts.reduce((n, p) => n + p.length, 0);
  const steps: PrefillStep[] = [];
  let s = 0;
  let p = 0;
  for (let start = 0; start < total; start += maxRows) {
    const T = Math.min(maxRows, total - start);
    const step: PrefillStep = {
      ids: new Int32Array(T),
      seq: new Int32Array(T),
      pos: new Int32Array(T),
      lastRows: new Int32Array(0),
      lastSeqs: [],
    };
    const lastRows: number[] = [];
    for (let t = 0; t < T; t++) {
      while (p >= prompts[s].length) {
        s++;
        p = 0;
      }
      step.ids[t] = prompts[s][p];
      step.seq[t] = s;
      step.pos[t] = p;
      if (p === prompts[s].length - 1) {
        lastRows.push(t);
        step.lastSeqs.push(s);
      }
      p++;
    }
    step.lastRows = Int32Array.from(lastRows);
    steps.push(step);
  }
  return steps;
}
