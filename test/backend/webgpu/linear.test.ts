// linear against the CPU backend on every path: GEMV (T ≤ 8; scalar when K is not a multiple of
// the 16-byte load, vectorised when it is), and the matrix kernel (tiled f32, or subgroup
// matrices where offered) at sizes that are not multiples of any tile, with and without bias, and
// the skinny batched-decode kernel (9–32 rows, subgroup matrices) with and without split K, and
// the subgroup-matrix kernel's small-row tiles with split K (a reduce pass adds the K ranges);
// each also as addLinear (the output added into a residual: in the GEMV or the reduce, else after).
// Tolerance: 1e-5 relative on f32 arithmetic; 4e-3 where activations are rounded to f16.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Backend, HostTensor, Tensor } from '../../../src/backend/backend.js';
import type { WebGpuBackend } from '../../../src/backend/webgpu/index.js';
import {
  SPLIT_DEFAULT,
  SUBGROUP_DEFAULT,
  splitK,
  TILES_BY_ROWS,
} from '../../../src/backend/webgpu/kernels/matmulSubgroup.js';
import { SKINNY_DEFAULT, type SkinnyTile } from '../../../src/backend/webgpu/kernels/skinny.js';
import { F32_TOL, hostF16, openGpuCases, parity, random } from './harness.js';

/** the default tile and the other staging choice (weights through shared memory or not) */
const SKINNY_VARIANTS: SkinnyTile[] = [
  SKINNY_DEFAULT,
  { ...SKINNY_DEFAULT, bk: 32, stageWeights: !SKINNY_DEFAULT.stageWeights },
];

const setup = await openGpuCases();

/** Runs with some kernel choices of the backend changed, and puts them back even on failure. */
async function withKernels(
  gpu: WebGpuBackend,
  choices: Partial<Pick<WebGpuBackend, 'skinnyTile' | 'splitPolicy'>>,
  run: () => Promise<void>,
): Promise<void> {
  const saved = { skinnyTile: gpu.skinnyTile, splitPolicy: gpu.splitPolicy };
  Object.assign(gpu, choices);
  try {
    await run();
  } finally {
    Object.assign(gpu, saved);
  }
}

// expected splits worked out by hand from the policy: wanted = min(⌊steps/minSteps⌋ capped at
// maxSplits, ⌈minGroups/tiles⌉); steps per range = ⌈steps/wanted⌉; ranges = ⌈steps/that⌉
test('splitK: enough tiles, short K, the cap, no empty range', () => {
  assert.deepEqual(splitK(SPLIT_DEFAULT, 264, 128), { splits: 1, stepsPerSplit: 128 });
  assert.deepEqual(splitK(SPLIT_DEFAULT, 32, 128), { splits: 9, stepsPerSplit: 15 });
  assert.deepEqual(splitK(SPLIT_DEFAULT, 32, 10), { splits: 1, stepsPerSplit: 10 });
  assert.deepEqual(splitK(SPLIT_DEFAULT, 1, 1000), { splits: 16, stepsPerSplit: 63 });
  // 8 wanted ranges of 3 steps would leave the 8th empty: 7 ranges
  assert.deepEqual(splitK({ minGroups: 64, minSteps: 2, maxSplits: 16 }, 8, 20), {
    splits: 7,
    stepsPerSplit: 3,
  });
});

/**
 * x·wᵀ (+ bias) of random x [T,K] by w [N,K]: `linear`, and `addLinear` into a random residual
 * (inside the kernel, or by an add after it)
 */
function linearOrAdd(
  b: Backend,
  mode: 'linear' | 'addLinear',
  x: Float32Array,
  w: HostTensor,
  bias: HostTensor | null,
): Tensor {
  const [N, K] = w.shape;
  const T = x.length / K;
  const args = [
    b.tensor(x, [T, K]),
    b.weight('w', w),
    bias ? b.weight('b', bias) : undefined,
  ] as const;
  if (mode === 'linear') return b.linear(...args);
  // a residual the same on both backends: derived from x, not drawn in here
  const into = b.tensor(
    Float32Array.from({ length: T * N }, (_, i) => 3 * x[i % x.length] - 1),
    [T, N],
  );
  b.addLinear(into, ...args);
  return into;
}

