// Reductions over the vocabulary: log-softmax, greedy argmax (lowest index on ties) and the KL
// divergence between two rows of log-probabilities. Sums run in f64.

/** out [R,V] = x − logsumexp(x) per row */
export function logSoftmaxForward(out: Float32Array, x: Float32Array, R: number, V: number): void {
  for (let r = 0; r < R; r++) {
    const o = r * V;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < V; i++) if (x[o + i] > max) max = x[o + i];
    let sum = 0;
    for (let i = 0; i < V; i++) sum += Math.exp(x[o + i] - max);
    const lse = max + Math.log(sum);
    for (let i = 0; i < V; i++) out[o + i] = x[o + i] - lse;
  }
}

/** out i32[R] = index of each row's maximum of x [R,V] */
export function argmaxForward(out: Int32Array, x: Float32Array, R: number, V: number): void {
  for (let r = 0; r < R; r++) {
    const o = r * V;
    let best = 0;
    let max = x[o];
    for (let i = 1; i < V; i++) {
      if (x[o + i] > max) {
        max = x[o + i];
        best = i;
      }
    }
    out[r] = best;
  }
}

/** out [R] = Σ_v exp(logP)·(logP − logQ) per row; terms with P = 0 contribute 0 */
export function klDivergenceForward(
  out: Float32Array,
  logP: Float32Array,
  logQ: Float32Array,
  R: number,
  V: number,
): void {
  for (let r = 0; r < R; r++) {
    const o = r * V;
    let kl = 0;
    for (let i = 0; i < V; i++) {
      const lp = logP[o + i];
      if (lp === Number.NEGATIVE_INFINITY) continue;
      kl += Math.exp(lp) * (lp - logQ[o + i]);
    }
    out[r] = kl;
  }
}
