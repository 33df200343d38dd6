// Linear on the GPU's matrix units through Dawn's subgroup matrices (16×16×16, f16 inputs, f32
// accumulators). Activations are f32, so A is converted to f16 while it is staged into
// workgroup memory; B (f16 weights, [N,K]) is copied as 16-byte chunks. Staging is
// double-buffered with a register prefetch (one barrier per K step). Results go through a
// per-subgroup scratch tile so edges, bias and any M, N, K need no padding.

import {
  FLAT_GROUP,
  GRID_ARGS,
  type Kernel,
  type WeightType,
  weightDecl,
  weightLoader,
  wgslModule,
} from '../wgsl.js';

export interface SubgroupTile {
  /** subgroups per workgroup along M and N */
  wm: number;
  wn: number;
  /** 16×16 result tiles per subgroup along M and N */
  tm: number;
  tn: number;
  /** K step per barrier (multiple of 16) */
  bk: number;
  /** grouped workgroup order: this many tile rows share B in L2 (0: row-major order) */
  swizzle: number;
}

export const SUBGROUP_DEFAULT: SubgroupTile = { wm: 2, wn: 2, tm: 4, tn: 4, bk: 32, swizzle: 8 };
const SUBGROUP = 32;
/** halves of padding per staged row: keeps rows 16-byte aligned and spreads banks */
const PAD = 8;

export function subgroupTileSize(s: SubgroupTile): {
  bm: number;
  bn: number;
  threads: number;
  sharedBytes: number;
} {
  const bm = s.wm * s.tm * 16;
  const bn = s.wn * s.tn * 16;
  const threads = s.wm * s.wn * SUBGROUP;
  const rowHalves = s.bk + PAD;
  const sharedBytes = 2 * (bm + bn) * rowHalves * 2 + s.wm * s.wn * 256 * 4;
  return { bm, bn, threads, sharedBytes };
}

/**
 * A [M,K] f32 · B[N,K]ᵀ (f16) + bias[N]? → C [M,N] f32, launched over grid(⌈M/bm⌉·⌈N/bn⌉).
 * aligned: K % 8 == 0 (16-byte loads of A and B); otherwise element loads.
 */
