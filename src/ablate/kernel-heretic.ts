// Heretic's layer kernel: per component, weight max_weight at max_weight_position falling
// linearly to min_weight at min_weight_distance layers, zero beyond; one global direction
// interpolated at a float direction_index, or each layer its own direction.

import type { AblationPlan, ComponentEdit, NormalizationMode } from './plan.js';

export interface HereticComponentParams {
  maxWeight: number;
  /** layer index (float) of the peak */
  maxWeightPosition: number;
  /** weight at distance minWeightDistance from the peak */
  minWeight: number;
  /** layers (float, > 0) from the peak to the last edited layer */
  minWeightDistance: number;
}

export interface HereticKernelParams {
  /**
   * Float layer index in [−1, L−1] of one global direction, interpolated between the two
   * nearest directions; null: layer l uses its own direction. Heretic's +1 shift applies:
   * index i means hidden state i+1 (the output of layer i), so −1 is the embedding output.
   */
  directionIndex: number | null;
  attn: HereticComponentParams;
  mlp: HereticComponentParams;
  /**
   * Candor's extension beyond Heretic: weight of an edit of the embedding output (hidden state
   * 0, with the global direction or, per layer, the direction of state 0); 0 or absent: none.
   */
  embeddingWeight?: number;
}

/** The kernel's weight for `layer`, or null where the layer is not edited (Heretic's skip). */
export function hereticLayerWeight(layer: number, p: HereticComponentParams): number | null {
  const distance = Math.abs(layer - p.maxWeightPosition);
  if (distance > p.minWeightDistance) return null;
  return p.maxWeight + (distance / p.minWeightDistance) * (p.minWeight - p.maxWeight);
}

/**
 * normalise(lerp(d[k], d[k+1], f)) with k + f = index + 1: the direction between hidden states
 * k and k+1 of `directions` (L+1 of them, state 0 = embeddings).
 */
export function interpolateDirection(
  directions: readonly Float32Array[],
  index: number,
): Float32Array {
  const L = directions.length - 1;
  if (!(index >= -1 && index <= L - 1)) {
    throw new Error(
      `direction_index ${index} is outside [-1, ${L - 1}] for a model of ${L} layers`,
    );
  }
  const shifted = index + 1;
  const k = Math.floor(shifted);
  const f = shifted - k;
  const a = directions[k];
  const b = directions[Math.min(k + 1, L)];
  const mixed = new Float64Array(a.length);
  let norm = 0;
  for (let c = 0; c < a.length; c++) {
    mixed[c] = a[c] + f * (b[c] - a[c]);
    norm += mixed[c] * mixed[c];
  }
  norm = Math.sqrt(norm);
  return Float32Array.from(mixed, (x) => (norm === 0 ? 0 : x / norm));
}

function checkComponent(name: string, p: HereticComponentParams): void {
  for (const [key, value] of Object.entries(p)) {
    if (!Number.isFinite(value))
      throw new Error(`kernel ${name}.${key} = ${value} is not a number`);
  }
  if (!(p.minWeightDistance > 0)) {
    throw new Error(`kernel ${name}.minWeightDistance = ${p.minWeightDistance} must be > 0`);
  }
}

/** The plan Heretic's kernel describes, over `directions` (L+1 unit vectors, state 0 = embeddings). */
export function hereticPlan(
  directions: readonly Float32Array[],
  params: HereticKernelParams,
  normalization: NormalizationMode,
): AblationPlan {
  checkComponent('attn', params.attn);
  checkComponent('mlp', params.mlp);
  const L = directions.length - 1;
  const global =
    params.directionIndex === null ? null : interpolateDirection(directions, params.directionIndex);
  const edit = (layer: number, p: HereticComponentParams): ComponentEdit | null => {
    const weight = hereticLayerWeight(layer, p);
    // Heretic skips weight 0 too (its MLP max_weight is clamped at 0 to switch the MLP off)
    if (weight === null || weight === 0) return null;
    return { direction: global ?? directions[layer + 1], weight };
  };
  const embeddingWeight = params.embeddingWeight ?? 0;
  return {
    normalization,
    embedding:
      embeddingWeight === 0
        ? null
        : { direction: global ?? directions[0], weight: embeddingWeight },
    layers: Array.from({ length: L }, (_, layer) => ({
      attn: edit(layer, params.attn),
      mlp: edit(layer, params.mlp),
    })),
  };
}
