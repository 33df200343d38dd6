// Batched-decode linear for SKINNY_MIN_ROWS ≤ T ≤ SKINNY_MAX_ROWS (32) rows: memory-bound on the weights,
// so each workgroup keeps all T rows (padded to 16) and streams a narrow block of weight rows once.
// A workgroup of S subgroups owns S·16 output columns; each subgroup loads its 16×16 weight tiles
// straight from memory into subgroup matrices and multiplies them by every 16-row tile of x,
// which the workgroup stages in shared memory as f16 (converted from f32 on the way: no separate
// packing dispatch). Too few column blocks to fill the GPU are split along K over several
// workgroups (split-K); their partial sums [splits, Tpad, N] are then added by splitReduceKernel.

import {
  FLAT_GROUP,
  GRID_ARGS,
  type Kernel,
  type WeightType,
  weightDecl,
  weightLoader,
  wgslModule,
} from '../wgsl.js';

export const SKINNY_MIN_ROWS = 9;
/**
 * Above 32 rows the subgroup-matrix kernel's small tiles with split K are faster on the H100 (a
 * decode step's linears at 64 rows 18.8 vs 22.5 ms; at 16 and 32 rows the skinny kernel wins,
 * 14.5 vs 17.4 and 15.7 vs 18.4 ms: bench/RESULTS.md)
 */
export const SKINNY_MAX_ROWS = 32;
const SUBGROUP = 32;
/** halves of padding per staged row of x: keeps rows 16-byte aligned and spreads banks */
const PAD = 8;
const MAX_SPLITS = 16;

export interface SkinnyTile {
  /** subgroups per workgroup; each owns 16 output columns */
  subgroups: number;
  /** K step per barrier (multiple of 16) */
  bk: number;
  /** split K until the grid has at least this many workgroups */
  minGroups: number;
  /** stage the weight tiles in shared memory too (16-byte coalesced loads) rather than loading
   * them straight into subgroup matrices */
  stageWeights: boolean;
}

export const SKINNY_DEFAULT: SkinnyTile = {
  subgroups: 8,
  bk: 64,
  minGroups: 264,
  stageWeights: false,
};

export interface SkinnyPlan {
  /** 16-row tiles of x */
  MT: number;
  /** column blocks of S·16 */
  tilesN: number;
  /** K ranges (workgroups per column block) */
  splits: number;
  /** bk-chunks of K per split */
  chunksPerSplit: number;
  /** workgroup memory the kernel declares */
  sharedBytes: number;
}

/** Whether the skinny kernel handles this linear (else the general matrix kernel does). */
export function skinnyApplies(T: number, N: number, K: number): boolean {
  return T >= SKINNY_MIN_ROWS && T <= SKINNY_MAX_ROWS && N >= 16 && K % 16 === 0;
}

export function skinnyPlan(s: SkinnyTile, T: number, N: number, K: number): SkinnyPlan {
  const MT = Math.ceil(T / 16);
  const tilesN = Math.ceil(N / (s.subgroups * 16));
  const chunks = Math.ceil(K / s.bk);
  // at least two chunks per split, so the double buffer has something to overlap; at most
  // MAX_SPLITS, so the partial sums stay small beside the weights
  const most = Math.max(1, Math.min(MAX_SPLITS, Math.floor(chunks / 2)));
  let splits = Math.min(most, Math.max(1, Math.ceil(s.minGroups / tilesN)));
  const chunksPerSplit = Math.ceil(chunks / splits);
  splits = Math.ceil(chunks / chunksPerSplit); // no empty split
  const stage = (MT * 16 + (s.stageWeights ? s.subgroups * 16 : 0)) * ((s.bk + PAD) / 8) * 16;
  const sharedBytes = 2 * stage + (splits === 1 ? s.subgroups * 256 * 4 : 0);
  return { MT, tilesN, splits, chunksPerSplit, sharedBytes };
}

export interface SkinnyOptions {
  N: number;
  K: number;
  bias: WeightType | null;
}

/**
 * x [T,K] f32 · w[N,K]ᵀ (f16) → out, launched over grid(tilesN · splits); T ≤ MT·16 is a parameter.
 * One split: out is y [T,N] (+ bias). Several: out is the partial sums [splits, MT·16, N] (no bias).
 * Needs K % 16 == 0 and N ≥ 16 (the last column block is shifted back inside N).
 */
