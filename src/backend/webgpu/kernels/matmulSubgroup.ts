// Linear on the GPU's matrix units through Dawn's subgroup matrices (16×16×16, f16 inputs, f32
// accumulators). Activations are f32, so they are packed to f16 beforehand (halfKernel: 2.7×
// faster on an H100 than converting while staging); A and B (f16 weights, [N,K]) are staged in
// 16-byte chunks, double-buffered with a register prefetch (one barrier per K step). N and K are
// compiled in. Full tiles are stored straight from the accumulators; edge tiles and bias go
// through a per-subgroup scratch tile, so no size needs padding.
// Few rows (batched decode) leave too few output tiles to fill the GPU: a tile of few rows then
// covers them all, and K is split over several workgroups (split-K) whose partial sums
// splitReduceKernel adds, so every weight byte is still read once and every SM streams.

import {
  FLAT_GROUP,
  GRID_ARGS,
  type Kernel,
  type WeightType,
  weightDecl,
  weightLoader,
  wgslModule,
} from '../wgsl.js';
import { added } from './gemv.js';

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
  /**
   * K steps whose loads are in flight at once (register sets; default 1). Few rows (decode) do
   * little work per step, so one step of loads in flight leaves the memory latency exposed.
   */
  depth?: number;
}

/**
 * The tile for more than 1024 rows (prefill, the GEMM benchmark): fastest at 4096³ on an H100
 * of the shapes bench/gemm.ts tries, 196.8 TFLOP/s against 173.0 for the 128×128 tile that
 * TILES_BY_ROWS keeps up to 1024 rows, where it is ahead (at 500 rows a step's linears took 47.5
 * against 50.5 ms). Three K steps of loads in flight.
 */
export const SUBGROUP_DEFAULT: SubgroupTile = {
  wm: 2,
  wn: 4,
  tm: 4,
  tn: 4,
  bk: 16,
  swizzle: 8,
  depth: 3,
};

/** A tile for at most `rows` rows of A; above the last, SUBGROUP_DEFAULT. */
export interface RowsTile {
  rows: number;
  tile: SubgroupTile;
  /** split K until the grid has this many workgroups (default: the backend's split policy) */
  minGroups?: number;
}

/**
 * Tiles by rows. Few rows (batched decode): each tile covers every row in one tile row. 64 rows:
 * 64×64 tiles of 8 subgroups, K steps of 64, split to 4 workgroups an SM: a decode step's
 * linears 16.7 → 14.4 ms against 64×128 tiles split to 2 (bench/RESULTS.md, H100). Up to 1024
 * rows (trials' decode steps), 128×128.
 */
export const TILES_BY_ROWS: RowsTile[] = [
  { rows: 16, tile: { wm: 1, wn: 8, tm: 1, tn: 1, bk: 32, swizzle: 0 } },
  { rows: 32, tile: { wm: 1, wn: 8, tm: 2, tn: 1, bk: 32, swizzle: 0 } },
  { rows: 64, tile: { wm: 4, wn: 2, tm: 1, tn: 2, bk: 64, swizzle: 0 }, minGroups: 528 },
  { rows: 1024, tile: { wm: 4, wn: 2, tm: 2, tn: 4, bk: 32, swizzle: 8 } },
];

/** The tile for M rows: the first of `byRows` that holds them, else `general`. */
export function tileForRows(
  byRows: readonly RowsTile[],
  general: SubgroupTile,
  M: number,
): { tile: SubgroupTile; minGroups?: number } {
  return byRows.find((t) => M <= t.rows) ?? { tile: general };
}

/** When to split K: until the grid has `minGroups` workgroups, each with `minSteps` K steps at least. */
export interface SplitPolicy {
  minGroups: number;
  minSteps: number;
  maxSplits: number;
}

/** Two workgroups per SM of a 132-SM H100, each at least 8 K steps long. */
export const SPLIT_DEFAULT: SplitPolicy = { minGroups: 264, minSteps: 8, maxSplits: 16 };

export interface SplitK {
  /** K ranges (workgroups per output tile) */
  splits: number;
  /** K steps (of bk) per range */
  stepsPerSplit: number;
}

export function splitK(p: SplitPolicy, tiles: number, steps: number): SplitK {
  const most = Math.max(1, Math.min(p.maxSplits, Math.floor(steps / p.minSteps)));
  const wanted = Math.min(most, Math.ceil(p.minGroups / tiles));
  const stepsPerSplit = Math.ceil(steps / wanted);
  return { splits: Math.ceil(steps / stepsPerSplit), stepsPerSplit }; // no empty range
}
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
  /** only without split-K (the reduce adds it otherwise) */
  bias: WeightType | null;
  N: number;
  K: number;
  split: SplitK;
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
 * A [M,K] (packed f16) · B[N,K]ᵀ (f16) + bias[N]? → C [rows,N] f32, launched over
 * grid(⌈M/bm⌉·⌈N/bn⌉·splits); rows ≥ M (rows past M hold zeros). With several splits, C is the
 * partial sums [splits, rows, N].
 * C's binding must hold at least one 16×16 f32 tile (Dawn requires it of matrix stores).
 */
