// Turns a trial's sampled parameters into an AblationPlan: the bridge between the optimiser's
// flat parameter names and the layer kernels. Heretic's conventions apply: an MLP (or
// embedding) max_weight below 0 switches that component off, and min_weight is sampled as a
// fraction of max_weight.

import { gaussianPlan } from '../ablate/kernel-gaussian.js';
import { type HereticComponentParams, hereticPlan } from '../ablate/kernel-heretic.js';
import type { AblationPlan, NormalizationMode } from '../ablate/plan.js';
import type { Params, SearchSpace } from '../optimize/space.js';

export type KernelKind = 'heretic' | 'gaussian';

function num(params: Params, key: string): number {
  const v = params[key];
  if (typeof v !== 'number') throw new Error(`trial parameter ${key} is missing or not a number`);
  return v;
}

function hereticComponent(params: Params, component: 'attn' | 'mlp'): HereticComponentParams {
  const maxWeight = Math.max(0, num(params, `${component}.max_weight`));
  return {
    maxWeight,
    maxWeightPosition: num(params, `${component}.max_weight_position`),
    minWeight: num(params, `${component}.min_weight`) * maxWeight,
    minWeightDistance: num(params, `${component}.min_weight_distance`),
  };
}

/**
 * The Gaussian kernel's search space: Uncensored1776's presets are points in it (peak 0.55–0.6,
 * width 0.1–0.2, strength 0.5–1.0, either method); the ranges leave room on every side of them.
 */
export function gaussianSearchSpace(): SearchSpace {
  return {
    method: { kind: 'categorical', choices: ['standard', 'projected'] },
    peak: { kind: 'float', low: 0.3, high: 0.95 },
    width: { kind: 'float', low: 0.05, high: 0.35 },
    strength: { kind: 'float', low: 0, high: 1.5 },
  };
}

/** Mean residuals of the two direction prompt sets, [L+1] × C each (state 0 = embeddings). */
export interface ResidualMeans {
  harmful: readonly Float64Array[];
  harmless: readonly Float64Array[];
}

/**
 * The plan of one trial. `directions` are the L+1 refusal directions (state 0 = embeddings) made
 * with the study's direction method; the Gaussian kernel derives its own from `means`, since its
 * method is itself a searched parameter.
 */
export function trialPlan(
  kernel: KernelKind,
  params: Params,
  directions: readonly Float32Array[],
  means: ResidualMeans,
  normalization: NormalizationMode,
): AblationPlan {
  if (kernel === 'gaussian') {
    const method = params.method;
    if (method !== 'standard' && method !== 'projected') {
      throw new Error(
        `trial parameter method must be 'standard' or 'projected', got ${String(method)}`,
      );
    }
    return gaussianPlan(
      means.harmful,
      means.harmless,
      {
        method,
        peak: num(params, 'peak'),
        width: num(params, 'width'),
        strength: num(params, 'strength'),
      },
      normalization,
    );
  }
  const scope = params.direction_scope;
  if (scope !== 'global' && scope !== 'per layer') {
    throw new Error(
      `trial parameter direction_scope must be 'global' or 'per layer', got ${String(scope)}`,
    );
  }
  const embedding = params['embedding.max_weight'];
  return hereticPlan(
    directions,
    {
      directionIndex: scope === 'global' ? num(params, 'direction_index') : null,
      attn: hereticComponent(params, 'attn'),
      mlp: hereticComponent(params, 'mlp'),
      embeddingWeight: typeof embedding === 'number' ? Math.max(0, embedding) : 0,
    },
    normalization,
  );
}

/** Per-layer weights of a plan's components (0 where a layer is not edited), for display. */
export function planKernel(plan: AblationPlan): { attn: number[]; mlp: number[] } {
  return {
    attn: plan.layers.map((l) => l.attn?.weight ?? 0),
    mlp: plan.layers.map((l) => l.mlp?.weight ?? 0),
  };
}
