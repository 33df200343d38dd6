// One thread per element: fill (zeros, poison), addInPlace, gated activation (SiLU, GELU-tanh),
// logit soft-capping, and f32 → packed f16 (activations for the subgroup-matrix GEMM). Launched over grid(ceil(n / ELEMENTWISE_GROUP)) workgroups.

import { FLAT_GROUP, GRID_ARGS, type Kernel, SAFE_TANH, wgslModule } from '../wgsl.js';

export const ELEMENTWISE_GROUP = 256;

function elementwise(
  buffers: Kernel['buffers'],
  params: Kernel['params'],
  statement: string,
  helpers = '',
): Kernel {
  return wgslModule({
    buffers,
    params: [['n', 'u32'], ...params],
    body: `${helpers}
@compute @workgroup_size(${ELEMENTWISE_GROUP})
fn main(${GRID_ARGS}) {
  ${FLAT_GROUP}
  let i = group * ${ELEMENTWISE_GROUP}u + lid;
  if (i >= u.n) { return; }
  ${statement}
}`,
  });
}

/** out u32[n] ← bits (f32 0 or NaN, an i32 sentinel, packed f16 zeros) */
export function fillKernel(): Kernel {
  return elementwise(
    [{ name: 'out', access: 'read_write', type: 'array<u32>' }],
    [['bits', 'u32']],
    'out[i] = u.bits;',
  );
}

/** a[n] += b[n] */
export function addKernel(): Kernel {
  return elementwise(
    [
      { name: 'a', access: 'read_write', type: 'array<f32>' },
      { name: 'b', access: 'read', type: 'array<f32>' },
    ],
    [],
    'a[i] = a[i] + b[i];',
  );
}

/** out[n] ← act(gate[n]) ⊙ up[n] */
export function gatedActivationKernel(activation: 'silu' | 'gelu_tanh'): Kernel {
  const act =
    activation === 'silu'
      ? 'fn act(x: f32) -> f32 { return x / (1.0 + exp(-x)); }'
      : 'fn act(x: f32) -> f32 { return 0.5 * x * (1.0 + safeTanh(0.7978845608028654 * (x + 0.044715 * x * x * x))); }';
  return elementwise(
    [
      { name: 'gate', access: 'read', type: 'array<f32>' },
      { name: 'up', access: 'read', type: 'array<f32>' },
      { name: 'out', access: 'read_write', type: 'array<f32>' },
    ],
    [],
    'out[i] = act(gate[i]) * up[i];',
    `${SAFE_TANH}\n${act}`,
  );
}

/** x[n] ← cap · tanh(x / cap) */
export function softcapKernel(): Kernel {
  return elementwise(
    [{ name: 'x', access: 'read_write', type: 'array<f32>' }],
    [['cap', 'f32']],
    'x[i] = u.cap * safeTanh(x[i] / u.cap);',
    SAFE_TANH,
  );
}

/** out u32[n] ← pack2x16float(x[2i], x[2i+1]) of x f32[count] (a missing last element is 0) */
export function halfKernel(): Kernel {
  return elementwise(
    [
      { name: 'x', access: 'read', type: 'array<f32>' },
      { name: 'out', access: 'read_write', type: 'array<u32>' },
    ],
    [['count', 'u32']],
    `var hi = 0.0;
  if (2u * i + 1u < u.count) { hi = x[2u * i + 1u]; }
  out[i] = pack2x16float(vec2<f32>(x[2u * i], hi));`,
  );
}
