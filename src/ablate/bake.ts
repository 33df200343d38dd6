// Bakes a plan's edits into weights on the host, exactly as the run-time formula implies:
// for a writer W [C,K] (and bias b) the run-time map y' = s ⊙ (ŷ − w·v(vᵀŷ)), ŷ = y ⊘ n, is
// linear in y, so W' = that map applied to every column of W (and to b). All sums run in f64
// in one fixed order and round once to f32, then to the stored dtype: the same bytes everywhere.

import type { HostTensor } from '../backend/backend.js';
import { hostToF32 } from '../backend/cpu/dtype.js';
import { fullOutScale } from './full-normalization.js';
import type { ComponentEdit, NormalizationMode } from './plan.js';
import { encodeF32 } from './store-dtype.js';

/**
 * The run-time map of one edit on W [C,K] as a row scaling plus a rank-one term:
 *   W' = diag(alpha)·W + beta·uᵀ,  u = Wᵀ·probe,  and on any output y: y' = alpha⊙y + beta·(probeᵀy)
 * with probe = v ⊘ n, alpha = s ⊘ n, beta = −w·s⊙v (mode none: n = s = 1; pre: s = n).
 */
export interface WriterEdit {
  alpha: Float64Array;
  beta: Float64Array;
  probe: Float64Array;
  /** Wᵀ·probe, length K */
  u: Float64Array;
  /** n, the row norms (all 1 in mode none) */
  rowNorms: Float64Array;
}

/** Derive the WriterEdit of `edit` for W (f32, [C,K] row-major). */
export function writerEdit(
  W: Float32Array,
  C: number,
  K: number,
  edit: ComponentEdit,
  mode: NormalizationMode,
): WriterEdit {
  const v = edit.direction;
  const w = edit.weight;
  if (v.length !== C) {
    throw new Error(`edit direction has ${v.length} values, the matrix has ${C} output rows`);
  }
  const rowNorms = new Float64Array(C).fill(1);
  if (mode !== 'none') {
    for (let i = 0; i < C; i++) {
      let s = 0;
      for (let j = 0; j < K; j++) s += W[i * K + j] * W[i * K + j];
      rowNorms[i] = Math.sqrt(s);
    }
  }
  // a zero row stays zero (its normalised row is zero, as F.normalize leaves it)
  const probe = Float64Array.from(rowNorms, (n, i) => (n === 0 ? 0 : v[i] / n));
  const u = new Float64Array(K);
  for (let i = 0; i < C; i++) {
    const g = probe[i];
    if (g === 0) continue;
    for (let j = 0; j < K; j++) u[j] += g * W[i * K + j];
  }
  let s: Float64Array;
  if (mode === 'full') {
    let uNormSq = 0;
    for (let j = 0; j < K; j++) uNormSq += u[j] * u[j];
    const whu = new Float64Array(C);
    for (let i = 0; i < C; i++) {
      if (rowNorms[i] === 0) continue;
      let t = 0;
      for (let j = 0; j < K; j++) t += W[i * K + j] * u[j];
      whu[i] = t / rowNorms[i];
    }
    s = fullOutScale(rowNorms, v, w, whu, uNormSq);
  } else {
    s = rowNorms.slice();
  }
  const alpha = Float64Array.from(s, (si, i) => (rowNorms[i] === 0 ? 0 : si / rowNorms[i]));
  const beta = Float64Array.from(s, (si, i) => -w * si * v[i]);
  return { alpha, beta, probe, u, rowNorms };
}

/** W' = diag(alpha)·W + beta·uᵀ as f32. */
export function applyWriterEdit(
  W: Float32Array,
  C: number,
  K: number,
  e: WriterEdit,
): Float32Array {
  const out = new Float32Array(C * K);
  for (let i = 0; i < C; i++) {
    const a = e.alpha[i];
    const b = e.beta[i];
    for (let j = 0; j < K; j++) out[i * K + j] = a * W[i * K + j] + b * e.u[j];
  }
  return out;
}

function matrixShape(name: string, t: HostTensor): [number, number] {
  if (t.shape.length !== 2) throw new Error(`${name}: expected a matrix, got shape [${t.shape}]`);
  return [t.shape[0], t.shape[1]];
}

/** Bake one edit into a residual writer (o_proj / down_proj) and its bias; same dtype out. */
export function bakeWriter(
  name: string,
  weight: HostTensor,
  bias: HostTensor | null,
  edit: ComponentEdit,
  mode: NormalizationMode,
): { weight: HostTensor; bias: HostTensor | null } {
  const [C, K] = matrixShape(name, weight);
  const W = hostToF32(name, weight);
  const e = writerEdit(W, C, K, edit, mode);
  const baked: HostTensor = {
    shape: [C, K],
    dtype: weight.dtype,
    bytes: encodeF32(applyWriterEdit(W, C, K, e), weight.dtype),
  };
  if (!bias) return { weight: baked, bias: null };
  const b = hostToF32(`${name} bias`, bias);
  let dot = 0;
  for (let i = 0; i < C; i++) dot += e.probe[i] * b[i];
  const b2 = Float32Array.from(b, (bi, i) => e.alpha[i] * bi + e.beta[i] * dot);
  return {
    weight: baked,
    bias: { shape: [C], dtype: bias.dtype, bytes: encodeF32(b2, bias.dtype) },
  };
}

/**
 * Bake an edit of the embedding output into the table E [V,C]: every row e ← e − w·v(vᵀe),
 * i.e. E ← E − w·(E v)vᵀ (always mode none; a constant embedding scale commutes with it).
 */
export function bakeEmbedding(name: string, table: HostTensor, edit: ComponentEdit): HostTensor {
  const [V, C] = matrixShape(name, table);
  const v = edit.direction;
  if (v.length !== C)
    throw new Error(`${name}: edit direction has ${v.length} values, rows have ${C}`);
  const E = hostToF32(name, table);
  const out = new Float32Array(V * C);
  for (let t = 0; t < V; t++) {
    let dot = 0;
    for (let c = 0; c < C; c++) dot += E[t * C + c] * v[c];
    const k = edit.weight * dot;
    for (let c = 0; c < C; c++) out[t * C + c] = E[t * C + c] - k * v[c];
  }
  return { shape: [V, C], dtype: table.dtype, bytes: encodeF32(out, table.dtype) };
}
