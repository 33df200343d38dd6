// gemm-4096: TFLOP/s of the WebGPU backend's `linear` (x f32 [4096,4096] · W f16 [4096,4096]ᵀ →
// f32, the subgroup-matrix kernel where the adapter has one) against torch.matmul in bf16 on the
// same GPU in the same run (bench/gemm_torch.py), plus decode GEMV bandwidth against torch's
// batch-1 linear. Each figure is checked against a host f64 reference before it is timed.
//   node --import tsx bench/gemm.ts [--variants] [--record] [--rows-out FILE]
//     --variants  also time other subgroup-matrix tile shapes (to choose the backend default)
//     --record    write the rows to bench/results.json;  --rows-out: write them to FILE as JSON
//     --smoke     tiny sizes, no peer, nothing recorded (checks the script on a software adapter)

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createWebGpuBackend } from '../src/backend/webgpu/index.js';
import {
  SUBGROUP_DEFAULT,
  type SubgroupTile,
  subgroupTileSize,
  TILES_BY_ROWS,
} from '../src/backend/webgpu/kernels/matmulSubgroup.js';
import { checkLinear as check, randomFloats, randomHalves, timeOp } from './gpu-measure.js';
import { type BenchRow, RUN_DATE, recordResults } from './results.js';

const DEVICE = 'NVIDIA H100 80GB HBM3 (WebGPU/Vulkan, Dawn)';
const COMMAND = 'source .devrt/enter.sh && node --import tsx bench/gemm.ts --record';
const args = process.argv.slice(2);
const rowsOut = args.includes('--rows-out') ? args[args.indexOf('--rows-out') + 1] : null;
const smoke = args.includes('--smoke');

/** the tile up to 1024 rows */
const MEDIUM = (TILES_BY_ROWS.at(-1) as (typeof TILES_BY_ROWS)[number]).tile;
/** tile shapes tried with --variants (the first is the backend default) */
const VARIANTS: SubgroupTile[] = [
  SUBGROUP_DEFAULT,
  { ...SUBGROUP_DEFAULT, depth: 1 },
  { ...SUBGROUP_DEFAULT, depth: 2 },
  { ...SUBGROUP_DEFAULT, swizzle: 0 },
  { ...SUBGROUP_DEFAULT, swizzle: 4 },
  { ...SUBGROUP_DEFAULT, swizzle: 16 },
  MEDIUM,
  { ...MEDIUM, depth: 2 },
  { wm: 2, wn: 4, tm: 4, tn: 2, bk: 32, swizzle: 8 },
  { wm: 4, wn: 2, tm: 4, tn: 4, bk: 16, swizzle: 8 },
  { wm: 2, wn: 2, tm: 4, tn: 4, bk: 32, swizzle: 8 },
];

