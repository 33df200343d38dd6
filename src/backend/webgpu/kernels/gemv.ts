// Decode-time linear for T ≤ GEMV_MAX_ROWS rows: memory-bound, so the kernel streams each weight
// row once with 16-byte loads (8 halves or 4 floats) spread over up to 128 threads, applies it
// to every input row, and combines the per-thread sums in workgroup memory. A scalar variant
// covers K that is not a multiple of the vector width.

import {
  FLAT_GROUP,
  GRID_ARGS,
  type Kernel,
  type WeightType,
  weightDecl,
  weightLoader,
  wgslModule,
} from '../wgsl.js';

export const GEMV_MAX_ROWS = 8;
/** most threads per workgroup (short rows get fewer: one 16-byte chunk per thread at least) */
const MAX_THREADS = 128;
/** weight rows (outputs) per workgroup; each thread reuses its x chunk for all of them */
export const GEMV_ROWS_PER_GROUP = 2;

/** `value`, or `target + (value)` when accumulating: a linear's output added as the CPU adds it */
export function added(target: string, value: string, accumulate: boolean): string {
  return accumulate ? `${target} + (${value})` : value;
}

/** Threads per workgroup for rows of K elements: a power of two in [32, 128]. */
export function gemvThreads(w: WeightType, K: number): number {
  let n = 32;
  while (n < MAX_THREADS && n * gemvVectorWidth(w) < K) n *= 2;
  return n;
}

/** Elements per 16-byte load of a weight of this type. */
export function gemvVectorWidth(w: WeightType): number {
  return w === 'f16' ? 8 : 4;
}

/**
 * x [T,K] f32 · w[N,K]ᵀ + bias[N]? → y [T,N], or added to y (`accumulate`); T and TH threads
 * compiled in; launched over grid(⌈N/rows per group⌉)
 */
export function gemvKernel(
  w: WeightType,
  T: number,
  vectorized: boolean,
  bias: WeightType | null,
  TH: number,
  accumulate: boolean,
): Kernel {
  const R = GEMV_ROWS_PER_GROUP;
  const outputs = R * T;
  // threads per output in the first level of the final combine: a power of two, at most 8,
  // with a thread for each (output, segment)
  let SEGMENTS = 8;
  while (SEGMENTS * outputs > TH) SEGMENTS /= 2;
  const buffers: Kernel['buffers'] = [
    { name: 'x', access: 'read', type: vectorized ? 'array<vec4<f32>>' : 'array<f32>' },
    vectorized
      ? { name: 'w', access: 'read', type: w === 'f16' ? 'array<vec4u>' : 'array<vec4<f32>>' }
      : weightDecl('w', w),
    { name: 'y', access: 'read_write', type: 'array<f32>' },
  ];
  if (bias) buffers.push(weightDecl('bias', bias));
  let decl = '';
  let body = '';
  let stash = '';
  for (let r = 0; r < R; r++) {
    for (let t = 0; t < T; t++) {
      decl += `  var acc${r}_${t} = 0.0;\n`;
      stash += `  partial[${r * T + t}u * ${TH}u + lid] = acc${r}_${t};\n`;
    }
  }
  if (vectorized) {
    const width = gemvVectorWidth(w);
    // one chunk = 16 bytes of weight; x holds 2 (f16 weights) or 1 vec4 per chunk
    for (let t = 0; t < T; t++) {
      body +=
        w === 'f16'
          ? `      let xa${t} = x[(${t}u * u.K) / 4u + 2u * c]; let xb${t} = x[(${t}u * u.K) / 4u + 2u * c + 1u];\n`
          : `      let xa${t} = x[(${t}u * u.K) / 4u + c];\n`;
    }
    for (let r = 0; r < R; r++) {
      body += `      if (n0 + ${r}u < u.N) {\n        let wv = w[(n0 + ${r}u) * chunks + c];\n`;
      if (w === 'f16') {
        body += `        let wa = vec4<f32>(unpack2x16float(wv.x), unpack2x16float(wv.y));
        let wb = vec4<f32>(unpack2x16float(wv.z), unpack2x16float(wv.w));\n`;
        for (let t = 0; t < T; t++)
          body += `        acc${r}_${t} += dot(wa, xa${t}) + dot(wb, xb${t});\n`;
      } else {
        for (let t = 0; t < T; t++) body += `        acc${r}_${t} += dot(wv, xa${t});\n`;
      }
      body += '      }\n';
    }
    body = `  let chunks = u.K / ${width}u;
  for (var c = lid; c < chunks; c += ${TH}u) {
${body}  }\n`;
  } else {
    for (let t = 0; t < T; t++) body += `      let x${t} = x[${t}u * u.K + k];\n`;
    for (let r = 0; r < R; r++) {
      body += `      if (n0 + ${r}u < u.N) { let wv = wAt((n0 + ${r}u) * u.K + k);\n`;
      for (let t = 0; t < T; t++) body += `        acc${r}_${t} += wv * x${t};\n`;
      body += '      }\n';
    }
    body = `  for (var k = lid; k < u.K; k += ${TH}u) {
${body}  }\n`;
  }
  return wgslModule({
    buffers,
    params: [
      ['N', 'u32'],
      ['K', 'u32'],
    ],
    body: `${vectorized ? '' : weightLoader('w', w)}
${bias ? weightLoader('bias', bias) : ''}
var<workgroup> partial: array<f32, ${outputs * TH}>;
var<workgroup> partial2: array<f32, ${outputs * SEGMENTS}>;
@compute @workgroup_size(${TH})
fn main(${GRID_ARGS}) {
  ${FLAT_GROUP}
  let n0 = group * ${R}u;
  if (n0 >= u.N) { return; }
${decl}${body}${stash}  workgroupBarrier();
  // two-level combine: SEGMENTS threads per output each add TH/SEGMENTS partials, then one
  // thread per output adds those (two barriers in all)
  if (lid < ${outputs * SEGMENTS}u) {
    let o = lid / ${SEGMENTS}u;
    let first = o * ${TH}u + (lid % ${SEGMENTS}u) * ${TH / SEGMENTS}u;
    var s = 0.0;
    for (var i = 0u; i < ${TH / SEGMENTS}u; i++) { s += partial[first + i]; }
    partial2[lid] = s;
  }
  workgroupBarrier();
  if (lid < ${outputs}u) {
    let r = lid / ${T}u;
    let t = lid % ${T}u;
    let n = n0 + r;
    var sum = 0.0;
    for (var i = 0u; i < ${SEGMENTS}u; i++) { sum += partial2[lid * ${SEGMENTS}u + i]; }
    if (n < u.N) { y[t * u.N + n] = ${added('y[t * u.N + n]', `sum${bias ? ' + biasAt(n)' : ''}`, accumulate)}; }
  }
}`,
  });
}
