// Uncensored1776's layer kernel: a Gaussian over relative depth,
// k(l) = strength · exp(−(l/(L−1) − peak)² / (2·width²)), applied to the attention and MLP
// writers of every layer with that layer's own direction. Method `standard` uses the plain
// difference-of-means directions, `projected` the ones orthogonal to the harmless mean.

import { refusalDirections } from './directions.js';
import type { AblationPlan, NormalizationMode } from './plan.js';

export interface GaussianShape {
  /** relative depth of the peak, 0 = first layer, 1 = last */
  peak: number;
  /** standard deviation in relative depth (> 0) */
  width: number;
  strength: number;
}

export type GaussianPreset = 'conservative' | 'standard' | 'aggressive';

export const GAUSSIAN_PRESETS: Readonly<Record<GaussianPreset, GaussianShape>> = {
  conservative: { peak: 0.55, width: 0.1, strength: 0.5 },
  standard: { peak: 0.6, width: 0.15, strength: 0.7 },
  aggressive: { peak: 0.6, width: 0.2, strength: 1.0 },
};

export interface GaussianKernelParams extends GaussianShape {
  method: 'standard' | 'projected';
}

/** k(layer) for a model of `layers` layers (a one-layer model sits at relative depth 0). */
export function gaussianLayerWeight(layer: number, layers: number, shape: GaussianShape): number {
  const depth = layers > 1 ? layer / (layers - 1) : 0;
  return shape.strength * Math.exp(-((depth - shape.peak) ** 2) / (2 * shape.width ** 2));
}

/** The plan of the Gaussian kernel from the two sets' mean residuals ([L+1] × C each). */
export function gaussianPlan(
  harmfulMeans: readonly Float64Array[],
  harmlessMeans: readonly Float64Array[],
  params: GaussianKernelParams,
  normalization: NormalizationMode,
): AblationPlan {
  if (!(params.width > 0) || !Number.isFinite(params.peak) || !Number.isFinite(params.strength)) {
    throw new Error(
      `gaussian kernel needs a finite peak and strength and width > 0 (got peak ${params.peak}, width ${params.width}, strength ${params.strength})`,
    );
  }
  const directions = refusalDirections(
    harmfulMeans,
    harmlessMeans,
    params.method === 'standard' ? 'plain' : 'projected',
  );
  const L = directions.length - 1;
  return {
    normalization,
    embedding: null,
    layers: Array.from({ length: L }, (_, layer) => {
      // layer l writes hidden state l+1, so it ablates that state's direction
      const edit = {
        direction: directions[layer + 1],
        weight: gaussianLayerWeight(layer, L, params),
      };
      return { attn: edit, mlp: { ...edit } };
    }),
  };
}
