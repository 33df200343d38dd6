// Run-time directional ablation of one component's output, in place, one workgroup per row:
//   ŷ = y ⊘ n;  y' = s_p ⊙ (ŷ − w_p · v_p (v_pᵀ ŷ)),  p = rowPlan[t] (the formula in backend.ts).
// Variants leave out the bindings a mode does not use (no norm, no scale, one plan for all rows).

import { FLAT_GROUP, GRID_ARGS, type Kernel, wgslModule, workgroupSum } from '../wgsl.js';

export interface AblateVariant {
  inverseNorm: boolean;
  outScale: boolean;
  rowPlan: boolean;
}

/** y [T,C] in place; directions [P,C], weights [P], inverseNorm [C]?, outScale [P,C]?, rowPlan i32[T]? */
export function ablateKernel(v: AblateVariant, threads: number): Kernel {
  const buffers: Kernel['buffers'] = [
    { name: 'y', access: 'read_write', type: 'array<f32>' },
    { name: 'directions', access: 'read', type: 'array<f32>' },
    { name: 'weights', access: 'read', type: 'array<f32>' },
  ];
  if (v.inverseNorm) buffers.push({ name: 'inverseNorm', access: 'read', type: 'array<f32>' });
  if (v.outScale) buffers.push({ name: 'outScale', access: 'read', type: 'array<f32>' });
  if (v.rowPlan) buffers.push({ name: 'rowPlan', access: 'read', type: 'array<i32>' });
  const normalized = (j: string): string =>
    v.inverseNorm ? `y[base + ${j}] * inverseNorm[${j}]` : `y[base + ${j}]`;
  const sum = workgroupSum(threads);
  const scaled = (e: string, j: string): string =>
    v.outScale ? `outScale[plan * u.C + ${j}] * (${e})` : e;
  return wgslModule({
    buffers,
    params: [
      ['T', 'u32'],
      ['C', 'u32'],
    ],
    body: `
${sum.decl}
@compute @workgroup_size(${threads})
fn main(${GRID_ARGS}) {
  ${FLAT_GROUP}
  if (group >= u.T) { return; }
  let base = group * u.C;
  let plan = ${v.rowPlan ? 'u32(rowPlan[group])' : '0u'};
  let dir = plan * u.C;
  var acc = 0.0;
  for (var j = lid; j < u.C; j += ${threads}u) { acc += directions[dir + j] * ${normalized('j')}; }
  partial[lid] = acc;
${sum.code}  let k = weights[plan] * total;
  for (var j = lid; j < u.C; j += ${threads}u) {
    let yh = ${normalized('j')};
    y[base + j] = ${scaled('yh - k * directions[dir + j]', 'j')};
  }
}`,
  });
}
