// Rotary position embedding, Hugging Face's half-split layout: within the first rotaryDim dims of
// a head, dim i pairs with dim i + rotaryDim/2. Angles are pos·invFreq rounded to f32 and cos/sin
// rounded to f32 before the attention factor, as transformers does, so long positions agree.

/** in place on x [T, heads·D]: rotate dims [0, rotaryDim) of every head by pos[t]·invFreq */
export function ropeForward(
  x: Float32Array,
  pos: Int32Array,
  invFreq: Float32Array,
  T: number,
  heads: number,
  D: number,
  rotaryDim: number,
  attentionFactor: number,
): void {
  const half = rotaryDim / 2;
  const cos = new Float64Array(half);
  const sin = new Float64Array(half);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(pos[t] * invFreq[i]);
      cos[i] = Math.fround(Math.fround(Math.cos(angle)) * attentionFactor);
      sin[i] = Math.fround(Math.fround(Math.sin(angle)) * attentionFactor);
    }
    for (let h = 0; h < heads; h++) {
      const o = (t * heads + h) * D;
      for (let i = 0; i < half; i++) {
        const x1 = x[o + i];
        const x2 = x[o + i + half];
        x[o + i] = x1 * cos[i] - x2 * sin[i];
        x[o + i + half] = x2 * cos[i] + x1 * sin[i];
      }
    }
  }
}