export function subgroupMatmulKernel(s: SubgroupTile, o: SubgroupOptions): Kernel {
  const { bm, bn, threads } = subgroupTileSize(s);
  const N = `${o.N}u`;
  const K = `${o.K}u`;
  const { splits, stepsPerSplit } = o.split;
  // Every range runs stepsPerSplit steps, a constant (a run-time trip count cost 20 % at
  // 4096³ on an H100): the last range's steps past K load zeros.
  const padded = splits * stepsPerSplit > Math.ceil(o.K / s.bk);
  const kCheck = o.K % s.bk === 0 && !padded ? null : `k >= ${K}`;
  const nCheck = o.N % bn === 0 ? null : `row >= ${N}`;
  const bias = o.bias;
  const chunksPerRow = s.bk / 8; // 16-byte chunks (8 halves) per staged row
  const aChunks = (bm * s.bk) / 8;
  const bChunks = (bn * s.bk) / 8;
  if (s.bk % 16 !== 0 || (bias && splits > 1)) {
    throw new Error(
      `internal: subgroup tile ${JSON.stringify(s)} with ${splits} splits, bias ${bias}`,
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

  const depth = s.depth ?? 1;
  let pre = '';
  const load: string[] = Array.from({ length: depth }, () => '');
  const store: string[] = Array.from({ length: depth }, () => '');
  // staging: thread lid moves 16-byte chunks lid, lid + threads, ... of each operand's tile,
  // through register set r (steps r, r + depth, ...)
  const staging = (X: string, first: string, chunks: number, stageSize: number): void => {
    const x = X.toLowerCase();
    for (let p = 0; p < Math.ceil(chunks / threads); p++) {
      const guard = (p + 1) * threads > chunks ? `if (r${x}${p} < ${chunks}u) ` : '';
      pre += `  let r${x}${p} = lid + ${p * threads}u; let ${x}Row${p} = ${first} + r${x}${p} / ${chunksPerRow}u; let ${x}Col${p} = (r${x}${p} % ${chunksPerRow}u) * 8u;
  let ${x}Slot${p} = (r${x}${p} / ${chunksPerRow}u) * ${stride}u + r${x}${p} % ${chunksPerRow}u;\n`;
      for (let r = 0; r < depth; r++) {
        pre += `  var v${x}${p}_${r} = vec4u(0u);\n`;
        load[r] += `    ${guard}{ v${x}${p}_${r} = load${X}(${x}Row${p}, k0 + ${x}Col${p}); }\n`;
        store[r] +=
          `    ${guard}{ ${X}s[stage * ${stageSize}u + ${x}Slot${p}] = v${x}${p}_${r}; }\n`;
      }
    }
  };
  staging('A', 'm0', aChunks, aStage);
  staging('B', 'n0', bChunks, bStage);

  let accDecl = '';
  let compute = '';
  let epilogue = '';
  let direct = '';
  for (let i = 0; i < s.tm; i++) {
    for (let j = 0; j < s.tn; j++) {
      accDecl += `  var acc${i}_${j} = subgroup_matrix_result<f32, 16, 16>();\n`;
      direct += `    subgroupMatrixStore<row_major>(&C, cBase + (m0 + wmi * ${s.tm * 16}u + ${i * 16}u) * ${N} + n0 + wni * ${s.tn * 16}u + ${j * 16}u, acc${i}_${j}, ${N});\n`;
      epilogue += `  subgroupMatrixStore<row_major>(&Cs, sg * 256u, acc${i}_${j}, 16u);
  workgroupBarrier();
  writeTile(cBase, m0 + wmi * ${s.tm * 16}u + ${i * 16}u, n0 + wni * ${s.tn * 16}u + ${j * 16}u, sg, lane);
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
  // a matrix store needs a stride of 16 at least: narrower outputs always go through Cs
  const output =
    !bias && o.N >= 16
      ? `  if (m0 + ${bm}u <= u.rows && n0 + ${bn}u <= ${N}) {
${direct}  } else {
${epilogue}  }`
      : epilogue;

  const order =
    s.swizzle > 0
      ? `  let width = ${s.swizzle}u * tilesN;
  let first = (tile / width) * ${s.swizzle}u;
  let rows = min(tilesM - first, ${s.swizzle}u);
  let tileM = first + (tile % width) % rows;
  let tileN = (tile % width) / rows;`
      : `  let tileM = tile / tilesN;
  let tileN = tile % tilesN;`;

  // Step j's loads go to register set j % depth, issued depth steps ahead; the loop is unrolled
  // by depth so every set is named statically.
  const S = stepsPerSplit;
  let prologue = '';
  for (let r = 0; r < Math.min(depth, S); r++)
    prologue += `  { let k0 = kFirst + ${r * s.bk}u;\n${load[r]}  }\n`;
  prologue += `  { let stage = 0u;\n${store[0]}  }\n`;
  let body = '';
  for (let r = 0; r < depth; r++) {
    const guard = S % depth === 0 || r === 0 ? '' : `if (step0 + ${r}u < ${S}u) `;
    body += `    ${guard}{
    let step = step0 + ${r}u;
    let cur = step & 1u;
    let aBase = cur * ${aStage}u + wmi * ${s.tm * 16 * stride}u;
    let bBase = cur * ${bStage}u + wni * ${s.tn * 16 * stride}u;
    if (step + ${depth}u < ${S}u) {
      let k0 = kFirst + (step + ${depth}u) * ${s.bk}u;
${load[r]}    }
${compute}    if (step + 1u < ${S}u) {
      let stage = 1u - cur;
${store[(r + 1) % depth]}    }
    workgroupBarrier();
    }\n`;
  }

  return wgslModule({
    enables: ['f16', 'chromium_experimental_subgroup_matrix'],
    buffers,
    params: [
      ['M', 'u32'],
      ['rows', 'u32'],
      ['tilesN', 'u32'],
    ],
    body: `${bias ? weightLoader('bias', bias) : ''}
var<workgroup> As: array<vec4u, ${2 * aStage}>;
var<workgroup> Bs: array<vec4u, ${2 * bStage}>;
var<workgroup> Cs: array<f32, ${s.wm * s.wn * 256}>;
${loaders}
fn writeTile(base: u32, row0: u32, col0: u32, sg: u32, lane: u32) {
  for (var e = lane; e < 256u; e += ${SUBGROUP}u) {
    let row = row0 + e / 16u;
    let col = col0 + e % 16u;
    if (row < u.M && col < ${N}) { C[base + row * ${N} + col] = Cs[sg * 256u + e]${bias ? ' + biasAt(col)' : ''}; }
  }
}
@compute @workgroup_size(${threads})
fn main(${GRID_ARGS}) {
  ${FLAT_GROUP}
  let tilesM = (u.M + ${bm - 1}u) / ${bm}u;
  let tilesN = u.tilesN;
  if (group >= tilesM * tilesN * ${splits}u) { return; }
  // consecutive workgroups take the same K range of neighbouring tiles (A's range stays in L2)
  let tile = group % (tilesM * tilesN);
  let split = group / (tilesM * tilesN);
  let cBase = split * u.rows * ${N};
${order}
  let m0 = tileM * ${bm}u;
  let n0 = tileN * ${bn}u;
  let sg = lid / ${SUBGROUP}u;
  let lane = lid % ${SUBGROUP}u;
  let wmi = sg / ${s.wn}u;
  let wni = sg % ${s.wn}u;
${pre}${accDecl}
  let kFirst = split * ${stepsPerSplit * s.bk}u;
${prologue}  workgroupBarrier();
  for (var step0 = 0u; step0 < ${stepsPerSplit}u; step0 += ${depth}u) {
${body}  }
${output}
}`,
  });
}

/**
 * partial [splits, plane] → y = Σ over splits (+ bias), or added to y (`accumulate`), its first
 * n elements; launched over grid(⌈n/256⌉).
 */
export function splitReduceKernel(
  splits: number,
  bias: WeightType | null,
  accumulate: boolean,
): Kernel {
  const buffers: Kernel['buffers'] = [
    { name: 'partial', access: 'read', type: 'array<f32>' },
    { name: 'y', access: 'read_write', type: 'array<f32>' },
  ];
  if (bias) buffers.push(weightDecl('bias', bias));
  let sum = '';
  for (let s = 0; s < splits; s++) sum += ` + partial[${s}u * plane + i]`;
  return wgslModule({
    buffers,
    params: [
      ['n', 'u32'],
      ['N', 'u32'],
      ['plane', 'u32'],
    ],
    body: `${bias ? weightLoader('bias', bias) : ''}
@compute @workgroup_size(256)
fn main(${GRID_ARGS}) {
  ${FLAT_GROUP}
  let i = group * 256u + lid;
  if (i >= u.n) { return; }
  let plane = u.plane;
  y[i] = ${added('y[i]', `0.0${sum}${bias ? ' + biasAt(i % u.N)' : ''}`, accumulate)};
}`,
  });
}