export function subgroupMatmulKernel(
  s: SubgroupTile,
  aligned: boolean,
  bias: WeightType | null,
): Kernel {
  const { bm, bn, threads } = subgroupTileSize(s);
  const chunksPerRow = s.bk / 8; // 16-byte chunks (8 halves) per staged row
  const aChunks = (bm * s.bk) / 8;
  const bChunks = (bn * s.bk) / 8;
  if (s.bk % 16 !== 0 || aChunks % threads !== 0 || bChunks % threads !== 0) {
    throw new Error(
      `internal: subgroup tile ${JSON.stringify(s)} does not divide among ${threads} threads`,
    );
  }
  const stride = (s.bk + PAD) / 8; // staged row stride in vec4u
  const aStage = bm * stride;
  const bStage = bn * stride;
  const buffers: Kernel['buffers'] = [
    { name: 'A', access: 'read', type: aligned ? 'array<vec4<f32>>' : 'array<f32>' },
    { name: 'B', access: 'read', type: aligned ? 'array<vec4u>' : 'array<u32>' },
    { name: 'C', access: 'read_write', type: 'array<f32>' },
  ];
  if (bias) buffers.push(weightDecl('bias', bias));

  let pre = '';
  let load = '';
  let store = '';
  for (let p = 0; p < aChunks / threads; p++) {
    pre += `  let ra${p} = lid + ${p * threads}u; let aRow${p} = m0 + ra${p} / ${chunksPerRow}u; let aCol${p} = (ra${p} % ${chunksPerRow}u) * 8u;
  let aSlot${p} = (ra${p} / ${chunksPerRow}u) * ${stride}u + ra${p} % ${chunksPerRow}u;
  var va${p}: vec4u;\n`;
    load += `    va${p} = loadA(aRow${p}, k0 + aCol${p});\n`;
    store += `    As[stage * ${aStage}u + aSlot${p}] = va${p};\n`;
  }
  for (let p = 0; p < bChunks / threads; p++) {
    pre += `  let rb${p} = lid + ${p * threads}u; let bRow${p} = n0 + rb${p} / ${chunksPerRow}u; let bCol${p} = (rb${p} % ${chunksPerRow}u) * 8u;
  let bSlot${p} = (rb${p} / ${chunksPerRow}u) * ${stride}u + rb${p} % ${chunksPerRow}u;
  var vb${p}: vec4u;\n`;
    load += `    vb${p} = loadB(bRow${p}, k0 + bCol${p});\n`;
    store += `    Bs[stage * ${bStage}u + bSlot${p}] = vb${p};\n`;
  }

  let accDecl = '';
  let compute = '';
  let epilogue = '';
  for (let i = 0; i < s.tm; i++) {
    for (let j = 0; j < s.tn; j++) {
      accDecl += `  var acc${i}_${j} = subgroup_matrix_result<f32, 16, 16>();\n`;
      epilogue += `  subgroupMatrixStore<row_major>(&Cs, sg * 256u, acc${i}_${j}, 16u);
  workgroupBarrier();
  writeTile(m0 + wmi * ${s.tm * 16}u + ${i * 16}u, n0 + wni * ${s.tn * 16}u + ${j * 16}u, sg, lane);
  workgroupBarrier();\n`;
    }
  }
  for (let kk = 0; kk < s.bk / 16; kk++) {
    for (let i = 0; i < s.tm; i++) {
      compute += `    let a${kk}_${i} = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, row_major>(&As, aBase + ${i * 16 * stride + kk * 2}u, ${stride}u);\n`;
    }
    for (let j = 0; j < s.tn; j++) {
      compute += `    let b${kk}_${j} = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>, col_major>(&Bs, bBase + ${j * 16 * stride + kk * 2}u, ${stride}u);\n`;
    }
    for (let i = 0; i < s.tm; i++) {
      for (let j = 0; j < s.tn; j++) {
        compute += `    acc${i}_${j} = subgroupMatrixMultiplyAccumulate(a${kk}_${i}, b${kk}_${j}, acc${i}_${j});\n`;
      }
    }
  }

  const loaders = aligned
    ? `fn loadA(row: u32, k: u32) -> vec4u {
  if (row >= u.M || k >= u.K) { return vec4u(0u); }
  let i = (row * u.K + k) / 4u;
  let x = A[i];
  let y = A[i + 1u];
  return vec4u(pack2x16float(x.xy), pack2x16float(x.zw), pack2x16float(y.xy), pack2x16float(y.zw));
}
fn loadB(row: u32, k: u32) -> vec4u {
  if (row >= u.N || k >= u.K) { return vec4u(0u); }
  return B[(row * u.K + k) / 8u];
}`
    : `fn elemA(row: u32, k: u32) -> f32 { if (row >= u.M || k >= u.K) { return 0.0; } return A[row * u.K + k]; }
fn elemB(row: u32, k: u32) -> f32 {
  if (row >= u.N || k >= u.K) { return 0.0; }
  let e = row * u.K + k;
  return unpack2x16float(B[e >> 1u])[e & 1u];
}
fn loadA(row: u32, k: u32) -> vec4u {
  return vec4u(pack2x16float(vec2(elemA(row, k), elemA(row, k + 1u))), pack2x16float(vec2(elemA(row, k + 2u), elemA(row, k + 3u))),
               pack2x16float(vec2(elemA(row, k + 4u), elemA(row, k + 5u))), pack2x16float(vec2(elemA(row, k + 6u), elemA(row, k + 7u))));
}
fn loadB(row: u32, k: u32) -> vec4u {
  return vec4u(pack2x16float(vec2(elemB(row, k), elemB(row, k + 1u))), pack2x16float(vec2(elemB(row, k + 2u), elemB(row, k + 3u))),
               pack2x16float(vec2(elemB(row, k + 4u), elemB(row, k + 5u))), pack2x16float(vec2(elemB(row, k + 6u), elemB(row, k + 7u))));
}`;

  const order =
    s.swizzle > 0
      ? `  let width = ${s.swizzle}u * tilesN;
  let first = (group / width) * ${s.swizzle}u;
  let rows = min(tilesM - first, ${s.swizzle}u);
  let tileM = first + (group % width) % rows;
  let tileN = (group % width) / rows;`
      : `  let tileM = group / tilesN;
  let tileN = group % tilesN;`;

  return wgslModule({
    enables: ['f16', 'chromium_experimental_subgroup_matrix'],
    buffers,
    params: [
      ['M', 'u32'],
      ['N', 'u32'],
      ['K', 'u32'],
      ['tilesN', 'u32'],
    ],
    body: `${bias ? weightLoader('bias', bias) : ''}
var<workgroup> As: array<vec4u, ${2 * aStage}>;
var<workgroup> Bs: array<vec4u, ${2 * bStage}>;
var<workgroup> Cs: array<f32, ${s.wm * s.wn * 256}>;
${loaders}
fn writeTile(row0: u32, col0: u32, sg: u32, lane: u32) {
  for (var e = lane; e < 256u; e += ${SUBGROUP}u) {
    let row = row0 + e / 16u;
    let col = col0 + e % 16u;
    if (row < u.M && col < u.N) { C[row * u.N + col] = Cs[sg * 256u + e]${bias ? ' + biasAt(col)' : ''}; }
  }
}
@compute @workgroup_size(${threads})
fn main(${GRID_ARGS}) {
  ${FLAT_GROUP}
  let tilesM = (u.M + ${bm - 1}u) / ${bm}u;
  let tilesN = u.tilesN;
  if (group >= tilesM * tilesN) { return; }
${order}
  let m0 = tileM * ${bm}u;
  let n0 = tileN * ${bn}u;
  let sg = lid / ${SUBGROUP}u;
  let lane = lid % ${SUBGROUP}u;
  let wmi = sg / ${s.wn}u;
  let wni = sg % ${s.wn}u;
${pre}${accDecl}
  let steps = (u.K + ${s.bk - 1}u) / ${s.bk}u;
  { let k0 = 0u; let stage = 0u;
${load}${store}  }
  workgroupBarrier();
  for (var step = 0u; step < steps; step++) {
    let cur = step & 1u;
    if (step + 1u < steps) {
      let k0 = (step + 1u) * ${s.bk}u;
${load}    }
    let aBase = cur * ${aStage}u + wmi * ${s.tm * 16 * stride}u;
    let bBase = cur * ${bStage}u + wni * ${s.tn * 16 * stride}u;
${compute}    if (step + 1u < steps) {
      let stage = 1u - cur;
${store}    }
    workgroupBarrier();
  }
${epilogue}}`,
  });
}
