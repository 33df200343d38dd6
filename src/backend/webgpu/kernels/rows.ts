// Per-row reductions over a vocabulary-sized row, one workgroup per row (2-D grid past 65,535
// rows; threads per row from rowThreads): log-softmax (online max/sum in one read), argmax (lowest index on
// ties), and KL divergence of two log-probability rows.

import { FLAT_GROUP, GRID_ARGS, type Kernel, wgslModule, workgroupSum } from '../wgsl.js';

/** x [R,V] → out [R,V] = x − logΣexp(x) per row */
export function logSoftmaxKernel(N: number): Kernel {
  return wgslModule({
    buffers: [
      { name: 'x', access: 'read', type: 'array<f32>' },
      { name: 'out', access: 'read_write', type: 'array<f32>' },
    ],
    params: [
      ['R', 'u32'],
      ['V', 'u32'],
    ],
    body: `
var<workgroup> ms: array<f32, ${N}>;
var<workgroup> ss: array<f32, ${N}>;
@compute @workgroup_size(${N})
fn main(${GRID_ARGS}) {
  ${FLAT_GROUP}
  if (group >= u.R) { return; }
  let base = group * u.V;
  var m = -3.0e38;
  var s = 0.0;
  for (var j = lid; j < u.V; j += ${N}u) {
    let v = x[base + j];
    if (v > m) { s = s * exp(m - v) + 1.0; m = v; } else { s += exp(v - m); }
  }
  ms[lid] = m;
  ss[lid] = s;
  workgroupBarrier();
  for (var step = ${N / 2}u; step >= 1u; step /= 2u) {
    if (lid < step) {
      let m1 = ms[lid];
      let m2 = ms[lid + step];
      let mm = max(m1, m2);
      ss[lid] = ss[lid] * exp(m1 - mm) + ss[lid + step] * exp(m2 - mm);
      ms[lid] = mm;
    }
    workgroupBarrier();
  }
  let lse = ms[0] + log(ss[0]);
  for (var j = lid; j < u.V; j += ${N}u) { out[base + j] = x[base + j] - lse; }
}`,
  });
}

/** x [R,V] → out i32[R], index of the row maximum, lowest index on ties */
export function argmaxKernel(N: number): Kernel {
  return wgslModule({
    buffers: [
      { name: 'x', access: 'read', type: 'array<f32>' },
      { name: 'out', access: 'read_write', type: 'array<i32>' },
    ],
    params: [
      ['R', 'u32'],
      ['V', 'u32'],
    ],
    body: `
const NONE = 0xffffffffu;
var<workgroup> vals: array<f32, ${N}>;
var<workgroup> idxs: array<u32, ${N}>;
@compute @workgroup_size(${N})
fn main(${GRID_ARGS}) {
  ${FLAT_GROUP}
  if (group >= u.R) { return; }
  let base = group * u.V;
  var best = 0.0;
  var bestIndex = NONE;
  for (var j = lid; j < u.V; j += ${N}u) {
    let v = x[base + j];
    if (bestIndex == NONE || v > best) { best = v; bestIndex = j; }
  }
  vals[lid] = best;
  idxs[lid] = bestIndex;
  workgroupBarrier();
  for (var step = ${N / 2}u; step >= 1u; step /= 2u) {
    if (lid < step) {
      let i2 = idxs[lid + step];
      let v2 = vals[lid + step];
      let i1 = idxs[lid];
      if (i2 != NONE && (i1 == NONE || v2 > vals[lid] || (v2 == vals[lid] && i2 < i1))) {
        vals[lid] = v2;
        idxs[lid] = i2;
      }
    }
    workgroupBarrier();
  }
  if (lid == 0u) { out[group] = i32(idxs[0]); }
}`,
  });
}

/** logP, logQ [R,V] → out f32[R] = Σ exp(logP)·(logP − logQ); terms with P = 0 count 0 */
export function klDivergenceKernel(N: number): Kernel {
  const sum = workgroupSum(N);
  return wgslModule({
    buffers: [
      { name: 'logP', access: 'read', type: 'array<f32>' },
      { name: 'logQ', access: 'read', type: 'array<f32>' },
      { name: 'out', access: 'read_write', type: 'array<f32>' },
    ],
    params: [
      ['R', 'u32'],
      ['V', 'u32'],
    ],
    body: `
${sum.decl}
@compute @workgroup_size(${N})
fn main(${GRID_ARGS}) {
  ${FLAT_GROUP}
  if (group >= u.R) { return; }
  let base = group * u.V;
  var acc = 0.0;
  for (var j = lid; j < u.V; j += ${N}u) {
    let lp = logP[base + j];
    let p = exp(lp);
    if (p > 0.0) { acc += p * (lp - logQ[base + j]); }
  }
  partial[lid] = acc;
${sum.code}  if (lid == 0u) { out[group] = total; }
}`,
  });
}
