// Seeded test plans: random unit directions and weights for every layer's writers and, on
// request, the embedding. Shared by the export tests.

import type { AblationPlan, ComponentEdit, NormalizationMode } from '../../src/ablate/plan.js';

/** mulberry32 in [-1, 1) */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

export function randomPlan(
  layers: number,
  hiddenSize: number,
  normalization: NormalizationMode,
  options: { seed: number; embedding?: boolean; weight?: number; skipMlpOfLayer0?: boolean },
): AblationPlan {
  const rand = random(options.seed);
  const edit = (): ComponentEdit => {
    const v = Float64Array.from({ length: hiddenSize }, () => rand());
    const n = Math.hypot(...v);
    return {
      direction: Float32Array.from(v, (x) => x / n),
      weight: options.weight ?? 0.5 + rand() * 0.5,
    };
  };
  return {
    normalization,
    embedding: options.embedding ? edit() : null,
    layers: Array.from({ length: layers }, (_, l) => ({
      attn: edit(),
      mlp: options.skipMlpOfLayer0 && l === 0 ? null : edit(),
    })),
  };
}
