// KL divergence of the first response token, the quality objective: host-side reference
// log-softmax and per-row KL over the full vocabulary (the oracle the backends' klDivergence is
// tested against) and the mean over prompts that the search minimises.
//
//   KL_i = Σ_v exp(logP_iv) · (logP_iv − logQ_iv)     P original, Q ablated, row i = prompt i
//   KL   = (1/S) Σ_i KL_i                              Heretic's F.kl_div(..., "batchmean")

/** Row-wise log-softmax of logits [R, V] (row-major), accumulated in f64, returned as f32. */
export function logSoftmaxRows(logits: Float32Array, vocab: number): Float32Array {
  if (vocab <= 0 || logits.length % vocab !== 0) {
    throw new Error(`logSoftmaxRows: ${logits.length} logits do not split into rows of ${vocab}`);
  }
  const out = new Float32Array(logits.length);
  for (let r = 0; r < logits.length / vocab; r++) {
    const o = r * vocab;
    let max = Number.NEGATIVE_INFINITY;
    for (let v = 0; v < vocab; v++) max = Math.max(max, logits[o + v]);
    let sum = 0;
    for (let v = 0; v < vocab; v++) sum += Math.exp(logits[o + v] - max);
    const logZ = max + Math.log(sum);
    for (let v = 0; v < vocab; v++) out[o + v] = logits[o + v] - logZ;
  }
  return out;
}

/**
 * KL(P ‖ Q) per row of log-probabilities [R, V]. Terms with P = 0 contribute 0 (the limit of
 * p·log p), so −∞ in logP is fine; −∞ in logQ where P > 0 gives +∞, as it should.
 */
export function klDivergenceRows(
  logP: Float32Array,
  logQ: Float32Array,
  vocab: number,
): Float64Array {
  if (logP.length !== logQ.length || vocab <= 0 || logP.length % vocab !== 0) {
    throw new Error(
      `klDivergenceRows: shapes differ (${logP.length} vs ${logQ.length}, rows of ${vocab})`,
    );
  }
  const rows = logP.length / vocab;
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let kl = 0;
    for (let i = r * vocab; i < (r + 1) * vocab; i++) {
      const p = Math.exp(logP[i]);
      if (p > 0) kl += p * (logP[i] - logQ[i]);
    }
    out[r] = kl;
  }
  return out;
}

/** Mean over prompts of per-prompt KL values (the search objective). */
export function meanKl(perPrompt: ArrayLike<number>): number {
  if (perPrompt.length === 0)
    throw new Error('meanKl: no prompts; the harmless evaluation set is empty');
  let sum = 0;
  for (let i = 0; i < perPrompt.length; i++) sum += perPrompt[i];
  return sum / perPrompt.length;
}
