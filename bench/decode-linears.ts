// The linears of one batched-decode step of a Llama-3.1-8B shape (q, k, v, o, gate, up, down for
// 32 layers, then the LM head) through the WebGPU backend at T rows, for several kernel choices:
// the skinny kernel, the general 128×128 tile without and with split-K, and small-row tiles with
// split-K (used where the skinny kernel is off). Weights rotate
// over 4 distinct layers (1.75 GB), so no layer is still in L2 when it is read again. Every choice
// is checked against an f64 host reference (sampled outputs) before it is timed.
// --fused times q/k/v and gate/up as one linear each (weights concatenated, as the engine runs
// them), --tiles a sweep of 64-row tiles and split targets, --big-tiles one of the general tile
// (more rows), instead of the standard choices.
//   node --import tsx bench/decode-linears.ts [--rows 16,32,64,100,128] [--fused] [--tiles | --big-tiles | --default] [--json FILE] [--smoke]

import { writeFileSync } from 'node:fs';
import type { Tensor } from '../src/backend/backend.js';
import { createWebGpuBackend } from '../src/backend/webgpu/index.js';
import {
  type RowsTile,
  SPLIT_DEFAULT,
  type SplitPolicy,
  type SubgroupTile,
  TILES_BY_ROWS,
} from '../src/backend/webgpu/kernels/matmulSubgroup.js';
import {
  SKINNY_DEFAULT,
  SKINNY_MAX_ROWS,
  type SkinnyTile,
} from '../src/backend/webgpu/kernels/skinny.js';
import { checkLinear, median, randomFloats, randomHalves } from './gpu-measure.js';

const args = process.argv.slice(2);
const option = (name: string): string | null =>
  args.includes(name) ? args[args.indexOf(name) + 1] : null;
const smoke = args.includes('--smoke');
const rowsList = (option('--rows') ?? (smoke ? '9,20' : '16,32,64,100,128')).split(',').map(Number);
const jsonOut = option('--json');
const fused = args.includes('--fused');

