// Linear on the GPU's matrix units through Dawn's subgroup matrices (16×16×16, f16 inputs, f32
// accumulators). Activations are f32, so they are packed to f16 beforehand (halfKernel: 2.7×
// faster on an H100 than converting while staging); A and B (f16 weights, [N,K]) are staged in
// 16-byte chunks, double-buffered with a register prefetch (one barrier per K step). N and K are
// compiled in. Full tiles are stored straight from the accumulators; edge tiles and bias go
// through a per-subgroup scratch tile, so no size needs padding.

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

/** Fastest at 4096³ on an H100 of the shapes bench/gemm.ts tries (176 TFLOP/s, 2026-11-23). */
export const SUBGROUP_DEFAULT: SubgroupTile = { wm: 4, wn: 2, tm: 2, tn: 4, bk: 32, swizzle: 8 };
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

export interface SubgroupOptions {
  /** K % 8 == 0: 16-byte loads of A and B */
  aligned: boolean;
  bias: WeightType | null;
  N: number;
  K: number;
}

/** `load<name>(row, k)`: 8 halves (a vec4u) of a packed f16 [rows, K] array; zero past its end. */
function loader(
  name: string,
  aligned: boolean,
  rowCheck: string | null,
  kCheck: string | null,
  K: number,
): string {
  if (aligned) {
    const checks = [rowCheck, kCheck].filter((c) => c !== null).join(' || ');
    const guard = checks ? `if (${checks}) { return vec4u(0u); }\n  ` : '';
    return `fn load${name}(row: u32, k: u32) -> vec4u {\n  ${guard}return ${name}[(row * ${K}u + k) / 8u];\n}`;
  }
  // element loads: any K
  const guard = [rowCheck, `k >= ${K}u`].filter((c) => c !== null).join(' || ');
  const e = (d: number): string => `elem${name}(row, k + ${d}u)`;
  return `fn elem${name}(row: u32, k: u32) -> f32 {
  if (${guard}) { return 0.0; }
  let e = row * ${K}u + k;
  return unpack2x16float(${name}[e >> 1u])[e & 1u];
}
fn load${name}(row: u32, k: u32) -> vec4u {
  return vec4u(pack2x16float(vec2(${e(0)}, ${e(1)})), pack2x16float(vec2(${e(2)}, ${e(3)})),
               pack2x16float(vec2(${e(4)}, ${e(5)})), pack2x16float(vec2(${e(6)}, ${e(7)})));
}`;
}

/**
 * A [M,K] (packed f16) · B[N,K]ᵀ (f16) + bias[N]? → C [M,N] f32, launched over grid(⌈M/bm⌉·⌈N/bn⌉).
 * C's binding must hold at least one 16×16 f32 tile (Dawn requires it of matrix stores).
 */
export function subgroupMatmulKernel(s: SubgroupTile, o: SubgroupOptions): Kernel {
  const { bm, bn, threads } = subgroupTileSize(s);
  const N = `${o.N}u`;
  const K = `${o.K}u`;
  const kCheck = o.K % s.bk === 0 ? null : `k >= ${K}`;
  const nCheck = o.N % bn === 0 ? null : `row >= ${N}`;
  const bias = o.bias;
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
  const packed = o.aligned ? 'array<vec4u>' : 'array<u32>';
  const buffers: Kernel['buffers'] = [
    { name: 'A', access: 'read', type: packed },
    { name: 'B', access: 'read', type: packed },
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
  let direct = '';
  for (let i = 0; i < s.tm; i++) {
    for (let j = 0; j < s.tn; j++) {
      accDecl += `  var acc${i}_${j} = subgroup_matrix_result<f32, 16, 16>();\n`;
      direct += `    subgroupMatrixStore<row_major>(&C, (m0 + wmi * ${s.tm * 16}u + ${i * 16}u) * ${N} + n0 + wni * ${s.tn * 16}u + ${j * 16}u, acc${i}_${j}, ${N});\n`;
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

  const loaders = `${loader('A', o.aligned, 'row >= u.M', kCheck, o.K)}
${loader('B', o.aligned, nCheck, kCheck, o.K)}`;
  const output = !bias
    ? `  if (m0 + ${bm}u <= u.M && n0 + ${bn}u <= ${N}) {
${direct}  } else {
${epilogue}  }`
    : epilogue;

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
    if (row < u.M && col < ${N}) { C[row * ${N} + col] = Cs[sg * 256u + e]${bias ? ' + biasAt(col)' : ''}; }
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
  let steps = (${K} + ${s.bk - 1}u) / ${s.bk}u;
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
${output}
}`,
  });
}
