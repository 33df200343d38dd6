// Multivariate Parzen estimator (as Optuna's TPE with multivariate=True): a weighted mixture of
// product kernels, one per observation plus a wide prior kernel. Numerical axes use normals
// truncated to the axis (discrete values integrate over their cell); categorical axes use a
// distribution peaked at the observed choice. Bandwidth: Scott-like rule, clipped ("magic clip").

import type { Rng } from '../util/random.js';
import { logNdtrDiff, logNormalPdf, truncatedNormalQuantile } from './normal.js';
import type { Axis, Params } from './space.js';

export interface ParzenSettings {
  /** add a kernel centred on the middle of each axis, as wide as the axis */
  considerPrior: boolean;
  /** weight of the prior kernel relative to an observation weight of 1 */
  priorWeight: number;
  /** keep every bandwidth ≥ range / min(100, 1 + kernels), so few observations stay broad */
  considerMagicClip: boolean;
}

const EPS = 1e-12;
/** Scott-like factor for the multivariate bandwidth (Optuna's SIGMA0_MAGNITUDE). */
const SIGMA0 = 0.2;

interface NumericKernels {
  axis: Extract<Axis, { kind: 'numeric' }>;
  /** centre per kernel */
  mu: Float64Array;
  /** bandwidth per kernel */
  sigma: Float64Array;
  /** log of each kernel's mass inside [low, high] */
  logZ: Float64Array;
  /** log σ + log Z: the density's normaliser on a continuous axis */
  logNorm: Float64Array;
}

interface CategoricalKernels {
  axis: Extract<Axis, { kind: 'categorical' }>;
  /** log probability of choice c under kernel k: logP[k * choices + c] */
  logP: Float64Array;
  /** the same, as probabilities, for sampling */
  p: Float64Array;
}

export class ParzenEstimator {
  private readonly logWeights: Float64Array;
  private readonly weights: Float64Array;
  private readonly numeric: NumericKernels[] = [];
  private readonly categorical: CategoricalKernels[] = [];
  readonly kernels: number;

  /**
   * @param observations encoded points: numeric axes in model space, categorical as choice index
   * @param observationWeights one non-negative weight per observation
   */
  constructor(
    private readonly axes: readonly Axis[],
    observations: readonly (readonly number[])[],
    observationWeights: readonly number[],
    settings: ParzenSettings,
  ) {
    const n = observations.length;
    const withPrior = settings.considerPrior || n === 0;
    const k = n + (withPrior ? 1 : 0);
    this.kernels = k;
    const w = new Float64Array(k);
    for (let i = 0; i < n; i++) w[i] = observationWeights[i];
    if (withPrior) w[n] = settings.priorWeight;
    let total = 0;
    for (const v of w) total += v;
    this.weights = w.map((v) => v / total);
    this.logWeights = this.weights.map((v) => Math.log(v));

    axes.forEach((axis, d) => {
      if (axis.kind === 'numeric') {
        const range = axis.high - axis.low;
        const mu = new Float64Array(k);
        const sigma = new Float64Array(k);
        const bandwidth = SIGMA0 * Math.max(n, 1) ** (-1 / (axes.length + 4)) * range;
        const minSigma = settings.considerMagicClip ? range / Math.min(100, 1 + k) : EPS;
        for (let i = 0; i < n; i++) {
          mu[i] = observations[i][d];
          sigma[i] = Math.min(range, Math.max(minSigma, bandwidth));
        }
        if (withPrior) {
          mu[n] = 0.5 * (axis.low + axis.high);
          sigma[n] = range;
        }
        const logZ = new Float64Array(k);
        for (let i = 0; i < k; i++) {
          logZ[i] =
            range > 0
              ? logNdtrDiff((axis.low - mu[i]) / sigma[i], (axis.high - mu[i]) / sigma[i])
              : 0;
        }
        const logNorm = logZ.map((z, i) => z + Math.log(sigma[i]));
        this.numeric.push({ axis, mu, sigma, logZ, logNorm });
      } else {
        const c = axis.choices.length;
        const p = new Float64Array(k * c);
        // Each observation kernel puts 1 + ε on its choice and ε on the others (ε shrinks as
        // observations accumulate); the prior kernel is uniform.
        const eps = settings.priorWeight / k;
        for (let i = 0; i < n; i++) {
          const norm = 1 + c * eps;
          for (let j = 0; j < c; j++) p[i * c + j] = eps / norm;
          p[i * c + observations[i][d]] += 1 / norm;
        }
        if (withPrior) for (let j = 0; j < c; j++) p[n * c + j] = 1 / c;
        this.categorical.push({ axis, logP: p.map((v) => Math.log(v)), p });
      }
    });
  }

