// The matrix kernels SwiftShader cannot run (subgroup matrices, f16) are at least compiled by
// Tint on Dawn's null backend, here and in CI, for every shape that changes their WGSL: tiles,
// split K, prefetch depth, outputs narrower than a matrix (N < 16), K not a multiple of 8, bias.
// A WGSL error there would otherwise first show on a real GPU.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, globals } from 'webgpu';
import {
  SPLIT_DEFAULT,
  SUBGROUP_DEFAULT,
  type SubgroupTile,
  splitK,
  subgroupMatmulKernel,
  subgroupTileSize,
  TILES_BY_ROWS,
} from '../../../src/backend/webgpu/kernels/matmulSubgroup.js';
import {
  SKINNY_DEFAULT,
  skinnyKernel,
  skinnyPlan,
} from '../../../src/backend/webgpu/kernels/skinny.js';

Object.assign(globalThis, globals);
// held for the whole process: a collected Dawn instance takes the process down with it
const dawn = create(['backend=null', 'enable-dawn-features=allow_unsafe_apis']);
const FEATURES = ['shader-f16', 'subgroups', 'chromium-experimental-subgroup-matrix'];

async function openNullDevice(): Promise<GPUDevice | string> {
  const adapter = await dawn.requestAdapter();
  if (!adapter) return "Dawn's null backend offers no adapter";
  const missing = FEATURES.filter((f) => !adapter.features.has(f));
  if (missing.length > 0) return `the null adapter lacks ${missing.join(', ')}`;
  return adapter.requestDevice({ requiredFeatures: FEATURES as GPUFeatureName[] });
}
const device = await openNullDevice();

/** Tint's errors for `code`, empty when it compiles. */
async function compileErrors(code: string): Promise<string[]> {
  const gpu = device as GPUDevice;
  gpu.pushErrorScope('validation');
  const info = await gpu.createShaderModule({ code }).getCompilationInfo();
  const scope = await gpu.popErrorScope();
  const errors = info.messages.filter((m) => m.type === 'error').map((m) => m.message);
  return scope ? [...errors, scope.message] : errors;
}

/** [M, N, K, bias] */
const SHAPES: [number, number, number, 'f16' | null][] = [
  [4096, 4096, 4096, null],
  [9, 12, 37, null],
  [100, 130, 1037, null],
  [64, 6144, 14336, null],
  [150, 150, 100, 'f16'],
];

test('subgroup-matrix GEMM kernels compile for every tile and shape', {
  skip: typeof device === 'string' ? device : false,
}, async () => {
  const tiles: SubgroupTile[] = [
    SUBGROUP_DEFAULT,
    ...TILES_BY_ROWS.map((t) => t.tile),
    { ...SUBGROUP_DEFAULT, depth: 3 },
  ];
  for (const tile of tiles) {
    const { bm, bn } = subgroupTileSize(tile);
    for (const [M, N, K, bias] of SHAPES) {
      const tiles = Math.ceil(M / bm) * Math.ceil(N / bn);
      const split = splitK(SPLIT_DEFAULT, tiles, Math.ceil(K / tile.bk));
      const options = { aligned: K % 8 === 0, bias: split.splits === 1 ? bias : null, N, K, split };
      const errors = await compileErrors(subgroupMatmulKernel(tile, options).code);
      assert.deepEqual(
        errors,
        [],
        `${JSON.stringify(tile)} ${M}x${N}x${K} ${JSON.stringify(options)}`,
      );
    }
  }
});

test('skinny decode kernels compile, weights streamed or staged', {
  skip: typeof device === 'string' ? device : false,
}, async () => {
  for (const [T, N, K] of [
    [32, 4096, 4096],
    [20, 150, 80],
    [9, 272, 2064],
    [32, 16, 14336],
  ]) {
    for (const stageWeights of [false, true]) {
      const s = { ...SKINNY_DEFAULT, stageWeights, bk: stageWeights ? 32 : SKINNY_DEFAULT.bk };
      const plan = skinnyPlan(s, T, N, K);
      const errors = await compileErrors(skinnyKernel(s, plan, { N, K, bias: null }).code);
      assert.deepEqual(errors, [], `skinny ${T}x${N}x${K} ${JSON.stringify(plan)}`);
    }
  }
});
