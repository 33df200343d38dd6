// Attention over a per-sequence KV cache: row t of a ragged batch belongs to sequence seq[t] at
// position pos[t] and sees that sequence's cached positions p with pos - W < p ≤ pos (W = the
// sliding window, or all earlier positions). Grouped-query: query head h reads kv head h / (H/K).

/** in place: cache [S, P, KD] row (seq[t], pos[t]) ← src [T, KD] */
export function cacheWriteForward(
  cache: Float32Array,
  src: Float32Array,
  seq: Int32Array,
  pos: Int32Array,
  T: number,
  P: number,
  KD: number,
): void {
  for (let t = 0; t < T; t++) {
    cache.set(src.subarray(t * KD, (t + 1) * KD), (seq[t] * P + pos[t]) * KD);
  }
}

/**
 * out [T, H·D] = softmax(scale · q·kᵀ, soft-capped as cap·tanh(s/cap) before masking) · v, with
 * keys and values from cacheK, cacheV [S, P, K·D].
 */
export function attentionForward(
  out: Float32Array,
  q: Float32Array,
  cacheK: Float32Array,
  cacheV: Float32Array,
  seq: Int32Array,
  pos: Int32Array,
  T: number,
  P: number,
  H: number,
  K: number,
  D: number,
  scale: number,
  slidingWindow: number | null,
  softcap: number | null,
): void {
  const KD = K * D;
  const group = H / K;
  const scores = new Float64Array(P);
  const acc = new Float64Array(D);
  for (let t = 0; t < T; t++) {
    const p = pos[t];
    const lo = slidingWindow === null ? 0 : Math.max(0, p - slidingWindow + 1);
    const base = seq[t] * P * KD;
    for (let h = 0; h < H; h++) {
      const qo = (t * H + h) * D;
      const ko = base + Math.floor(h / group) * D;
      let max = Number.NEGATIVE_INFINITY;
      for (let j = lo; j <= p; j++) {
        const kj = ko + j * KD;
        let s = 0;
        for (let d = 0; d < D; d++) s += q[qo + d] * cacheK[kj + d];
        s *= scale;
        if (softcap !== null) s = softcap * Math.tanh(s / softcap);
        scores[j] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let j = lo; j <= p; j++) {
        scores[j] = Math.exp(scores[j] - max);
        sum += scores[j];
      }
      acc.fill(0);
      for (let j = lo; j <= p; j++) {
        const vj = ko + j * KD;
        const a = scores[j] / sum;
        for (let d = 0; d < D; d++) acc[d] += a * cacheV[vj + d];
      }
      for (let d = 0; d < D; d++) out[qo + d] = acc[d];
    }
  }
}
