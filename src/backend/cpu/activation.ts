// Element-wise ops: the gated MLP activation (SiLU or GELU with the tanh approximation, as
// transformers' gelu_pytorch_tanh) and tanh soft-capping of logits.

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** out [T·F] = act(gate) ⊙ up */
export function gatedActivationForward(
  out: Float32Array,
  gate: Float32Array,
  up: Float32Array,
  activation: 'silu' | 'gelu_tanh',
): void {
  const n = out.length;
  if (activation === 'silu') {
    for (let i = 0; i < n; i++) {
      const g = gate[i];
      out[i] = (g / (1 + Math.exp(-g))) * up[i];
    }
  } else {
    for (let i = 0; i < n; i++) {
      const g = gate[i];
      out[i] = 0.5 * g * (1 + Math.tanh(SQRT_2_OVER_PI * (g + 0.044715 * g * g * g))) * up[i];
    }
  }
}

/** in place: x ← cap · tanh(x / cap) */
export function softcapForward(x: Float32Array, cap: number): void {
  for (let i = 0; i < x.length; i++) x[i] = cap * Math.tanh(x[i] / cap);
}