function torchPeer(): Record<string, number | string> | null {
  const r = spawnSync('python3', ['bench/gemm_torch.py'], {
    encoding: 'utf8',
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  if (r.status !== 0) {
    console.log(
      `torch peer failed: ${(r.stderr || r.error?.message || '').split('\n').slice(-3).join(' | ')}`,
    );
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}');
}

// --- run ---

const gpu = await createWebGpuBackend();
console.log(`backend: ${gpu.description}`);
const n = smoke ? 256 : 4096;
const x = randomFloats(n * n);
const wBits = randomHalves(n * n);
const xt = gpu.tensor(x, [n, n]);
const wt = gpu.weight('w', { shape: [n, n], dtype: 'f16', bytes: new Uint8Array(wBits.buffer) });
const flops = 2 * n ** 3;

const results: {
  label: string;
  tflops: number;
  best: number;
  err: number;
  tile: SubgroupTile | null;
}[] = [];
const tiles =
  gpu.linearKernel !== 'subgroup-matrix'
    ? []
    : args.includes('--variants')
      ? VARIANTS
      : [SUBGROUP_DEFAULT];
for (const tile of tiles) {
  gpu.subgroupTile = tile;
  const s = subgroupTileSize(tile);
  const label = `subgroup-matrix ${s.bm}x${s.bn} wm${tile.wm} wn${tile.wn} tm${tile.tm} tn${tile.tn} bk${tile.bk} sw${tile.swizzle} depth ${tile.depth ?? 1} (${s.threads} thr, ${s.sharedBytes} B)`;
  try {
    const y = gpu.linear(xt, wt);
    const err = await check(gpu, y, x, wBits, n, n, n);
    gpu.dispose(y);
    if (!(err < 1e-2)) throw new Error(`wrong result: relative error ${err}`);
    const t = await timeOp(gpu, () => gpu.linear(xt, wt), 30);
    results.push({ label, tflops: flops / t.ms / 1e9, best: flops / t.best / 1e9, err, tile });
  } catch (e) {
    console.log(`${label}: ${e instanceof Error ? e.message : e}`);
  }
}
gpu.subgroupTile = SUBGROUP_DEFAULT;
{
  // the tiled f32-arithmetic kernel, the path of adapters without subgroup matrices
  const tiled = await createWebGpuBackend({ subgroupMatrix: false });
  const xt2 = tiled.tensor(x, [n, n]);
  const wt2 = tiled.weight('w', {
    shape: [n, n],
    dtype: 'f16',
    bytes: new Uint8Array(wBits.buffer),
  });
  const y = tiled.linear(xt2, wt2);
  const err = await check(tiled, y, x, wBits, n, n, n);
  tiled.dispose(y);
  const t = await timeOp(tiled, () => tiled.linear(xt2, wt2), 5);
  results.push({
    label: 'tiled f32 64x64 (no subgroup matrices)',
    tflops: flops / t.ms / 1e9,
    best: flops / t.best / 1e9,
    err,
    tile: null,
  });
  tiled.destroy();
}
gpu.dispose(xt);
gpu.dispose(wt);

const gemv: { shape: string; gbps: number; err: number }[] = [];
const gemvShapes = smoke
  ? [[520, 256]]
  : [
      [14336, 4096],
      [128256, 4096],
    ];
for (const [R, C] of gemvShapes) {
  const bits = randomHalves(R * C);
  const w = gpu.weight('gemv', { shape: [R, C], dtype: 'f16', bytes: new Uint8Array(bits.buffer) });
  const xv = randomFloats(C);
  const x1 = gpu.tensor(xv, [1, C]);
  const y = gpu.linear(x1, w);
  const err = await check(gpu, y, xv, bits, 1, R, C);
  gpu.dispose(y);
  const t = await timeOp(gpu, () => gpu.linear(x1, w), 200);
  gemv.push({ shape: `${R}x${C}`, gbps: (R * C * 2) / t.ms / 1e6, err });
  gpu.dispose(w);
  gpu.dispose(x1);
}
gpu.destroy();

const peer = smoke ? null : torchPeer();
console.log(`torch: ${JSON.stringify(peer)}`);
const torchGemm = typeof peer?.gemm_4096_bf16 === 'number' ? peer.gemm_4096_bf16 : null;
console.log(`\n| linear ${n}³ (x f32 · W f16ᵀ → f32) | TFLOP/s median | best | rel. error |`);
console.log('|---|---|---|---|');
for (const r of results)
  console.log(
    `| ${r.label} | ${r.tflops.toFixed(1)} | ${r.best.toFixed(1)} | ${r.err.toExponential(1)} |`,
  );
if (torchGemm) console.log(`| torch.matmul bf16 4096³ | ${torchGemm.toFixed(1)} | | |`);
console.log('\n| GEMV T=1 (W f16) | Candor GB/s | torch bf16 GB/s | rel. error |');
console.log('|---|---|---|---|');
for (const g of gemv)
  console.log(
    `| ${g.shape} | ${g.gbps.toFixed(0)} | ${Number(peer?.[`gemv_${g.shape}_bf16`] ?? Number.NaN).toFixed(0)} | ${g.err.toExponential(1)} |`,
  );

const main = results.find((r) => r.tile === SUBGROUP_DEFAULT) ?? results[0];
const rows: BenchRow[] = [
  {
    name: 'gemm-4096',
    device: DEVICE,
    date: RUN_DATE,
    command: COMMAND,
    candor: Number(main.tflops.toFixed(1)),
    peer: torchGemm === null ? null : Number(torchGemm.toFixed(1)),
    unit: 'TFLOP/s',
    higher_is_better: true,
    notes: `Candor: backend.linear, x f32 [4096,4096] · W f16 [4096,4096]ᵀ → f32, ${main.label}, activations packed to f16 by a separate pass (once: the packed copy is reused while x is unchanged, as q, k and v share it), f16 inputs, f32 accumulators, disable_robustness; median of 5 repetitions of 30 back-to-back calls in one submit (wall clock). Peer: torch.matmul bf16 4096³ (cuBLAS, ${peer?.torch ?? '?'}), CUDA events, same run.`,
  },
  ...gemv.map(
    (g): BenchRow => ({
      name: `gemv-${g.shape}`,
      device: DEVICE,
      date: RUN_DATE,
      command: COMMAND,
      candor: Math.round(g.gbps),
      peer:
        typeof peer?.[`gemv_${g.shape}_bf16`] === 'number'
          ? Math.round(peer[`gemv_${g.shape}_bf16`] as number)
          : null,
      unit: 'GB/s',
      higher_is_better: true,
      notes: `Candor: backend.linear with T=1 (decode), W f16 [${g.shape.replace('x', ',')}], GB/s of W read; median of 5 repetitions of 200 calls (submitted every 64). Peer: torch linear bf16 batch 1, W rotated past L2, CUDA events, same run.`,
    }),
  ),
];
if (smoke) process.exit(0);
if (rowsOut) writeFileSync(rowsOut, `${JSON.stringify(rows, null, 2)}\n`);
if (args.includes('--record')) recordResults(rows);
process.exit(0);