interface Choice {
  label: string;
  skinny: SkinnyTile | null;
  small: RowsTile[];
  split: SplitPolicy;
}
const NO_SPLIT: SplitPolicy = { minGroups: 1, minSteps: 1, maxSplits: 1 };
/** one tile for up to `rows` rows, split-K, no skinny kernel */
const tileChoice = (rows: number, t: SubgroupTile, split = SPLIT_DEFAULT): Choice => ({
  label: `${rows} rows: ${t.wm * t.tm * 16}x${t.wn * t.tn * 16} wm${t.wm}wn${t.wn}tm${t.tm}tn${t.tn} bk${t.bk} depth ${t.depth ?? 1} + split to ${split.minGroups}`,
  skinny: null,
  small: [{ rows, tile: t }],
  split,
});
const tile = (
  wm: number,
  wn: number,
  tm: number,
  tn: number,
  bk: number,
  depth = 1,
  swizzle = 0,
): SubgroupTile => ({ wm, wn, tm, tn, bk, swizzle, depth });
const splitTo = (minGroups: number): SplitPolicy => ({ ...SPLIT_DEFAULT, minGroups });
const TILE_SWEEP: Choice[] = [
  ...[264, 396, 528, 792, 1056].map((g) => tileChoice(64, tile(4, 2, 1, 2, 64), splitTo(g))),
  tileChoice(64, tile(4, 2, 1, 2, 64, 2), splitTo(528)),
  tileChoice(64, tile(4, 2, 1, 2, 32), splitTo(528)),
  tileChoice(64, tile(4, 2, 1, 2, 32), splitTo(792)),
  tileChoice(64, tile(4, 2, 1, 2, 32, 2), splitTo(792)),
  tileChoice(64, tile(4, 1, 1, 2, 64), splitTo(792)),
  tileChoice(64, tile(4, 1, 1, 2, 64), splitTo(1056)),
  tileChoice(64, tile(4, 4, 1, 2, 32), splitTo(396)),
];
/** the general tile (more than 64 rows: trials, prefill) */
const BIG_TILES: Choice[] = [
  tileChoice(512, tile(4, 2, 2, 4, 32, 1, 8)),
  tileChoice(512, tile(4, 2, 2, 4, 32, 1, 8), splitTo(528)),
  tileChoice(512, tile(2, 4, 4, 4, 16, 1, 8)),
  tileChoice(512, tile(2, 4, 4, 4, 16, 3, 8)),
  tileChoice(512, tile(2, 4, 4, 4, 16, 3, 8), splitTo(528)),
  tileChoice(512, tile(4, 2, 4, 4, 16, 3, 8)),
  tileChoice(512, tile(4, 2, 1, 2, 64), splitTo(528)),
];
const STANDARD: Choice[] = [
  {
    label: `before: skinny ≤ ${SKINNY_MAX_ROWS}, else the general tile`,
    skinny: SKINNY_DEFAULT,
    small: [],
    split: NO_SPLIT,
  },
  {
    label: `default: skinny ≤ ${SKINNY_MAX_ROWS}, small tiles, else 128x128 + split-K`,
    skinny: SKINNY_DEFAULT,
    small: TILES_BY_ROWS,
    split: SPLIT_DEFAULT,
  },
  {
    label: 'small tiles + split-K, no skinny',
    skinny: null,
    small: TILES_BY_ROWS,
    split: SPLIT_DEFAULT,
  },
  {
    label: 'same, split to 528 groups',
    skinny: null,
    small: TILES_BY_ROWS,
    split: { ...SPLIT_DEFAULT, minGroups: 528 },
  },
  {
    label: 'same, split to 132 groups',
    skinny: null,
    small: TILES_BY_ROWS,
    split: { ...SPLIT_DEFAULT, minGroups: 132 },
  },
  { label: 'the general tile + split', skinny: null, small: [], split: SPLIT_DEFAULT },
  tileChoice(128, { wm: 2, wn: 4, tm: 4, tn: 2, bk: 32, swizzle: 0 }),
  tileChoice(112, { wm: 7, wn: 1, tm: 1, tn: 8, bk: 32, swizzle: 0 }),
  tileChoice(64, { wm: 1, wn: 8, tm: 4, tn: 1, bk: 32, swizzle: 0 }),
  tileChoice(64, { wm: 2, wn: 4, tm: 2, tn: 4, bk: 16, swizzle: 0 }),
  tileChoice(32, { wm: 2, wn: 4, tm: 1, tn: 2, bk: 32, swizzle: 0 }),
];
const CHOICES = args.includes('--tiles')
  ? [STANDARD[1], ...TILE_SWEEP]
  : args.includes('--big-tiles')
    ? [STANDARD[1], ...BIG_TILES]
    : args.includes('--default')
      ? [STANDARD[1]]
      : STANDARD;

const gpu = await createWebGpuBackend();
console.error(`backend: ${gpu.description}`);
const [H, I, KV, V, LAYERS, SETS] = smoke
  ? [64, 224, 16, 500, 4, 2]
  : [4096, 14336, 1024, 128256, 32, 4];
const shapes: Record<string, [number, number]> = fused
  ? { qkv: [H + 2 * KV, H], o: [H, H], gateUp: [2 * I, H], down: [H, I] }
  : { q: [H, H], k: [KV, H], v: [KV, H], o: [H, H], gate: [I, H], up: [I, H], down: [H, I] };
interface W {
  t: Tensor;
  bits: Uint16Array;
  N: number;
  K: number;
}
const upload = (name: string, [N, K]: [number, number]): W => {
  const bits = randomHalves(N * K);
  const t = gpu.weight(name, { shape: [N, K], dtype: 'f16', bytes: new Uint8Array(bits.buffer) });
  return { t, bits, N, K };
};
const layers = Array.from({ length: SETS }, (_, l) =>
  Object.fromEntries(Object.entries(shapes).map(([n, s]) => [n, upload(`${l}.${n}`, s)])),
);
const head = upload('lm_head', [V, H]);
const stepBytes = 2 * (LAYERS * Object.values(shapes).reduce((a, [n, k]) => a + n * k, 0) + V * H);