  /** Draws `count` encoded points from the mixture. */
  sample(rng: Rng, count: number): number[][] {
    const out: number[][] = [];
    for (let s = 0; s < count; s++) {
      const k = rng.weighted(this.weights);
      const point = new Array<number>(this.axes.length);
      let ni = 0;
      let ci = 0;
      this.axes.forEach((axis, d) => {
        if (axis.kind === 'numeric') {
          const kern = this.numeric[ni++];
          const u = rng.next();
          const m =
            axis.high > axis.low
              ? truncatedNormalQuantile(kern.mu[k], kern.sigma[k], axis.low, axis.high, u)
              : axis.low;
          point[d] = axis.cell ? axis.encode(axis.decode(m)) : m;
        } else {
          const kern = this.categorical[ci++];
          const c = axis.choices.length;
          point[d] = rng.weighted(kern.p.subarray(k * c, (k + 1) * c));
        }
      });
      out.push(point);
    }
    return out;
  }

  /** log density (or log mass, for discrete axes) of each encoded point under the mixture. */
  logPdf(points: readonly (readonly number[])[]): Float64Array {
    const k = this.kernels;
    const out = new Float64Array(points.length);
    const terms = new Float64Array(k);
    points.forEach((x, s) => {
      terms.set(this.logWeights);
      let ni = 0;
      let ci = 0;
      this.axes.forEach((axis, d) => {
        if (axis.kind === 'numeric') {
          const kern = this.numeric[ni++];
          if (!(axis.high > axis.low)) return;
          if (axis.cell) {
            const [a, b] = axis.cell(axis.decode(x[d]));
            const lo = Math.max(a, axis.low);
            const hi = Math.min(b, axis.high);
            for (let i = 0; i < k; i++) {
              const sg = kern.sigma[i];
              terms[i] +=
                logNdtrDiff((lo - kern.mu[i]) / sg, (hi - kern.mu[i]) / sg) - kern.logZ[i];
            }
          } else {
            for (let i = 0; i < k; i++) {
              terms[i] += logNormalPdf((x[d] - kern.mu[i]) / kern.sigma[i]) - kern.logNorm[i];
            }
          }
        } else {
          const kern = this.categorical[ci++];
          const c = axis.choices.length;
          for (let i = 0; i < k; i++) terms[i] += kern.logP[i * c + x[d]];
        }
      });
      let max = Number.NEGATIVE_INFINITY;
      for (const t of terms) if (t > max) max = t;
      let sum = 0;
      for (const t of terms) sum += Math.exp(t - max);
      out[s] = max + Math.log(sum);
    });
    return out;
  }
}

/** Encodes params for the estimator: model-space numbers, categorical choice indices. */
export function encodeParams(axes: readonly Axis[], params: Params): number[] {
  return axes.map((axis) => {
    const v = params[axis.name];
    if (axis.kind === 'numeric') return axis.encode(v as number);
    const index = axis.choices.indexOf(v);
    if (index < 0) throw new Error(`param '${axis.name}': ${JSON.stringify(v)} is not a choice`);
    return index;
  });
}

export function decodeParams(axes: readonly Axis[], point: readonly number[]): Params {
  const params: Params = {};
  axes.forEach((axis, d) => {
    params[axis.name] = axis.kind === 'numeric' ? axis.decode(point[d]) : axis.choices[point[d]];
  });
  return params;
}
