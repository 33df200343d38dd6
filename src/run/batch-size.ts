// Picks the batch size by measurement, as Heretic does: generate a few tokens for batches of
// 1, 2, 4, … prompts and keep the size with the highest throughput. A size that fails (out of
// memory) ends the search.

import type { Engine } from '../engine/engine.js';

export interface BatchSizeResult {
  batchSize: number;
  /** tokens per second measured for each size tried */
  measured: { batchSize: number; tokensPerSecond: number }[];
}

export async function benchmarkBatchSize(
  engine: Engine,
  prompts: number[][],
  maxBatchSize: number,
  tokens = 8,
): Promise<BatchSizeResult> {
  const measured: BatchSizeResult['measured'] = [];
  const limit = Math.max(1, Math.min(maxBatchSize, prompts.length));
  // a warm-up run, so pipeline compilation and first-touch costs do not count against size 1
  await engine.generate(prompts.slice(0, 1), { maxNewTokens: 2, batchSize: 1, eosTokenIds: [] });
  for (let size = 1; ; size = Math.min(size * 2, limit)) {
    const batch = Array.from({ length: size }, (_, i) => prompts[i % prompts.length]);
    const started = performance.now();
    try {
      await engine.generate(batch, { maxNewTokens: tokens, batchSize: size, eosTokenIds: [] });
    } catch (err) {
      if (measured.length === 0) throw err;
      break;
    }
    const seconds = (performance.now() - started) / 1000;
    measured.push({ batchSize: size, tokensPerSecond: (size * tokens) / seconds });
    if (size === limit) break;
  }
  const best = measured.reduce((a, b) => (b.tokensPerSecond > a.tokensPerSecond ? b : a));
  return { batchSize: best.batchSize, measured };
}
