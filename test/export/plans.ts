// Seeded test plans: random unit directions and weights for every layer's writers and, on
// request, the embedding. Shared by the export tests.

import type { AblationPlan, ComponentEdit, NormalizationMode } from '../../src/ablate/plan.js';
import { random } from '../engine/random-model.js';

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
