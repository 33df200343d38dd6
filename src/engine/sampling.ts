// Choosing the next token from a row of logits when sampling (chat) instead of greedy decoding:
// temperature, then nucleus (top-p) truncation as transformers' TopPLogitsWarper, then a draw
// from the prompt's own seeded stream, so a prompt's text does not depend on its batch.

import type { Rng } from '../util/random.js';
import type { Sampling } from './types.js';

export function checkSampling(s: Sampling): void {
  if (!(s.temperature >= 0 && Number.isFinite(s.temperature))) {
    throw new Error(
      `sampling temperature ${s.temperature} must be a finite number ≥ 0 (0: greedy)`,
    );
  }
  if (!(s.topP > 0 && s.topP <= 1)) {
    throw new Error(`sampling top_p ${s.topP} must be in (0, 1] (1: no truncation)`);
  }
}

/**
 * Probabilities [V] of softmax(logits / temperature) restricted to the nucleus: the most likely
 * tokens whose total probability first reaches topP (at least one), renormalised; 0 elsewhere.
 */
export function nucleusDistribution(
  logits: Float32Array,
  temperature: number,
  topP: number,
): Float64Array {
  const V = logits.length;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < V; i++) if (logits[i] > max) max = logits[i];
  const p = new Float64Array(V);
  let sum = 0;
  for (let i = 0; i < V; i++) sum += p[i] = Math.exp((logits[i] - max) / temperature);
  const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => p[b] - p[a] || a - b);
  let kept = 0;
  let mass = 0;
  while (kept < V && mass < topP) mass += p[order[kept++]] / sum;
  const out = new Float64Array(V);
  for (let k = 0; k < kept; k++) out[order[k]] = p[order[k]] / (mass * sum);
  return out;
}

/** The next token: the argmax at temperature 0, else a draw from the nucleus distribution. */
export function sampleToken(logits: Float32Array, sampling: Sampling, rng: Rng): number {
  if (sampling.temperature === 0) {
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }
  return rng.weighted(nucleusDistribution(logits, sampling.temperature, sampling.topP));
}
