// Rotary position embedding in place, half-split (Hugging Face's rotate_half): one thread per
// rotated pair (x[i], x[i + rotaryDim/2]) of each head of each row; dims past rotaryDim stay.
// cos/sin are our own: Vulkan only promises 2⁻¹¹ absolute error for the builtins (SwiftShader
// is that far off), which would show in the logits.

import { FLAT_GROUP, GRID_ARGS, type Kernel, wgslModule } from '../wgsl.js';
import { ELEMENTWISE_GROUP } from './elementwise.js';

/**
 * (cos a, sin a) to ~1e-7: Cody-Waite reduction by π/2 in three parts (the first, 8 bits, times
 * the quadrant index is exact for |a| < 5·10⁴), then Cephes' minimax polynomials on [-π/4, π/4].
 */
const SINCOS = `
fn sincos(a: f32) -> vec2<f32> {
  let j = round(a * 0.6366197723675814);
  let r = ((a - j * 1.5703125) - j * 4.837512969970703125e-4) - j * 7.54978995489188216e-8;
  let z = r * r;
  let s = r + r * z * (-1.6666654611e-1 + z * (8.3321608736e-3 + z * -1.9515295891e-4));
  let c = 1.0 - 0.5 * z + z * z * (4.166664568298827e-2 + z * (-1.388731625493765e-3 + z * 2.443315711809948e-5));
  switch (i32(j) & 3) {
    case 0: { return vec2<f32>(c, s); }
    case 1: { return vec2<f32>(-s, c); }
    case 2: { return vec2<f32>(-c, -s); }
    default: { return vec2<f32>(s, -c); }
  }
}`;

/** x [T, heads·D] in place; positions i32[T]; invFreq f32[rotaryDim/2]; cos and sin scaled by attentionFactor */
export function ropeKernel(): Kernel {
  return wgslModule({
    buffers: [
      { name: 'x', access: 'read_write', type: 'array<f32>' },
      { name: 'positions', access: 'read', type: 'array<i32>' },
      { name: 'invFreq', access: 'read', type: 'array<f32>' },
    ],
    params: [
      ['n', 'u32'],
      ['heads', 'u32'],
      ['D', 'u32'],
      ['half', 'u32'],
      ['factor', 'f32'],
    ],
    body: `${SINCOS}
@compute @workgroup_size(${ELEMENTWISE_GROUP})
fn main(${GRID_ARGS}) {
  ${FLAT_GROUP}
  let i = group * ${ELEMENTWISE_GROUP}u + lid;
  if (i >= u.n) { return; }
  let pair = i % u.half;
  let head = i / u.half;          // flat (row, head)
  let row = head / u.heads;
  // the angle rounded to f32, as transformers computes it
  let cs = sincos(f32(positions[row]) * invFreq[pair]) * u.factor;
  let c = cs.x;
  let s = cs.y;
  let a = head * u.D + pair;
  let x1 = x[a];
  let x2 = x[a + u.half];
  x[a] = x1 * c - x2 * s;
  x[a + u.half] = x2 * c + x1 * s;
}`,
  });
}
