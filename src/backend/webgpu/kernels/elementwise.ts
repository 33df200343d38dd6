// One thread per element: fill (zeros, poison), addInPlace, gated activation (SiLU, GELU-tanh),
// logit soft-capping, f32 → packed f16 (activations for the subgroup-matrix GEMM), and bf16 →
// f16 (weights as they load: on the host that loop was most of an 8B model's load time). Launched over grid(ceil(n / ELEMENTWISE_GROUP)) workgroups.

import { FLAT_GROUP, GRID_ARGS, type Kernel, SAFE_TANH, wgslModule } from '../wgsl.js';

export const ELEMENTWISE_GROUP = 256;

/** A kernel of one thread per element i < u.n running `statement` (params: n, then `params`). */
export function elementwise(
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

/**
 * gateUp [T,2F] → out [T,F] = act(gate) ⊙ up (gate in the first F columns of a row); n = T·F.
 * With `half` (F even) each thread writes two outputs and their packed f16 copy (the down
 * projection's input) and n counts pairs.
 */
export function gatedActivationKernel(activation: 'silu' | 'gelu_tanh', half = false): Kernel {
  const act =
    activation === 'silu'
      ? 'fn act(x: f32) -> f32 { return x / (1.0 + exp(-x)); }'
      : 'fn act(x: f32) -> f32 { return 0.5 * x * (1.0 + safeTanh(0.7978845608028654 * (x + 0.044715 * x * x * x))); }';
  const buffers: Kernel['buffers'] = [
    { name: 'gateUp', access: 'read', type: 'array<f32>' },
    { name: 'out', access: 'read_write', type: 'array<f32>' },
  ];
  if (half) buffers.push({ name: 'half', access: 'read_write', type: 'array<u32>' });
  const gated = `fn gated(e: u32) -> f32 { let t = e / u.F; let g = e + t * u.F; return act(gateUp[g]) * gateUp[g + u.F]; }`;
  return elementwise(
    buffers,
    [['F', 'u32']],
    half
      ? 'let v = vec2<f32>(gated(2u * i), gated(2u * i + 1u)); out[2u * i] = v.x; out[2u * i + 1u] = v.y; half[i] = pack2x16float(v);'
      : 'out[i] = gated(i);',
    `${SAFE_TANH}\n${act}\n${gated}`,
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

/**
 * out u32[n] ← the f16 bits of the bf16 pairs in raw u32[n] (round to nearest even; NaN stays
 * NaN); the first element outside ±65504 lands in flags[slot] (atomicMin of its index). Integer
 * arithmetic only, so adapters without shader-f16 convert too.
 */
export function bf16ToHalfKernel(): Kernel {
  return elementwise(
    [
      { name: 'raw', access: 'read', type: 'array<u32>' },
      { name: 'out', access: 'read_write', type: 'array<u32>' },
      { name: 'flags', access: 'read_write', type: 'array<atomic<u32>>' },
    ],
    [['slot', 'u32']],
    `let w = raw[i];
  out[i] = toHalf(w & 0xffffu, 2u * i) | (toHalf(w >> 16u, 2u * i + 1u) << 16u);`,
    `fn toHalf(b: u32, index: u32) -> u32 {
  let s = b & 0x8000u;
  let e = (b >> 7u) & 0xffu;
  let m = b & 0x7fu;
  if (e == 0xffu) { return s | 0x7c00u | select(0u, 0x200u, m != 0u); }
  if (e >= 143u) { atomicMin(&flags[u.slot], index); return s | 0x7c00u; }
  if (e >= 113u) { return s | ((e - 112u) << 10u) | (m << 3u); }
  // f16 subnormals: (1.m) 2^(e-127) is M = 0x80 | m units of 2^(e-134), i.e. M·2^(e-110) of 2^-24
  if (e == 0u) { return s; }
  let M = 0x80u | m;
  if (e >= 110u) { return s | (M << (e - 110u)); }
  let shift = 110u - e;
  if (shift > 8u) { return s; }
  let q = M >> shift;
  let rest = M & ((1u << shift) - 1u);
  let half = 1u << (shift - 1u);
  return s | select(q, q + 1u, rest > half || (rest == half && (q & 1u) == 1u));
}`,
  );
}
