// logSoftmax, argmax and klDivergence against hand values.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCpuBackend } from '../../../src/backend/cpu/index.js';
import { assertClose } from './approx.js';

const cpu = createCpuBackend();
const f = (data: number[], shape: number[]) => cpu.tensor(new Float32Array(data), shape);

test('logSoftmax: x − logsumexp(x), shift-invariant', async () => {
  // [0, ln 3] → probabilities [1/4, 3/4]; adding 1000 must not overflow (in f32, 1000 + ln 3 is
  // off by up to half an ulp, 3.1e-5, hence the looser tolerance on that row)
  const y = await cpu.read(cpu.logSoftmax(f([0, Math.log(3), 1000, 1000 + Math.log(3)], [2, 2])));
  assertClose(y.subarray(0, 2), [Math.log(0.25), Math.log(0.75)], 1e-6);
  assertClose(y.subarray(2), [Math.log(0.25), Math.log(0.75)], 1e-4);
});

test('argmax: index of the maximum, lowest on ties', async () => {
  const y = await cpu.read(cpu.argmax(f([1, 3, 3, 0, -5, -1, -2, -1], [2, 4])));
  assert.ok(y instanceof Int32Array);
  assert.deepEqual([...y], [1, 1]);
});

test('klDivergence: Σ p·(log p − log q), zero-probability terms vanish', async () => {
  // P = [1/4, 3/4], Q = [1/2, 1/2]: 0.25·ln 0.5 + 0.75·ln 1.5 = −0.17328680 + 0.30409883 = 0.13081204
  // P = [1, 0], Q = [1/2, 1/2]: ln 2 = 0.69314718
  const logP = f([Math.log(0.25), Math.log(0.75), 0, Number.NEGATIVE_INFINITY], [2, 2]);
  const logQ = f([Math.log(0.5), Math.log(0.5), Math.log(0.5), Math.log(0.5)], [2, 2]);
  assertClose(await cpu.read(cpu.klDivergence(logP, logQ)), [0.13081204, Math.LN2], 1e-6);
});
