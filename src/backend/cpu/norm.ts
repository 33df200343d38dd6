// RMSNorm as transformers computes it: mean of squares over each row, x · rsqrt(ms + eps) ·
// (offset + w); offset 1 is Gemma's (1 + w) weight. Rows of width W (C, or D for q/k norms).

/** out [T·W] = rows of width W of x normalised and scaled by (offset + w [W]) */
export function rmsNormForward(
  out: Float32Array,
  x: Float32Array,
  w: Float32Array,
  eps: number,
  offset: number,
  rows: number,
  W: number,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * W;
    let ss = 0;
    for (let i = 0; i < W; i++) ss += x[o + i] * x[o + i];
    const inv = 1 / Math.sqrt(ss / W + eps);
    for (let i = 0; i < W; i++) out[o + i] = x[o + i] * inv * (offset + w[i]);
  }
}
