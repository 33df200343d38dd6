// Truncated SVD of a matrix known only through its products (M·x and Mᵀ·y), by the seeded
// randomized range finder with power iterations (Halko, Martinsson & Tropp 2011), as torch's
// svd_lowrank does: the same seed gives the same factors on every machine.

import { mulberry32 } from '../util/random.js';

/** A matrix M [rows, cols] by its action on blocks of vectors. */
export interface LinearOperator {
  rows: number;
  cols: number;
  /** M·x for each x (length cols) → length rows */
  mul(xs: readonly Float64Array[]): Float64Array[];
  /** Mᵀ·y for each y (length rows) → length cols */
  mulT(ys: readonly Float64Array[]): Float64Array[];
}

export interface TruncatedSvd {
  /** singular values, descending, length k */
  values: Float64Array;
  /** left singular vectors, k of length rows */
  left: Float64Array[];
  /** right singular vectors, k of length cols */
  right: Float64Array[];
}

export interface LowRankOptions {
  rank: number;
  seed: number;
  /** subspace size beyond `rank` (torch's svd_lowrank uses q = 2k + 4, i.e. k + 4 more) */
  oversample?: number;
  powerIterations?: number;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Orthonormalise in place by Gram–Schmidt, twice (stable enough in f64); dependent vectors become 0. */
function orthonormalize(vs: Float64Array[]): void {
  for (let j = 0; j < vs.length; j++) {
    const v = vs[j];
    const before = Math.sqrt(dot(v, v));
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < j; i++) {
        const c = dot(vs[i], v);
        for (let t = 0; t < v.length; t++) v[t] -= c * vs[i][t];
      }
    }
    const after = Math.sqrt(dot(v, v));
    if (after <= 1e-12 * before || after === 0) v.fill(0);
    else for (let t = 0; t < v.length; t++) v[t] /= after;
  }
}

/** Eigen-decomposition of a symmetric n×n matrix (row-major) by cyclic Jacobi rotations. */
export function symmetricEigen(
  matrix: Float64Array,
  n: number,
): { values: Float64Array; vectors: Float64Array[] } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let total = 0;
  for (const x of a) total += x * x;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] ** 2;
    // converged once the off-diagonal mass is at f64 round-off of the whole
    if (off <= 1e-32 * total) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j * n + j] - a[i * n + i]);
  return {
    values: Float64Array.from(order, (i) => a[i * n + i]),
    vectors: order.map((i) => Float64Array.from({ length: n }, (_, k) => v[k * n + i])),
  };
}

/** The leading `rank` singular triplets of `op`. */
export function truncatedSvd(op: LinearOperator, options: LowRankOptions): TruncatedSvd {
  const k = Math.min(options.rank, op.rows, op.cols);
  const q = Math.min(k + (options.oversample ?? k + 4), op.rows, op.cols);
  const random = mulberry32(options.seed);
  // Rademacher test vectors: as good as Gaussian for the range finder, and no transcendental math
  const omega = Array.from({ length: q }, () =>
    Float64Array.from({ length: op.cols }, () => (random() < 0.5 ? -1 : 1)),
  );
  let basis = op.mul(omega);
  orthonormalize(basis);
  for (let i = 0; i < (options.powerIterations ?? 6); i++) {
    const z = op.mulT(basis);
    orthonormalize(z);
    basis = op.mul(z);
    orthonormalize(basis);
  }
  // B = Qᵀ M is q × cols; its rows are z_j = Mᵀ q_j. SVD of B from the eigenpairs of B Bᵀ.
  const z = op.mulT(basis);
  const gram = new Float64Array(q * q);
  for (let i = 0; i < q; i++)
    for (let j = i; j < q; j++) gram[i * q + j] = gram[j * q + i] = dot(z[i], z[j]);
  const eig = symmetricEigen(gram, q);
  const values = new Float64Array(k);
  const left: Float64Array[] = [];
  const right: Float64Array[] = [];
  for (let j = 0; j < k; j++) {
    const sigma = Math.sqrt(Math.max(eig.values[j], 0));
    values[j] = sigma;
    const ub = eig.vectors[j];
    const l = new Float64Array(op.rows);
    const r = new Float64Array(op.cols);
    for (let i = 0; i < q; i++) {
      for (let t = 0; t < op.rows; t++) l[t] += ub[i] * basis[i][t];
      if (sigma > 0) for (let t = 0; t < op.cols; t++) r[t] += (ub[i] * z[i][t]) / sigma;
    }
    left.push(l);
    right.push(r);
  }
  return { values, left, right };
}
