// Matrix products against weights kept row-major as Hugging Face stores them ([N,K], out×in).
// Sums run in f64 (JS numbers) and round once to f32. Blocks of 4 weight rows × 2 input rows share
// their loads; every output is still one sum over k in order, so a row's result never depends on
// which rows share its batch.

/** out [T,N] = x [T,K] · wᵀ (w [N,K]) + bias [N] */
export function matmulForward(
  out: Float32Array,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  T: number,
  K: number,
  N: number,
): void {
  const N4 = N - (N % 4);
  for (let n = 0; n < N4; n += 4) {
    const w0 = n * K;
    const w1 = w0 + K;
    const w2 = w1 + K;
    const w3 = w2 + K;
    const b0 = bias ? bias[n] : 0;
    const b1 = bias ? bias[n + 1] : 0;
    const b2 = bias ? bias[n + 2] : 0;
    const b3 = bias ? bias[n + 3] : 0;
    // two input rows at a time: eight sums share each weight load
    let t = 0;
    for (; t + 1 < T; t += 2) {
      const xa = t * K;
      const xb = xa + K;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let c0 = 0;
      let c1 = 0;
      let c2 = 0;
      let c3 = 0;
      for (let k = 0; k < K; k++) {
        const u0 = w[w0 + k];
        const u1 = w[w1 + k];
        const u2 = w[w2 + k];
        const u3 = w[w3 + k];
        const xv = x[xa + k];
        const yv = x[xb + k];
        a0 += xv * u0;
        a1 += xv * u1;
        a2 += xv * u2;
        a3 += xv * u3;
        c0 += yv * u0;
        c1 += yv * u1;
        c2 += yv * u2;
        c3 += yv * u3;
      }
      const o = t * N + n;
      out[o] = a0 + b0;
      out[o + 1] = a1 + b1;
      out[o + 2] = a2 + b2;
      out[o + 3] = a3 + b3;
      out[o + N] = c0 + b0;
      out[o + N + 1] = c1 + b1;
      out[o + N + 2] = c2 + b2;
      out[o + N + 3] = c3 + b3;
    }
    if (t < T) {
      const xo = t * K;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      for (let k = 0; k < K; k++) {
        const xv = x[xo + k];
        a0 += xv * w[w0 + k];
        a1 += xv * w[w1 + k];
        a2 += xv * w[w2 + k];
        a3 += xv * w[w3 + k];
      }
      const o = t * N + n;
      out[o] = a0 + b0;
      out[o + 1] = a1 + b1;
      out[o + 2] = a2 + b2;
      out[o + 3] = a3 + b3;
    }
  }
  for (let n = N4; n < N; n++) {
    const wo = n * K;
    const b = bias ? bias[n] : 0;
    for (let t = 0; t < T; t++) {
      const xo = t * K;
      let a = 0;
      for (let k = 0; k < K; k++) a += x[xo + k] * w[wo + k];
      out[t * N + n] = a + b;
    }
  }
}

/** out [T,K] = x [T,N] · w (w [N,K]) */
export function matmulTransposedForward(
  out: Float32Array,
  x: Float32Array,
  w: Float32Array,
  T: number,
  N: number,
  K: number,
): void {
  const acc = new Float64Array(K);
  for (let t = 0; t < T; t++) {
    acc.fill(0);
    for (let n = 0; n < N; n++) {
      const xv = x[t * N + n];
      const wo = n * K;
      for (let k = 0; k < K; k++) acc[k] += xv * w[wo + k];
    }
    out.set(acc, t * K);
  }
}

/** out [N] = Euclidean norm of each row of w [N,K] */
export function rowNormsForward(out: Float32Array, w: Float32Array, N: number, K: number): void {
  for (let n = 0; n < N; n++) {
    let s = 0;
    for (let k = n * K; k < (n + 1) * K; k++) s += w[k] * w[k];
    out[n] = Math.sqrt(s);
  }
}
