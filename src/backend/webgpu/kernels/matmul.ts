// Tiled matrix product on plain f32 arithmetic (weights f16 or f32): the path for adapters
// without subgroup matrices (SwiftShader in CI) and for linearTransposed. Each workgroup stages
// a BK-deep slab of A and B in workgroup memory; each thread accumulates a TM×TN block of C.
// Every load is bounds-checked, so no size needs to be a multiple of a tile.

import {
  FLAT_GROUP,
  GRID_ARGS,
  type Kernel,
  type WeightType,
  weightDecl,
  weightLoader,
  wgslModule,
} from '../wgsl.js';

/** B's layout: 'nk' = [N,K] (Hugging Face out×in, linear); 'kn' = [K,N] (linearTransposed). */
export type BLayout = 'nk' | 'kn';

export interface TiledShape {
  /** threads per workgroup along N and M */
  tx: number;
  ty: number;
  /** outputs per thread along M and N */
  tm: number;
  tn: number;
  bk: number;
}

export const TILED_DEFAULT: TiledShape = { tx: 16, ty: 16, tm: 4, tn: 4, bk: 16 };

export function tiledTile(s: TiledShape): { bm: number; bn: number } {
  return { bm: s.ty * s.tm, bn: s.tx * s.tn };
}

/** A [M,K] f32 · B (layout, f16|f32) + bias [N]? → C [M,N] f32; launched over grid(⌈M/bm⌉·⌈N/bn⌉) */
export function tiledMatmulKernel(
  b: WeightType,
  layout: BLayout,
  bias: WeightType | null,
  s: TiledShape,
): Kernel {
  const { bm, bn } = tiledTile(s);
  const threads = s.tx * s.ty;
  const buffers: Kernel['buffers'] = [
    { name: 'A', access: 'read', type: 'array<f32>' },
    weightDecl('B', b),
    { name: 'C', access: 'read_write', type: 'array<f32>' },
  ];
  if (bias) buffers.push(weightDecl('bias', bias));
  // B tile element (k, n) of the slab: global index and the thread-to-element map that keeps
  // consecutive threads on consecutive addresses for either layout
  const bLoad =
    layout === 'nk'
      ? `let kk = e % ${s.bk}u; let nn = e / ${s.bk}u; let gn = n0 + nn; let gk = k0 + kk;
      var v = 0.0; if (gn < u.N && gk < u.K) { v = BAt(gn * u.K + gk); } Bs[kk * ${bn}u + nn] = v;`
      : `let nn = e % ${bn}u; let kk = e / ${bn}u; let gn = n0 + nn; let gk = k0 + kk;
      var v = 0.0; if (gn < u.N && gk < u.K) { v = BAt(gk * u.N + gn); } Bs[kk * ${bn}u + nn] = v;`;
  let accDecl = '';
  let fma = '';
  let store = '';
  for (let i = 0; i < s.tm; i++) {
    for (let j = 0; j < s.tn; j++) {
      accDecl += `  var c${i}_${j} = 0.0;\n`;
      fma += `      c${i}_${j} += a${i} * b${j};\n`;
      store += `  { let gm = m0 + ty + ${i * s.ty}u; let gn = n0 + tx + ${j * s.tx}u;
    if (gm < u.M && gn < u.N) { C[gm * u.N + gn] = c${i}_${j}${bias ? ' + biasAt(gn)' : ''}; } }\n`;
    }
  }
  let loadA = '';
  for (let i = 0; i < s.tm; i++)
    loadA += `      let a${i} = As[kk * ${bm}u + ty + ${i * s.ty}u];\n`;
  for (let j = 0; j < s.tn; j++)
    loadA += `      let b${j} = Bs[kk * ${bn}u + tx + ${j * s.tx}u];\n`;
  return wgslModule({
    buffers,
    params: [
      ['M', 'u32'],
      ['N', 'u32'],
      ['K', 'u32'],
      ['tilesN', 'u32'],
    ],
    body: `${weightLoader('B', b)}
${bias ? weightLoader('bias', bias) : ''}
var<workgroup> As: array<f32, ${s.bk * bm}>;
var<workgroup> Bs: array<f32, ${s.bk * bn}>;
@compute @workgroup_size(${threads})
fn main(${GRID_ARGS}) {
  ${FLAT_GROUP}
  let tilesM = (u.M + ${bm - 1}u) / ${bm}u;
  if (group >= tilesM * u.tilesN) { return; }
  let m0 = (group / u.tilesN) * ${bm}u;
  let n0 = (group % u.tilesN) * ${bn}u;
  let tx = lid % ${s.tx}u;
  let ty = lid / ${s.tx}u;
${accDecl}  for (var k0 = 0u; k0 < u.K; k0 += ${s.bk}u) {
    for (var e = lid; e < ${bm * s.bk}u; e += ${threads}u) {
      let kk = e % ${s.bk}u; let mm = e / ${s.bk}u; let gm = m0 + mm; let gk = k0 + kk;
      var v = 0.0; if (gm < u.M && gk < u.K) { v = A[gm * u.K + gk]; } As[kk * ${bm}u + mm] = v;
    }
    for (var e = lid; e < ${bn * s.bk}u; e += ${threads}u) {
      ${bLoad}
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${s.bk}u; kk++) {
${loadA}${fma}    }
    workgroupBarrier();
  }
${store}}`,
  });
}
