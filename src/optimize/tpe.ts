// Multi-objective TPE (Ozaki et al., "Multiobjective Tree-Structured Parzen Estimator", JAIR 2022;
// Optuna's TPESampler with multivariate=True): random startup trials, then split the finished
// trials into good/bad by nondominated sorting with hypervolume tie-breaking, fit a Parzen
// estimator to each, and propose the candidate from the good one maximising l(x)/g(x).
// Running trials count as bad ("constant liar"), so parallel workers spread out.

import type { Rng } from '../util/random.js';
import {
  greedyHypervolumeSubset,
  hypervolumeContributions,
  nadirReference,
} from './hypervolume.js';
import { lossVector, nondominatedRanks, type Objective } from './pareto.js';
import { decodeParams, encodeParams, ParzenEstimator, type ParzenSettings } from './parzen.js';
import { type Axis, type Params, sampleUniform } from './space.js';

export interface TpeSettings extends ParzenSettings {
  /** trials drawn uniformly before the model is used (counted over finished trials) */
  nStartupTrials: number;
  /** candidates drawn from l(x) per proposal; the best l/g wins */
  nEiCandidates: number;
  /** good group size: min(ceil(fraction · finished), max) */
  gamma: { fraction: number; max: number };
  /** treat running trials as bad observations when proposing */
  constantLiar: boolean;
}

/** Optuna's TPESampler defaults (multivariate=True, constant_liar=True). */
export const OPTUNA_TPE_DEFAULTS: TpeSettings = {
  nStartupTrials: 10,
  nEiCandidates: 24,
  gamma: { fraction: 0.1, max: 25 },
  considerPrior: true,
  priorWeight: 1,
  considerMagicClip: true,
  constantLiar: true,
};

/** Heretic's study settings (../shared/HERETIC.md): 60 random startup trials, 128 candidates. */
export const HERETIC_TPE: TpeSettings = {
  ...OPTUNA_TPE_DEFAULTS,
  nStartupTrials: 60,
  nEiCandidates: 128,
};

/** Fills in defaults and checks every setting; errors name the key. */
export function tpeSettings(partial: Partial<TpeSettings> = {}): TpeSettings {
  const s: TpeSettings = { ...HERETIC_TPE, ...partial };
  const wholeNumber = (key: string, v: number, min: number): void => {
    if (!Number.isInteger(v) || v < min) {
      throw new Error(`sampler setting ${key} = ${v}: must be an integer ≥ ${min}`);
    }
  };
  wholeNumber('nStartupTrials', s.nStartupTrials, 0);
  wholeNumber('nEiCandidates', s.nEiCandidates, 1);
  wholeNumber('gamma.max', s.gamma.max, 1);
  if (!(s.gamma.fraction > 0 && s.gamma.fraction <= 1)) {
    throw new Error(`sampler setting gamma.fraction = ${s.gamma.fraction}: must be in (0, 1]`);
  }
  if (!(s.priorWeight > 0)) {
    throw new Error(`sampler setting priorWeight = ${s.priorWeight}: must be positive`);
  }
  return s;
}

/** A trial as the sampler sees it: finished with values, or still running (values null). */
export interface Observation {
  number: number;
  params: Params;
  values: readonly number[] | null;
}

const EPS = 1e-12;

/** Optuna's default observation weights: 1 for the newest 25, a ramp from 1/n for older ones. */
export function defaultWeights(n: number): number[] {
  if (n < 25) return new Array<number>(n).fill(1);
  const ramp = n - 25;
  const out: number[] = [];
  for (let i = 0; i < ramp; i++)
    out.push(ramp === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (ramp - 1));
  for (let i = 0; i < 25; i++) out.push(1);
  return out;
}

/** Size of the good group for `n` finished trials. */
export function goodGroupSize(n: number, gamma: TpeSettings['gamma']): number {
  return Math.min(Math.ceil(gamma.fraction * n), gamma.max);
}

/**
 * Indices of the good group among `losses` (size nBelow): whole nondominated fronts in rank order;
 * the front that does not fit whole is cut by greedy hypervolume subset selection.
 */
export function splitGood(losses: readonly (readonly number[])[], nBelow: number): number[] {
  if (nBelow <= 0) return [];
  if (losses[0].length === 1) {
    return [...losses.keys()].sort((a, b) => losses[a][0] - losses[b][0] || a - b).slice(0, nBelow);
  }
  const ranks = nondominatedRanks(losses);
  const good: number[] = [];
  for (let rank = 0; good.length < nBelow; rank++) {
    const front = [...losses.keys()].filter((i) => ranks[i] === rank);
    if (front.length === 0) break;
    if (good.length + front.length <= nBelow) {
      good.push(...front);
      continue;
    }
    const points = front.map((i) => losses[i]);
    const picked = greedyHypervolumeSubset(points, nBelow - good.length, nadirReference(points));
    good.push(...picked.map((j) => front[j]));
  }
  return good;
}

/** Weights of the good group: hypervolume contributions for several objectives, else Optuna's. */
export function goodWeights(losses: readonly (readonly number[])[]): number[] {
  if (losses.length === 0) return [];
  if (losses[0].length === 1 || losses.length === 1) return defaultWeights(losses.length);
  const contributions = hypervolumeContributions(losses, nadirReference(losses));
  const top = Math.max(...contributions);
  if (!(top > 0)) return new Array<number>(losses.length).fill(1);
  return contributions.map((c) => Math.max(c / top, EPS));
}

/**
 * Proposes the parameters of trial `observations`' next member. `observations` holds every
 * finished (complete) trial and, with the constant liar, every running one; failed trials are
 * left out by the caller. Deterministic for a given rng state.
 */
export function proposeParams(
  axes: readonly Axis[],
  objectives: readonly Objective[],
  observations: readonly Observation[],
  rng: Rng,
  settings: TpeSettings,
): Params {
  const finished = observations
    .filter((o) => o.values !== null)
    .sort((a, b) => a.number - b.number);
  if (finished.length < settings.nStartupTrials) return sampleUniform(axes, rng);
  const running = settings.constantLiar ? observations.filter((o) => o.values === null) : [];

  const losses = finished.map((o) => lossVector(o.values as number[], objectives));
  const goodIndices = new Set(splitGood(losses, goodGroupSize(finished.length, settings.gamma)));
  const good = finished.filter((_, i) => goodIndices.has(i));
  const bad = [...finished.filter((_, i) => !goodIndices.has(i)), ...running].sort(
    (a, b) => a.number - b.number,
  );

  const below = new ParzenEstimator(
    axes,
    good.map((o) => encodeParams(axes, o.params)),
    goodWeights(good.map((o) => lossVector(o.values as number[], objectives))),
    settings,
  );
  const above = new ParzenEstimator(
    axes,
    bad.map((o) => encodeParams(axes, o.params)),
    defaultWeights(bad.length),
    settings,
  );
  const candidates = below.sample(rng, settings.nEiCandidates);
  const l = below.logPdf(candidates);
  const g = above.logPdf(candidates);
  let best = 0;
  for (let i = 1; i < candidates.length; i++) if (l[i] - g[i] > l[best] - g[best]) best = i;
  return decodeParams(axes, candidates[best]);
}
