// The exact output scale of Heretic's `full` row normalisation. With row norms n of W [C,K],
// Ŵ = W row-normalised and u = Ŵᵀv, row i of the ablated Ŵ − w·v uᵀ has squared norm
//   m_i² = 1 − 2w·v_i·(Ŵu)_i + w²·v_i²·‖u‖²,
// and full mode restores each row to its old norm: s_i = n_i / m_i (derivation: docs/ablation.md).

/**
 * s for mode full. `whu` = ŴŴᵀv (length C), `uNormSq` = ‖Ŵᵀv‖². Zero rows stay zero, and a row
 * the edit wipes out is divided by 1e-12 instead of 0, as torch's F.normalize does.
 */
export function fullOutScale(
  rowNorms: ArrayLike<number>,
  direction: ArrayLike<number>,
  weight: number,
  whu: ArrayLike<number>,
  uNormSq: number,
): Float64Array {
  const s = new Float64Array(rowNorms.length);
  for (let i = 0; i < s.length; i++) {
    const v = direction[i];
    const m2 = 1 - 2 * weight * v * whu[i] + weight * weight * v * v * uNormSq;
    s[i] = rowNorms[i] === 0 ? 0 : rowNorms[i] / Math.max(Math.sqrt(Math.max(m2, 0)), 1e-12);
  }
  return s;
}
