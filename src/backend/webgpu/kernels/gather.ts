// Row gathers, one thread per output element: embedding lookup / gatherRows (the same kernel,
// table f16 or f32, rows scaled).

import {
  FLAT_GROUP,
  GRID_ARGS,
  type Kernel,
  NAN_F32,
  type WeightType,
  weightDecl,
  weightLoader,
  wgslModule,
} from '../wgsl.js';
import { ELEMENTWISE_GROUP } from './elementwise.js';

/** table [V,C] (f16|f32), ids i32[R] → out [R,C] = table[ids] · scale; an id outside [0,V) gives NaN */
export function gatherKernel(table: WeightType): Kernel {
  return wgslModule({
    buffers: [
      weightDecl('table', table),
      { name: 'ids', access: 'read', type: 'array<i32>' },
      { name: 'out', access: 'read_write', type: 'array<f32>' },
    ],
    params: [
      ['n', 'u32'],
      ['C', 'u32'],
      ['V', 'u32'],
      ['scale', 'f32'],
    ],
    body: `${weightLoader('table', table)}
${NAN_F32}
@compute @workgroup_size(${ELEMENTWISE_GROUP})
fn main(${GRID_ARGS}) {
  ${FLAT_GROUP}
  let i = group * ${ELEMENTWISE_GROUP}u + lid;
  if (i >= u.n) { return; }
  let row = i / u.C;
  let id = ids[row];
  if (id < 0 || u32(id) >= u.V) { out[i] = nanF32(); return; }
  out[i] = tableAt(u32(id) * u.C + (i - row * u.C)) * u.scale;
}`,
  });
}