/** linear and addLinear, without and then with a bias, against the CPU backend */
async function linearParity(
  gpu: WebGpuBackend,
  sizes: readonly (readonly [number, number, number])[],
  tol: number,
  label: string,
): Promise<void> {
  for (const [T, N, K] of sizes) {
    const w = hostF16([N, K]);
    const bias = hostF16([N]);
    const x = random(T * K, -2, 2);
    for (const mode of ['linear', 'addLinear'] as const) {
      for (const withBias of [false, true]) {
        await parity(
          gpu,
          (b) => linearOrAdd(b, mode, x, w, withBias ? bias : null),
          tol,
          `${label} ${mode} ${T}x${N}x${K}${withBias ? ' +bias' : ''}`,
        );
      }
    }
  }
}

describe('webgpu linear vs cpu', { skip: setup.skip }, () => {
  for (const { label, gpu, matrixTol } of setup.cases) {
    describe(label, () => {
      test('GEMV, T ≤ 8: K scalar (37) and vectorised (40), with and without bias, added in the kernel', async () => {
        for (const K of [37, 40]) {
          const w = hostF16([19, K]);
          const bias = hostF16([19]);
          for (const [T, withBias] of [
            [1, false],
            [3, true],
            [8, false],
          ] as const) {
            const x = random(T * K, -2, 2);
            for (const mode of ['linear', 'addLinear'] as const) {
              await parity(
                gpu,
                (b) => linearOrAdd(b, mode, x, w, withBias ? bias : null),
                F32_TOL,
                `gemv ${mode} T=${T} K=${K}${withBias ? ' +bias' : ''}`,
              );
            }
          }
        }
      });

      // 65,538 workgroups of 128 threads: minutes on a software adapter, where argmax's 2-D grid
      // test covers the shared grid code instead
      test('GEMV over more output rows than one grid dimension holds', {
        skip: gpu.software && 'software adapter',
      }, async () => {
        const N = 131075; // 65,538 workgroups of 2 rows
        const K = 8;
        const w = hostF16([N, K]);
        const x = random(2 * K);
        await parity(
          gpu,
          (b) => b.linear(b.tensor(x, [2, K]), b.weight('lm_head', w)),
          F32_TOL,
          'gemv 2-D grid',
        );
      });

      test('matrix kernel, T > 8: odd sizes, unaligned and aligned K, edge tiles', async () => {
        // the general kernel, also where the skinny one would apply
        await withKernels(gpu, { skinnyTile: null }, () =>
          linearParity(
            gpu,
            [
              [9, 19, 37],
              [70, 45, 48],
              [130, 150, 100],
              [33, 17, 200],
            ],
            matrixTol,
            'linear',
          ),
        );
      });

      // batched decode on subgroup matrices: every row in one tile row (16 to 128 rows, and the
      // general tile above), K split into ranges of 2 steps or more until 64 workgroups; K
      // neither a multiple of the K step (ragged last range) nor of 8 (element loads)
      test('subgroup matrix, small-row tiles and split K: odd sizes, bias', {
        skip: gpu.linearKernel !== 'subgroup-matrix' && 'no subgroup matrices',
      }, async () => {
        const splitPolicy = { minGroups: 64, minSteps: 2, maxSplits: 16 };
        await withKernels(gpu, { skinnyTile: null, splitPolicy }, () =>
          linearParity(
            gpu,
            [
              [9, 19, 200],
              [17, 150, 1040],
              [37, 45, 1000],
              [64, 272, 2064],
              [100, 130, 1037],
              [128, 64, 512],
              [130, 40, 600],
              [1030, 300, 200],
            ],
            matrixTol,
            'split-K',
          ),
        );
        const used = gpu.kernelsUsed();
        for (const { tile } of [...TILES_BY_ROWS, { tile: SUBGROUP_DEFAULT }])
          assert.ok(
            used.some((k) => k.startsWith('subgroup:') && k.endsWith(JSON.stringify(tile))),
            `small tile ${JSON.stringify(tile)} used`,
          );
        assert.ok(
          used.some((k) => k.startsWith('splitReduce:') && !k.includes(':null:')),
          'split-K reduce with bias used',
        );
        assert.ok(
          used.some((k) => k.startsWith('splitReduce:') && k.endsWith(':true')),
          'split-K reduce adding into the output used',
        );
      });

      test('subgroup matrix: linears of one input share its f16 copy until it changes', {
        skip: gpu.linearKernel !== 'subgroup-matrix' && 'no subgroup matrices',
      }, async () => {
        const [T, N, K] = [100, 96, 256];
        const x = random(T * K, -2, 2);
        const dx = random(T * K);
        const w1 = hostF16([N, K]);
        const w2 = hostF16([N, K]);
        const dispatches: number[] = [];
        await parity(
          gpu,
          (b) => {
            const xt = b.tensor(x, [T, K]);
            const linear = (w: typeof w1): Tensor => {
              const before = gpu.stats.dispatches;
              const y = b.linear(xt, b.weight('w', w));
              if (b === gpu) dispatches.push(gpu.stats.dispatches - before);
              return y;
            };
            linear(w1);
            linear(w2);
            b.addInPlace(xt, b.tensor(dx, [T, K]));
            return linear(w1); // from the changed input, not the first copy
          },
          matrixTol,
          'shared packing',
        );
        assert.equal(dispatches[1], dispatches[0] - 1, `packing dispatches: ${dispatches}`);
        assert.equal(dispatches[2], dispatches[0], 'the changed input is packed again');
      });

      test('subgroup matrix: RMSNorm and the gated activation write the f16 copy their linear reads', {
        skip: gpu.linearKernel !== 'subgroup-matrix' && 'no subgroup matrices',
      }, async () => {
        const [T, N, K] = [100, 96, 256];
        const x = random(T * K, -2, 2);
        const gateUp = random(T * 2 * K, -3, 3);
        const norm = random(K, 0.5, 1.5);
        const w = hostF16([N, K]);
        const linearDispatches: number[] = [];
        const through = (b: Backend, input: Tensor): Tensor => {
          const before = gpu.stats.dispatches;
          const y = b.linear(input, b.weight('w', w));
          if (b === gpu) linearDispatches.push(gpu.stats.dispatches - before);
          return y;
        };
        await parity(
          gpu,
          (b) => through(b, b.rmsNorm(b.tensor(x, [T, K]), b.tensor(norm, [K]), 1e-5, 0)),
          matrixTol,
          'rmsNorm → linear',
        );
        await parity(
          gpu,
          (b) => through(b, b.gatedActivation(b.tensor(gateUp, [T, 2 * K]), 'silu')),
          matrixTol,
          'gatedActivation → linear',
        );
        // the linear of a plain input packs it first: one dispatch more
        await parity(gpu, (b) => through(b, b.tensor(x, [T, K])), matrixTol, 'plain input');
        assert.deepEqual(
          linearDispatches.map((d) => d - linearDispatches[2]),
          [-1, -1, 0],
          `dispatches of the linear: ${linearDispatches}`,
        );
      });

      // batched decode: one workgroup per column block (odd N: the last block shifted back),
      // and split-K with a reduce pass (long K, few column blocks); K a multiple of 16, not of bk
      test('skinny kernel, 9 ≤ T ≤ 32: odd T and N, split K, bias, both tiles', async () => {
        for (const variant of SKINNY_VARIANTS) {
          await withKernels(gpu, { skinnyTile: variant }, () =>
            linearParity(
              gpu,
              [
                [9, 19, 48],
                [27, 150, 80],
                [32, 45, 1040],
                [30, 272, 2064],
                [16, 16, 16],
              ],
              matrixTol,
              `skinny ${JSON.stringify(variant)}`,
            ),
          );
        }
        if (gpu.linearKernel === 'subgroup-matrix') {
          const used = gpu.kernelsUsed();
          assert.ok(
            used.some((k) => k.startsWith('skinny:')),
            'skinny kernel used',
          );
          assert.ok(
            used.some((k) => k.startsWith('splitReduce:')),
            'split-K reduce used',
          );
        }
      });
    });
  }
});
