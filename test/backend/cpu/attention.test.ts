// Attention against softmax-weighted sums worked out by hand.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCpuBackend } from '../../../src/backend/cpu/index.js';
import { assertClose } from './approx.js';

const cpu = createCpuBackend();
const f = (data: number[], shape: number[]) => cpu.tensor(new Float32Array(data), shape);
const ids = (data: number[]) => cpu.tensor(new Int32Array(data), [data.length]);
const opts = {
  numHeads: 2,
  numKvHeads: 1,
  headDim: 2,
  scale: 1,
  slidingWindow: null,
  softcap: null,
};

/** cache [S=2, P=3, K·D=2]: seq 0 keys k0=[1,0], k1=[0,1], values v0=[1,2], v1=[3,4]; seq 1 v=[5,6] */
function caches() {
  const k = f([1, 0, 0, 1, 0, 0, 1, 1, 0, 0, 0, 0], [2, 3, 2]);
  const v = f([1, 2, 3, 4, 0, 0, 5, 6, 0, 0, 0, 0], [2, 3, 2]);
  return { k, v };
}

test('attention: causal softmax over the sequence cache, grouped query heads', async () => {
  const { k, v } = caches();
  // row 0: seq 0 pos 1. head 0 q = [0, ln 3] → scores [0, ln 3] → weights [1/4, 3/4] →
  // 0.25·[1,2] + 0.75·[3,4] = [2.5, 3.5]; head 1 q = [0,0] → uniform → [2, 3].
  // row 1: seq 0 pos 0 → only v0 = [1,2] for both heads. row 2: seq 1 pos 0 → [5,6].
  const q = f([0, Math.log(3), 0, 0, 7, 7, 7, 7, 1, 1, 1, 1], [3, 4]);
  const y = cpu.attention(q, k, v, ids([0, 0, 1]), ids([1, 0, 0]), opts);
  assertClose(await cpu.read(y), [2.5, 3.5, 2, 3, 1, 2, 1, 2, 5, 6, 5, 6], 1e-6);
});

test('attention: scale, sliding window and soft-cap', async () => {
  const { k, v } = caches();
  const q = f([0, 2, 0, 2], [1, 4]);
  // scale 0.5·ln 3: scores [0, ln 3] → [2.5, 3.5] as above
  const scaled = cpu.attention(q, k, v, ids([0]), ids([1]), { ...opts, scale: Math.log(3) / 2 });
  assertClose(await cpu.read(scaled), [2.5, 3.5, 2.5, 3.5], 1e-6);
  // window 1: pos 1 sees only itself → v1
  const windowed = cpu.attention(q, k, v, ids([0]), ids([1]), { ...opts, slidingWindow: 1 });
  assertClose(await cpu.read(windowed), [3, 4, 3, 4]);
  // cap 1: scores [0, 2] → [0, tanh 2 = 0.96402758]; weight of v1 = 1/(1 + e^−0.96402758)
  // = 1/1.38135182 = 0.72392750 → out = v0 + 0.72392750·(v1 − v0) = [2.44785500, 3.44785500]
  const capped = cpu.attention(q, k, v, ids([0]), ids([1]), { ...opts, softcap: 1 });
  assertClose(await cpu.read(capped), [2.447855, 3.447855, 2.447855, 3.447855], 1e-6);
});

test('attention: two kv heads, each serving two query heads', async () => {
  // K = 2, H = 4, D = 1, one position: every head returns its kv head's single value
  const k = f([1, 1], [1, 1, 2]);
  const v = f([10, 20], [1, 1, 2]);
  const y = cpu.attention(f([1, 2, 3, 4], [1, 4]), k, v, ids([0]), ids([0]), {
    ...opts,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 1,
  });
  assert.deepEqual([...(await cpu.read(y))], [10, 10, 20, 20]);
});
