// Refusal directions from residuals: per hidden state (0 = embedding output, l = output of layer
// l), the normalised difference between the harmful and the harmless mean residual at the
// position that predicts the first response token. Residuals stream through in batches, so
// memory holds running sums plus a bounded sample (for diagnostics), never every prompt.

import { winsorize } from './winsorize.js';

/** `plain`: normalise(mean harmful − mean harmless). `projected`: its part orthogonal to the harmless mean. */
export type DirectionMethod = 'plain' | 'projected';

/** Where residuals come from: the engine's `residuals(prompts)` (L+1 arrays of S×C). */
export interface ResidualSource {
  residuals(prompts: number[][]): Promise<Float32Array[]>;
}

export interface ResidualStatsOptions {
  /** quantile for per-prompt winsorisation (see winsorize.ts); 0 turns it off */
  winsorize: number;
  /** residuals of the first `sampleSize` prompts are kept for the diagnostics */
  sampleSize: number;
}

/** Mean residual per hidden state of one prompt set, and the kept sample. */
export interface ResidualStats {
  count: number;
  /** [L+1] × C */
  means: Float64Array[];
  /** [L+1] × (kept prompts) × C, after winsorisation */
  sample: Float32Array[][];
}

/** Running sums of residuals per hidden state; add batches as the engine produces them. */
export class ResidualAccumulator {
  private readonly sums: Float64Array[];
  private readonly sample: Float32Array[][];
  private count = 0;

  constructor(
    readonly states: number,
    readonly hiddenSize: number,
    private readonly options: ResidualStatsOptions,
  ) {
    this.sums = Array.from({ length: states }, () => new Float64Array(hiddenSize));
    this.sample = Array.from({ length: states }, () => []);
  }

  /** batch[state] holds S rows of C values (one row per prompt, same order in every state) */
  add(batch: Float32Array[]): void {
    const C = this.hiddenSize;
    if (batch.length !== this.states) {
      throw new Error(`residual batch has ${batch.length} hidden states, expected ${this.states}`);
    }
    const S = batch[0].length / C;
    if (!Number.isInteger(S)) {
      throw new Error(`residual batch of ${batch[0].length} values is not rows of C=${C}`);
    }
    const keep = Math.max(0, Math.min(S, this.options.sampleSize - this.count));
    for (let state = 0; state < this.states; state++) {
      if (batch[state].length !== S * C) {
        throw new Error(
          `hidden state ${state} has ${batch[state].length} values, expected ${S * C}`,
        );
      }
      const sum = this.sums[state];
      for (let s = 0; s < S; s++) {
        let row = batch[state].subarray(s * C, (s + 1) * C);
        if (this.options.winsorize > 0) row = winsorize(row, this.options.winsorize);
        for (let c = 0; c < C; c++) sum[c] += row[c];
        if (s < keep) this.sample[state].push(Float32Array.from(row));
      }
    }
    this.count += S;
  }

  finish(): ResidualStats {
    if (this.count === 0) throw new Error('no residuals were collected (empty prompt set?)');
    const means = this.sums.map((sum) => sum.map((x) => x / this.count));
    return { count: this.count, means, sample: this.sample };
  }
}

/** Run prompts through `source` in batches of `batchSize` and accumulate their residual stats. */
export async function collectResidualStats(
  source: ResidualSource,
  prompts: number[][],
  states: number,
  hiddenSize: number,
  options: ResidualStatsOptions & {
    batchSize: number;
    onBatch?: (done: number, total: number) => void;
  },
): Promise<ResidualStats> {
  const accumulator = new ResidualAccumulator(states, hiddenSize, options);
  for (let start = 0; start < prompts.length; start += options.batchSize) {
    const batch = prompts.slice(start, start + options.batchSize);
    accumulator.add(await source.residuals(batch));
    options.onBatch?.(start + batch.length, prompts.length);
  }
  return accumulator.finish();
}

/** x / ‖x‖ as f32; the zero vector stays zero (as torch's F.normalize). */
export function normalize(x: ArrayLike<number>): Float32Array {
  let norm = 0;
  for (let i = 0; i < x.length; i++) norm += x[i] * x[i];
  norm = Math.sqrt(norm);
  const out = new Float32Array(x.length);
  if (norm === 0) return out;
  for (let i = 0; i < x.length; i++) out[i] = x[i] / norm;
  return out;
}

/** Unit refusal direction per hidden state, from the two sets' means. */
export function refusalDirections(
  harmfulMeans: readonly Float64Array[],
  harmlessMeans: readonly Float64Array[],
  method: DirectionMethod,
): Float32Array[] {
  if (harmfulMeans.length !== harmlessMeans.length) {
    throw new Error(
      `harmful means cover ${harmfulMeans.length} hidden states, harmless ${harmlessMeans.length}`,
    );
  }
  return harmfulMeans.map((b, state) => {
    const g = harmlessMeans[state];
    const r = normalize(b.map((x, c) => x - g[c]));
    if (method === 'plain') return r;
    // Projected abliteration: keep only the part of r orthogonal to the harmless mean, so the
    // edit leaves the "normal answer" direction alone.
    const gHat = normalize(g);
    let along = 0;
    for (let c = 0; c < r.length; c++) along += r[c] * gHat[c];
    return normalize(Array.from(r, (x, c) => x - along * gHat[c]));
  });
}
