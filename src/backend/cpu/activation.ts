// Element-wise ops: the gated MLP activation (SiLU or GELU with the tanh approximation, as
// transformers' gelu_pytorch_tanh) and tanh soft-capping of logits.

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** out [T,F] = act(gate) ⊙ up, where gateUp [T,2F] holds gate then up in each row */
export function gatedActivationForward(
  out: Float32Array,
  gateUp: Float32Array,
  F: number,
  activation: 'silu' | 'gelu_tanh',
): void {
  const T = out.length / F;
  const act =
    activation === 'silu'
      ? (g: number) => g / (1 + Math.exp(-g))
      : (g: number) => 0.5 * g * (1 + Math.tanh(SQRT_2_OVER_PI * (g + 0.044715 * g * g * g)));
  for (let t = 0; t < T; t++) {
    const row = 2 * F * t;
    for (let f = 0; f < F; f++) out[t * F + f] = act(gateUp[row + f]) * gateUp[row + F + f];
  }
}

/** in place: x ← cap · tanh(x / cap) */
export function softcapForward(x: Float32Array, cap: number): void {
  for (let i = 0; i < x.length; i++) x[i] = cap * Math.tanh(x[i] / cap);
}
