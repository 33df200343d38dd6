// A layer's attention inputs from its joined q|k|v projection in one dispatch: split into heads,
// q/k RMSNorm (Qwen3, Gemma 3), rotary position embedding (half-split, Hugging Face's
// rotate_half; dims past rotaryDim stay), and k, v written into the KV cache.
// cos/sin are our own: Vulkan only promises 2⁻¹¹ absolute error for the builtins (SwiftShader
// is that far off), which would show in the logits.

import { FLAT_GROUP, GRID_ARGS, type Kernel, wgslModule } from '../wgsl.js';

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

/** threads per workgroup: one workgroup per head of a row */
const THREADS = 64;

export interface AttentionInputShape {
  H: number;
  K: number;
  D: number;
  rotaryDim: number;
  /** q and k heads are RMS-normed (weights qNorm, kNorm [D]) before rope */
  norm: boolean;
}

/**
 * qkv [T, (H+2K)·D] → q [T, H·D], and k, v into cacheK, cacheV [S, P, K·D] at (seq[t], pos[t])
 * (rows outside the cache are skipped): q/k per-head RMSNorm where compiled in, then rope
 * (half-split; positions i32, invFreq f32[rotaryDim/2], cos and sin scaled by factor). One
 * workgroup per (row, head) of q, k and v: the head is staged in workgroup memory, so each
 * element can read its rope partner and every thread sums the squares in the CPU's order.
 * Launched over grid(T·(H+2K)).
 */
export function attentionInputsKernel(s: AttentionInputShape): Kernel {
  const { H, K, D, rotaryDim } = s;
  const heads = H + 2 * K;
  const half = rotaryDim / 2;
  const buffers: Kernel['buffers'] = [
    { name: 'qkv', access: 'read', type: 'array<f32>' },
    { name: 'q', access: 'read_write', type: 'array<f32>' },
    { name: 'cacheK', access: 'read_write', type: 'array<f32>' },
    { name: 'cacheV', access: 'read_write', type: 'array<f32>' },
    { name: 'seq', access: 'read', type: 'array<i32>' },
    { name: 'pos', access: 'read', type: 'array<i32>' },
    { name: 'invFreq', access: 'read', type: 'array<f32>' },
  ];
  if (s.norm) {
    buffers.push({ name: 'qNorm', access: 'read', type: 'array<f32>' });
    buffers.push({ name: 'kNorm', access: 'read', type: 'array<f32>' });
  }
  const value = s.norm
    ? `fn value(e: u32, inv: f32, isQ: bool) -> f32 {
  let w = select(kNorm[e], qNorm[e], isQ);
  return xs[e] * inv * (u.offset + w);
}`
    : 'fn value(e: u32, inv: f32, isQ: bool) -> f32 { return xs[e]; }';
  const inv = s.norm
    ? `var ss = 0.0;
  for (var i = 0u; i < ${D}u; i++) { ss += xs[i] * xs[i]; }
  let inv = 1.0 / sqrt(ss / ${D}.0 + u.eps);`
    : 'let inv = 1.0;';
  return wgslModule({
    buffers,
    params: [
      ['T', 'u32'],
      ['S', 'u32'],
      ['P', 'u32'],
      ['factor', 'f32'],
      ['eps', 'f32'],
      ['offset', 'f32'],
    ],
    body: `${SINCOS}
var<workgroup> xs: array<f32, ${D}>;
${value}
@compute @workgroup_size(${THREADS})
fn main(${GRID_ARGS}) {
  ${FLAT_GROUP}
  if (group >= u.T * ${heads}u) { return; }
  let t = group / ${heads}u;
  let head = group % ${heads}u;
  let src = group * ${D}u;
  let s = seq[t];
  let p = pos[t];
  let inCache = s >= 0 && u32(s) < u.S && p >= 0 && u32(p) < u.P;
  let cacheRow = (u32(s) * u.P + u32(p)) * ${K * D}u;
  if (head >= ${H + K}u) {
    if (inCache) {
      for (var e = lid; e < ${D}u; e += ${THREADS}u) {
        cacheV[cacheRow + (head - ${H + K}u) * ${D}u + e] = qkv[src + e];
      }
    }
    return;
  }
  for (var e = lid; e < ${D}u; e += ${THREADS}u) { xs[e] = qkv[src + e]; }
  workgroupBarrier();
  let isQ = head < ${H}u;
  ${inv}
  for (var e = lid; e < ${D}u; e += ${THREADS}u) {
    var y = value(e, inv, isQ);
    if (e < ${rotaryDim}u) {
      let pair = select(e - ${half}u, e, e < ${half}u);
      // the angle rounded to f32, as transformers computes it
      let cs = sincos(f32(p) * invFreq[pair]) * u.factor;
      let other = value(select(e - ${half}u, e + ${half}u, e < ${half}u), inv, isQ);
      y = select(y * cs.x + other * cs.y, y * cs.x - other * cs.y, e < ${half}u);
    }
    if (isQ) {
      q[(t * ${H}u + head) * ${D}u + e] = y;
    } else if (inCache) {
      cacheK[cacheRow + (head - ${H}u) * ${D}u + e] = y;
    }
  }
}`,
  });
}