interface Row {
  T: number;
  choice: string;
  ms: number;
  best: number;
  gbps: number;
  tflops: number;
  err: number;
  perShape: Record<string, number>;
}
const rows: Row[] = [];
for (const T of rowsList) {
  const xh = randomFloats(T * H);
  const xi = randomFloats(T * I);
  const x = gpu.tensor(xh, [T, H]);
  const xd = gpu.tensor(xi, [T, I]);
  const input = (name: string) => (name === 'down' ? xd : x);
  const step = () => {
    for (let l = 0; l < LAYERS; l++)
      for (const [name, w] of Object.entries(layers[l % SETS]))
        gpu.dispose(gpu.linear(input(name), w.t));
    gpu.dispose(gpu.linear(x, head.t));
  };
  for (const c of CHOICES) {
    gpu.skinnyTile = c.skinny;
    gpu.tilesByRows = c.small;
    gpu.splitPolicy = c.split;
    try {
      let err = 0;
      for (const name of fused ? ['qkv', 'down', 'o'] : ['q', 'down', 'k']) {
        const w = layers[0][name];
        const y = gpu.linear(input(name), w.t);
        err = Math.max(
          err,
          await checkLinear(gpu, y, name === 'down' ? xi : xh, w.bits, T, w.N, w.K, 64),
        );
        gpu.dispose(y);
      }
      if (!(err < 1e-2)) throw new Error(`wrong result: relative error ${err}`);
      step();
      await gpu.sync();
      const reps: number[] = [];
      for (let r = 0; r < 5; r++) {
        const start = performance.now();
        step();
        await gpu.sync();
        reps.push(performance.now() - start);
      }
      // per shape: 40 calls rotating over the layer copies (diagnostic)
      const perShape: Record<string, number> = {};
      for (const name of fused ? ['qkv', 'o', 'gateUp', 'down'] : ['q', 'k', 'gate', 'down']) {
        const start = performance.now();
        for (let i = 0; i < 40; i++) gpu.dispose(gpu.linear(input(name), layers[i % SETS][name].t));
        await gpu.sync();
        const ms = (performance.now() - start) / 40;
        const [N, K] = shapes[name];
        perShape[name] = Math.round((2 * N * K) / ms / 1e6);
      }
      const ms = median(reps);
      rows.push({
        T,
        choice: c.label,
        ms,
        best: Math.min(...reps),
        gbps: stepBytes / ms / 1e6,
        tflops: (T * stepBytes) / ms / 1e9,
        err,
        perShape,
      });
      console.error(`T=${T} ${c.label}: ${ms.toFixed(2)} ms`);
    } catch (e) {
      console.error(`T=${T} ${c.label}: ${e instanceof Error ? e.message : e}`);
    }
  }
  gpu.dispose(x);
  gpu.dispose(xd);
}
const errors = await gpu.compileErrors();
if (errors.length) console.error(`compile errors: ${errors.join(' | ')}`);
console.log(
  `\n| T | choice | step ms (median) | best | GB/s of weights | TFLOP/s | GB/s ${fused ? 'qkv, o, gateUp, down' : 'q, k, gate, down'} | rel. err |`,
);
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows)
  console.log(
    `| ${r.T} | ${r.choice} | ${r.ms.toFixed(2)} | ${r.best.toFixed(2)} | ${r.gbps.toFixed(0)} | ${r.tflops.toFixed(0)} | ${Object.values(r.perShape).join(', ')} | ${r.err.toExponential(1)} |`,
  );
if (jsonOut)
  writeFileSync(jsonOut, `${JSON.stringify({ device: gpu.description, rows }, null, 1)}\n`);
gpu.destroy();
process.exit(0);