export function skinnyKernel(s: SkinnyTile, p: SkinnyPlan, o: SkinnyOptions): Kernel {
  const { MT, tilesN, splits, chunksPerSplit } = p;
  const S = s.subgroups;
  const threads = S * SUBGROUP;
  const { N, K, bk } = { N: o.N, K: o.K, bk: s.bk };
  const direct = splits === 1;
  const bias = direct ? o.bias : null;
  const Tpad = MT * 16;
  const perRow = bk / 8; // vec4u slots (8 halves) per staged row
  const stride = (bk + PAD) / 8;
  const aStage = Tpad * stride;
  const slots = Tpad * perRow;
  const loads = Math.ceil(slots / threads);
  // every split runs chunksPerSplit chunks, a constant trip count (run-time ones cost 20 % in
  // the subgroup GEMM): the last split's chunks past K are skipped tile by tile like a ragged end
  const ragged = K % bk !== 0 || splits * chunksPerSplit > Math.ceil(K / bk);
  if (bk % 16 !== 0 || K % 16 !== 0 || N < 16) {
    throw new Error(`internal: skinny kernel needs bk, K multiples of 16 and N ≥ 16`);
  }
  const buffers: Kernel['buffers'] = [
    { name: 'x', access: 'read', type: 'array<vec4<f32>>' },
    { name: 'w', access: 'read', type: 'array<vec4u>' },
    { name: 'out', access: 'read_write', type: 'array<f32>' },
  ];
  if (bias) buffers.push(weightDecl('bias', bias));

  // staging x: slot r of a chunk is row r / perRow, halves (r % perRow)·8 .. +8
  let pre = '';
  let fetch = '';
  let put = '';
  for (let q = 0; q < loads; q++) {
    const guard = (q + 1) * threads > slots ? `r${q} < ${slots}u && ` : '';
    pre += `  let r${q} = lid + ${q * threads}u; let row${q} = r${q} / ${perRow}u; let col${q} = (r${q} % ${perRow}u) * 8u;
  let slot${q} = row${q} * ${stride}u + r${q} % ${perRow}u;
  var v${q} = vec4u(0u);\n`;
    fetch += `    v${q} = stageLoad(${guard ? `r${q} < ${slots}u` : 'true'}, row${q}, k0 + col${q});\n`;
    put += `    ${guard ? `if (r${q} < ${slots}u) ` : ''}{ As[stage * ${aStage}u + slot${q}] = v${q}; }\n`;
  }
  // staging weights: slot r is weight row r / perRow of the block (16 per subgroup, shifted back
  // inside N like n0), halves (r % perRow)·8 .. +8; every slot is in range
  const bRows = S * 16;
  const bStage = bRows * stride;
  const bLoads = s.stageWeights ? (bRows * perRow) / threads : 0;
  if (!Number.isInteger(bLoads)) throw new Error('internal: skinny weight stage does not divide');
  for (let q = 0; q < bLoads; q++) {
    pre += `  let rb${q} = lid + ${q * threads}u; let bRow${q} = rb${q} / ${perRow}u;
  let bSrc${q} = (min(tileN * ${bRows}u + (bRow${q} / 16u) * 16u, ${N - 16}u) + bRow${q} % 16u) * ${K / 8}u + rb${q} % ${perRow}u;
  let bSlot${q} = bRow${q} * ${stride}u + rb${q} % ${perRow}u;
  let bCol${q} = (rb${q} % ${perRow}u) * 8u;
  var vb${q} = vec4u(0u);\n`;
    fetch += `    if (k0 + bCol${q} < ${K}u) { vb${q} = w[bSrc${q} + k0 / 8u]; }\n`;
    put += `    Bs[stage * ${bStage}u + bSlot${q}] = vb${q};\n`;
  }

  let accDecl = '';
  for (let i = 0; i < MT; i++)
    accDecl += `  var acc${i} = subgroup_matrix_result<f32, 16, 16>();\n`;
  const kSteps = bk / 16;
  // one K step of 16: a weight tile, then every row tile of x
  const step = (kk: number, indent: string): string => {
    let c = s.stageWeights
      ? `${indent}let b${kk} = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>, col_major>(&Bs, bBase + ${kk * 2}u, ${stride}u);\n`
      : `${indent}let b${kk} = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>, col_major>(&w, wBase + (k0 + ${kk * 16}u) / 8u, ${K / 8}u);\n`;
    for (let i = 0; i < MT; i++) {
      c += `${indent}acc${i} = subgroupMatrixMultiplyAccumulate(subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>, row_major>(&As, aBase + ${i * 16 * stride + kk * 2}u, ${stride}u), b${kk}, acc${i});\n`;
    }
    return c;
  };
  let full = '';
  for (let kk = 0; kk < kSteps; kk++) full += step(kk, '      ');
  let compute = full;
  if (ragged) {
    let tail = '';
    for (let kk = 0; kk < kSteps; kk++)
      tail += `      if (k0 + ${kk * 16}u < ${K}u) {\n${step(kk, '        ')}      }\n`;
    compute = `      if (k0 + ${bk}u <= ${K}u) {\n${full}      } else {\n${tail}      }\n`;
  }

  let output = '';
  if (direct) {
    for (let i = 0; i < MT; i++) {
      const through = `    subgroupMatrixStore<row_major>(&Cs, sg * 256u, acc${i}, 16u);
    workgroupBarrier();
    writeTile(${i * 16}u, n0, sg, lane);
    workgroupBarrier();\n`;
      output += bias
        ? `  {\n${through}  }\n`
        : `  if (${(i + 1) * 16}u <= u.T) {
    subgroupMatrixStore<row_major>(&out, ${i * 16}u * ${N}u + n0, acc${i}, ${N}u);
  } else {
${through}  }\n`;
    }
  } else {
    for (let i = 0; i < MT; i++)
      output += `  subgroupMatrixStore<row_major>(&out, (split * ${Tpad}u + ${i * 16}u) * ${N}u + n0, acc${i}, ${N}u);\n`;
  }

  return wgslModule({
    enables: ['f16', 'chromium_experimental_subgroup_matrix'],
    buffers,
    params: [['T', 'u32']],
    body: `${bias ? weightLoader('bias', bias) : ''}
var<workgroup> As: array<vec4u, ${2 * aStage}>;
${s.stageWeights ? `var<workgroup> Bs: array<vec4u, ${2 * bStage}>;` : ''}
${direct ? `var<workgroup> Cs: array<f32, ${S * 256}>;` : ''}
/** 8 consecutive elements of x row \`row\` from k, as packed halves; zero past T or K */
fn stageLoad(inRange: bool, row: u32, k: u32) -> vec4u {
  if (!inRange || row >= u.T || k >= ${K}u) { return vec4u(0u); }
  let e = (row * ${K}u + k) / 4u;
  let a = x[e];
  let b = x[e + 1u];
  return vec4u(pack2x16float(a.xy), pack2x16float(a.zw), pack2x16float(b.xy), pack2x16float(b.zw));
}
${
  direct
    ? `fn writeTile(row0: u32, col0: u32, sg: u32, lane: u32) {
  for (var e = lane; e < 256u; e += ${SUBGROUP}u) {
    let row = row0 + e / 16u;
    let col = col0 + e % 16u;
    if (row < u.T) { out[row * ${N}u + col] = Cs[sg * 256u + e]${bias ? ' + biasAt(col)' : ''}; }
  }
}`
    : ''
}
@compute @workgroup_size(${threads})
fn main(${GRID_ARGS}) {
  ${FLAT_GROUP}
  if (group >= ${tilesN * splits}u) { return; }
  let tileN = group % ${tilesN}u;
  let split = group / ${tilesN}u;
  let sg = lid / ${SUBGROUP}u;
  let lane = lid % ${SUBGROUP}u;
  // the last block is shifted back inside N: its overlapping columns are computed twice, alike
  let n0 = min(tileN * ${S * 16}u + sg * 16u, ${N - 16}u);
  let wBase = n0 * ${K / 8}u;
  let c0 = split * ${chunksPerSplit}u;
${pre}${accDecl}
  { let k0 = c0 * ${bk}u; let stage = 0u;
${fetch}${put}  }
  workgroupBarrier();
  for (var t = 0u; t < ${chunksPerSplit}u; t++) {
    let cur = t & 1u;
    if (t + 1u < ${chunksPerSplit}u) {
      let k0 = (c0 + t + 1u) * ${bk}u;
${fetch}    }
    {
      let k0 = (c0 + t) * ${bk}u;
      let aBase = cur * ${aStage}u;
      let bBase = cur * ${bStage}u + sg * ${16 * stride}u;
${compute}    }
    if (t + 1u < ${chunksPerSplit}u) {
      let stage = 1u - cur;
${put}    }
    workgroupBarrier();
  }
${output}}`,
  });
}
