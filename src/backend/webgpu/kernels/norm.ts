// Row reductions of sums of squares, one workgroup per row (2-D grid past 65,535 rows):
// RMSNorm (weight offset 1 for Gemma's (1 + w); rows of width W also serve per-head q/k norm)
// and the Euclidean norm of each row of a weight.

import {
  FLAT_GROUP,
  GRID_ARGS,
  type Kernel,
  type WeightType,
  weightDecl,
  weightLoader,
  wgslModule,
  workgroupSum,
} from '../wgsl.js';

/** Threads per row: a power of two in [32, 256], no more than the row needs. */
export function rowThreads(width: number): number {
  let n = 32;
  while (n < 256 && n < width) n *= 2;
  return n;
}

/** `total` = Σ load(j)² over the row, for every thread of the workgroup. */
function sumOfSquares(load: (i: string) => string, threads: number): string {
  return `  var acc = 0.0;
  for (var j = lid; j < u.W; j += ${threads}u) { let v = ${load('j')}; acc += v * v; }
  partial[lid] = acc;
${workgroupSum(threads).code}`;
}

/**
 * x [R,W] f32, w [W] → out [R,W] = x / sqrt(mean(x²) + eps) · (w + offset); with `half` (W
 * even) also its packed f16 copy, the input of a subgroup-matrix linear, without a packing pass.
 */
export function rmsNormKernel(w: WeightType, threads: number, half = false): Kernel {
  const buffers: Kernel['buffers'] = [
    { name: 'x', access: 'read', type: 'array<f32>' },
    weightDecl('w', w),
    { name: 'out', access: 'read_write', type: 'array<f32>' },
  ];
  if (half) buffers.push({ name: 'half', access: 'read_write', type: 'array<u32>' });
  const norm = (j: string): string => `x[base + ${j}] * inv * (wAt(${j}) + u.offset)`;
  const write = half
    ? `for (var j = 2u * lid; j < u.W; j += ${2 * threads}u) {
    let v = vec2<f32>(${norm('j')}, ${norm('j + 1u')});
    out[base + j] = v.x;
    out[base + j + 1u] = v.y;
    half[(base + j) / 2u] = pack2x16float(v);
  }`
    : `for (var j = lid; j < u.W; j += ${threads}u) { out[base + j] = ${norm('j')}; }`;
  return wgslModule({
    buffers,
    params: [
      ['R', 'u32'],
      ['W', 'u32'],
      ['eps', 'f32'],
      ['offset', 'f32'],
    ],
    body: `${weightLoader('w', w)}
${workgroupSum(threads).decl}
@compute @workgroup_size(${threads})
fn main(${GRID_ARGS}) {
  ${FLAT_GROUP}
  if (group >= u.R) { return; }
  let base = group * u.W;
${sumOfSquares((j) => `x[base + ${j}]`, threads)}
  let inv = inverseSqrt(total / f32(u.W) + u.eps);
  ${write}
}`,
  });
}

/** w [R,W] (f16|f32) → out f32[R] = ‖row‖₂ */
export function rowNormsKernel(w: WeightType, threads: number): Kernel {
  return wgslModule({
    buffers: [weightDecl('w', w), { name: 'out', access: 'read_write', type: 'array<f32>' }],
    params: [
      ['R', 'u32'],
      ['W', 'u32'],
    ],
    body: `${weightLoader('w', w)}
${workgroupSum(threads).decl}
@compute @workgroup_size(${threads})
fn main(${GRID_ARGS}) {
  ${FLAT_GROUP}
  if (group >= u.R) { return; }
  let base = group * u.W;
${sumOfSquares((j) => `wAt(base + ${j})`, threads)}
  if (lid == 0u) { out[group] = sqrt(total); }
}`,
  });
}
