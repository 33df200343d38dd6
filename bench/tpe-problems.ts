// Test problems for the TPE quality benchmark: ZDT1, ZDT2 (Zitzler, Deb, Thiele 2000; 30
// variables), DTLZ2 (Deb et al. 2002; 3 objectives, 12 variables) and a synthetic stand-in for
// Candor's own surface (refusals and KL as functions of Heretic's trial parameters).

import type { Objective } from '../src/optimize/pareto.js';
import { hereticSearchSpace, type Params, type SearchSpace } from '../src/optimize/space.js';
import { Rng } from '../src/util/random.js';

export interface BenchProblem {
  name: string;
  space: SearchSpace;
  objectives: Objective[];
  /** fixed hypervolume reference point (losses) */
  reference: number[];
  evaluate(params: Params): number[];
  /** what the reference point and sizes follow */
  source: string;
}

function unitCube(n: number): SearchSpace {
  const space: SearchSpace = {};
  for (let i = 0; i < n; i++) space[`x${i}`] = { kind: 'float', low: 0, high: 1 };
  return space;
}

function vector(params: Params, n: number): number[] {
  return Array.from({ length: n }, (_, i) => params[`x${i}`] as number);
}

const minimise = (names: string[]): Objective[] =>
  names.map((name) => ({ name, direction: 'minimize' }));

function zdt(name: string, shape: (ratio: number) => number): BenchProblem {
  const n = 30;
  return {
    name,
    space: unitCube(n),
    objectives: minimise(['f1', 'f2']),
    // BoTorch's ZDT reference point; the whole front lies inside it
    reference: [11, 11],
    source: `${name.toUpperCase()}, n = 30, reference (11, 11) as in BoTorch's test functions`,
    evaluate(params) {
      const x = vector(params, n);
      const g = 1 + (9 / (n - 1)) * x.slice(1).reduce((s, v) => s + v, 0);
      return [x[0], g * shape(x[0] / g)];
    },
  };
}

export const zdt1 = zdt('zdt1', (r) => 1 - Math.sqrt(r));
export const zdt2 = zdt('zdt2', (r) => 1 - r * r);

export const dtlz2: BenchProblem = {
  name: 'dtlz2',
  space: unitCube(12),
  objectives: minimise(['f1', 'f2', 'f3']),
  reference: [1.1, 1.1, 1.1],
  source:
    "DTLZ2, 3 objectives, n = 12 (k = 10), reference (1.1, 1.1, 1.1) as in BoTorch's test functions",
  evaluate(params) {
    const x = vector(params, 12);
    const g = x.slice(2).reduce((s, v) => s + (v - 0.5) ** 2, 0);
    const a = (x[0] * Math.PI) / 2;
    const b = (x[1] * Math.PI) / 2;
    return [
      (1 + g) * Math.cos(a) * Math.cos(b),
      (1 + g) * Math.cos(a) * Math.sin(b),
      (1 + g) * Math.sin(a),
    ];
  },
};

/** FNV-1a of a string: seeds the synthetic problem's noise from the parameters themselves. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const LAYERS = 32;
const GOOD_LAYER = 20;

/** Heretic's layer kernel: max_weight at the position, linear to min_weight at the distance, 0 beyond. */
function layerWeights(params: Params, component: 'attn' | 'mlp'): number[] {
  const max = Math.max(0, params[`${component}.max_weight`] as number);
  const position = params[`${component}.max_weight_position`] as number;
  const min = (params[`${component}.min_weight`] as number) * max;
  const distance = params[`${component}.min_weight_distance`] as number;
  return Array.from({ length: LAYERS }, (_, layer) => {
    const d = Math.abs(layer - position);
    return d > distance ? 0 : max + (d / distance) * (min - max);
  });
}

/**
 * Refusals (of 100 prompts) fall steeply once the ablation near a 'good' layer (20 of 32) passes a
 * threshold, and more so when the direction comes from near that layer; KL grows with the squared
 * weights (MLP edits cost more) and with per-layer directions. Both carry noise that is a fixed
 * function of the parameters, as a real evaluation with greedy decoding would.
 */
export const synthetic: BenchProblem = {
  name: 'synthetic',
  space: hereticSearchSpace(LAYERS),
  objectives: minimise(['refusals', 'kl']),
  reference: [100, 1],
  source:
    "Heretic's 10 parameters for 32 layers; refusals out of 100 and KL; reference (100, 1): a KL above 1 is no use",
  evaluate(params) {
    const attn = layerWeights(params, 'attn');
    const mlp = layerWeights(params, 'mlp');
    const quality =
      params.direction_scope === 'global'
        ? 0.15 +
          0.85 * Math.exp(-(((params.direction_index as number) - (GOOD_LAYER - 1)) ** 2) / 8)
        : 0.6;
    let ablation = 0;
    let cost = 0;
    for (let l = 0; l < LAYERS; l++) {
      const relevance = Math.exp(-(((l - GOOD_LAYER) / 4) ** 2));
      ablation += (0.6 * attn[l] + mlp[l]) * relevance;
      cost += (0.5 * attn[l] ** 2 + mlp[l] ** 2) * (0.5 + l / LAYERS);
    }
    ablation *= quality;
    const noise = Rng.forStream(fnv1a(JSON.stringify(params)));
    const refusalRate = 1 / (1 + Math.exp(1.5 * (ablation - 4.5)));
    const refusals = Math.min(100, Math.max(0, Math.round(100 * refusalRate + 2 * noise.normal())));
    const kl =
      (0.02 * cost + (params.direction_scope === 'per layer' ? 0.08 : 0)) *
      Math.exp(0.1 * noise.normal());
    return [refusals, kl];
  },
};

export const problems: BenchProblem[] = [zdt1, zdt2, dtlz2, synthetic];
