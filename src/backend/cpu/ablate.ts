// Run-time directional ablation of a component's output rows (formula in backend.ts):
// ŷ = y ⊘ n;  y' = s_p ⊙ (ŷ − w_p · v_p (v_pᵀ ŷ)), p = the row's plan.

/**
 * in place on y [T,C]; directions [P,C], weights [P], inverseNorm [C] or null (n = 1),
 * outScale [P,C] or null (s = 1), rowPlan [T] or null (plan 0 everywhere)
 */
export function ablateForward(
  y: Float32Array,
  directions: Float32Array,
  weights: Float32Array,
  inverseNorm: Float32Array | null,
  outScale: Float32Array | null,
  rowPlan: Int32Array | null,
  T: number,
  C: number,
): void {
  const yhat = new Float64Array(C);
  for (let t = 0; t < T; t++) {
    const p = rowPlan ? rowPlan[t] : 0;
    const yo = t * C;
    const vo = p * C;
    let dot = 0;
    for (let c = 0; c < C; c++) {
      yhat[c] = inverseNorm ? y[yo + c] * inverseNorm[c] : y[yo + c];
      dot += directions[vo + c] * yhat[c];
    }
    const wd = weights[p] * dot;
    for (let c = 0; c < C; c++) {
      const v = yhat[c] - wd * directions[vo + c];
      y[yo + c] = outScale ? outScale[vo + c] * v : v;
    }
  }
}
