// linear against the CPU backend on every path: GEMV (T ≤ 8; scalar when K is not a multiple of
// the 16-byte load, vectorised when it is), and the matrix kernel (tiled f32, or subgroup
// matrices where offered) at sizes that are not multiples of any tile, with and without bias, and
// the skinny batched-decode kernel (9–64 rows, subgroup matrices) with and without split K.
// Tolerance: 1e-5 relative on f32 arithmetic; 4e-3 where activations are rounded to f16.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SKINNY_DEFAULT, type SkinnyTile } from '../../../src/backend/webgpu/kernels/skinny.js';
import { F32_TOL, hostF16, openGpuCases, parity, random } from './harness.js';

/** the default tile and the other staging choice (weights through shared memory or not) */
const SKINNY_VARIANTS: SkinnyTile[] = [
  SKINNY_DEFAULT,
  { ...SKINNY_DEFAULT, bk: 32, stageWeights: !SKINNY_DEFAULT.stageWeights },
];

const setup = await openGpuCases();

describe('webgpu linear vs cpu', { skip: setup.skip }, () => {
  for (const { label, gpu, matrixTol } of setup.cases) {
    describe(label, () => {
      test('GEMV, T ≤ 8: K scalar (37) and vectorised (40), with and without bias', async () => {
        for (const K of [37, 40]) {
          const w = hostF16([19, K]);
          const bias = hostF16([19]);
          for (const [T, withBias] of [
            [1, false],
            [3, true],
            [8, false],
          ] as const) {
            const x = random(T * K, -2, 2);
            await parity(
              gpu,
              (b) =>
                b.linear(
                  b.tensor(x, [T, K]),
                  b.weight('w', w),
                  withBias ? b.weight('b', bias) : undefined,
                ),
              F32_TOL,
              `gemv T=${T} K=${K}${withBias ? ' +bias' : ''}`,
            );
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
        const skinny = gpu.skinnyTile;
        gpu.skinnyTile = null; // the general kernel, also where the skinny one would apply
        for (const [T, N, K] of [
          [9, 19, 37],
          [70, 45, 48],
          [130, 150, 100],
          [33, 17, 200],
        ]) {
          const w = hostF16([N, K]);
          const bias = hostF16([N]);
          const x = random(T * K, -2, 2);
          await parity(
            gpu,
            (b) => b.linear(b.tensor(x, [T, K]), b.weight('w', w)),
            matrixTol,
            `linear ${T}x${N}x${K}`,
          );
          await parity(
            gpu,
            (b) => b.linear(b.tensor(x, [T, K]), b.weight('w', w), b.weight('b', bias)),
            matrixTol,
            `linear+bias ${T}x${N}x${K}`,
          );
        }
        gpu.skinnyTile = skinny;
      });

      // batched decode: one workgroup per column block (odd N: the last block shifted back),
      // and split-K with a reduce pass (long K, few column blocks); K a multiple of 16, not of bk
      test('skinny kernel, 9 ≤ T ≤ 64: odd T and N, split K, bias, both tiles', async () => {
        const tile = gpu.skinnyTile;
        for (const variant of SKINNY_VARIANTS)
          for (const [T, N, K] of [
            [9, 19, 48],
            [37, 150, 80],
            [64, 45, 1040],
            [60, 272, 2064],
            [16, 16, 16],
          ]) {
            const w = hostF16([N, K]);
            const bias = hostF16([N]);
            const x = random(T * K, -2, 2);
            for (const withBias of [false, true]) {
              gpu.skinnyTile = variant;
              await parity(
                gpu,
                (b) =>
                  b.linear(
                    b.tensor(x, [T, K]),
                    b.weight('w', w),
                    withBias ? b.weight('b', bias) : undefined,
                  ),
                matrixTol,
                `skinny ${JSON.stringify(variant)} ${T}x${N}x${K}${withBias ? ' +bias' : ''}`,
              );
            }
          }
        gpu.skinnyTile = tile;
        if (gpu.linearKernel === 'subgroup-matrix') {
          const used = gpu.kernelsUsed();
          assert.ok(
            used.some((k) => k.startsWith('skinny:')),
            'skinny kernel used',
          );
          assert.ok(
            used.some((k) => k.startsWith('skinnyReduce:')),
            'split-K reduce used',
          );
        }
      });
    });
  }
});
