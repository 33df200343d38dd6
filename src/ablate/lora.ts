// A plan's edit of one matrix as LoRA factors ΔW ≈ B·A (B [out, r], A [r, in]). Modes none and
// pre are rank one and exact; full is a row rescaling plus a rank-one term, which a rank-k
// truncated SVD approximates; its Frobenius error relative to ‖ΔW‖ is reported.

import { type WriterEdit, writerEdit } from './bake.js';
import { type LinearOperator, truncatedSvd } from './low-rank.js';
import type { ComponentEdit, NormalizationMode } from './plan.js';

export interface LoraFactors {
  rank: number;
  /** [rank, in] row-major */
  A: Float32Array;
  /** [out, rank] row-major */
  B: Float32Array;
  /** ‖ΔW − B·A‖_F / ‖ΔW‖_F (0 when exact, 0 too when ΔW = 0) */
  relativeError: number;
}

export interface LoraOptions {
  /** rank of the approximation in mode full */
  rank: number;
  seed: number;
  powerIterations?: number;
}

/** ΔW = diag(alpha − 1)·W + beta·uᵀ as an operator, and its exact ‖ΔW‖_F². */
function deltaOperator(
  W: Float32Array,
  C: number,
  K: number,
  e: WriterEdit,
): [LinearOperator, number] {
  const a = Float64Array.from(e.alpha, (x) => x - 1);
  let uu = 0;
  for (let j = 0; j < K; j++) uu += e.u[j] * e.u[j];
  // ‖ΔW_i‖² = a_i²‖W_i‖² + 2a_iβ_i(W_i·u) + β_i²‖u‖², row by row
  let frobeniusSq = 0;
  for (let i = 0; i < C; i++) {
    let ww = 0;
    let wu = 0;
    for (let j = 0; j < K; j++) {
      ww += W[i * K + j] * W[i * K + j];
      wu += W[i * K + j] * e.u[j];
    }
    frobeniusSq += a[i] * a[i] * ww + 2 * a[i] * e.beta[i] * wu + e.beta[i] * e.beta[i] * uu;
  }
  const op: LinearOperator = {
    rows: C,
    cols: K,
    mul: (xs) =>
      xs.map((x) => {
        const y = new Float64Array(C);
        let ux = 0;
        for (let j = 0; j < K; j++) ux += e.u[j] * x[j];
        for (let i = 0; i < C; i++) {
          let t = 0;
          for (let j = 0; j < K; j++) t += W[i * K + j] * x[j];
          y[i] = a[i] * t + e.beta[i] * ux;
        }
        return y;
      }),
    mulT: (ys) =>
      ys.map((y) => {
        const z = new Float64Array(K);
        let by = 0;
        for (let i = 0; i < C; i++) {
          by += e.beta[i] * y[i];
          const ay = a[i] * y[i];
          if (ay === 0) continue;
          for (let j = 0; j < K; j++) z[j] += ay * W[i * K + j];
        }
        for (let j = 0; j < K; j++) z[j] += e.u[j] * by;
        return z;
      }),
  };
  return [op, frobeniusSq];
}

/** LoRA factors of the edit of a writer W (f32, [C,K] row-major). */
export function writerLoraFactors(
  W: Float32Array,
  C: number,
  K: number,
  edit: ComponentEdit,
  mode: NormalizationMode,
  options: LoraOptions,
): LoraFactors {
  const e = writerEdit(W, C, K, edit, mode);
  if (mode !== 'full') {
    // alpha ≡ 1, so ΔW = beta·uᵀ exactly
    return { rank: 1, A: Float32Array.from(e.u), B: Float32Array.from(e.beta), relativeError: 0 };
  }
  const [op, frobeniusSq] = deltaOperator(W, C, K, e);
  const svd = truncatedSvd(op, {
    rank: options.rank,
    seed: options.seed,
    powerIterations: options.powerIterations,
  });
  const r = options.rank;
  const A = new Float32Array(r * K);
  const B = new Float32Array(C * r);
  let captured = 0;
  svd.values.forEach((sigma, j) => {
    captured += sigma * sigma;
    // split √σ to both sides, as Heretic does, to keep the two factors' scales balanced
    const root = Math.sqrt(sigma);
    for (let t = 0; t < K; t++) A[j * K + t] = root * svd.right[j][t];
    for (let i = 0; i < C; i++) B[i * r + j] = root * svd.left[j][i];
  });
  // B·A = P·ΔW for the orthogonal projection P onto the kept left vectors, so the squared
  // residual is exactly ‖ΔW‖² − Σσ²
  const relativeError =
    frobeniusSq > 0 ? Math.sqrt(Math.max(frobeniusSq - captured, 0) / frobeniusSq) : 0;
  return { rank: r, A, B, relativeError };
}

/**
 * PEFT's embedding LoRA adds (B·A)ᵀ to the table E [V,C]; the edit E ← E − w·(E v)vᵀ is that
 * with A = −w·(E v)ᵀ [1, V] and B = v [C, 1]. Always exact.
 */
export function embeddingLoraFactors(
  E: Float32Array,
  V: number,
  C: number,
  edit: ComponentEdit,
): LoraFactors {
  const A = new Float32Array(V);
  for (let t = 0; t < V; t++) {
    let dot = 0;
    for (let c = 0; c < C; c++) dot += E[t * C + c] * edit.direction[c];
    A[t] = -edit.weight * dot;
  }
  return { rank: 1, A, B: Float32Array.from(edit.direction), relativeError: 0 };
}
