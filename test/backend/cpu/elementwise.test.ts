// embed, gatherRows, gatedActivation, softcap, addInPlace and ablate against hand values.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCpuBackend } from '../../../src/backend/cpu/index.js';
import { assertClose } from './approx.js';

const cpu = createCpuBackend();
const f = (data: number[], shape: number[]) => cpu.tensor(new Float32Array(data), shape);
const ids = (data: number[]) => cpu.tensor(new Int32Array(data), [data.length]);

test('embed: table rows times the scale; ids outside the vocabulary fail', async () => {
  const table = f([1, 2, 3, 4, 5, 6], [3, 2]);
  assertClose(await cpu.read(cpu.embed(table, ids([2, 0, 2]), 2)), [10, 12, 2, 4, 10, 12]);
  assert.throws(
    () => cpu.embed(table, ids([3]), 1),
    /token id 3 is outside the vocabulary \[0, 3\)/,
  );
});

test('gatherRows picks rows in the order asked', async () => {
  const x = f([1, 2, 3, 4, 5, 6], [3, 2]);
  assert.deepEqual([...(await cpu.read(cpu.gatherRows(x, ids([2, 0]))))], [5, 6, 1, 2]);
});

test('gatedActivation: silu and gelu (tanh) of gate times up, from one [T, 2F] tensor', async () => {
  // silu(1) = 1/(1+e^−1) = 0.73105858; silu(−2) = −2/(1+e²) = −0.23840584; up = [2, 1]
  const silu = cpu.gatedActivation(f([1, -2, 2, 1], [1, 4]), 'silu');
  assertClose(await cpu.read(silu), [1.46211716, -0.23840584], 1e-6);
  // gelu_tanh(1) = 0.5(1 + tanh(√(2/π)·1.044715)) = 0.84119199; gelu_tanh(−1) = −0.15880801;
  // the second row's up is 3: row 1 of the result is 3·gelu_tanh(−1)
  const gelu = cpu.gatedActivation(f([1, 1, -1, 3], [2, 2]), 'gelu_tanh');
  assertClose(await cpu.read(gelu), [0.84119199, 3 * -0.15880801], 1e-6);
});

test('concatRows stacks rows', async () => {
  const joined = cpu.concatRows([f([1, 2], [1, 2]), f([3, 4, 5, 6], [2, 2])]);
  assert.deepEqual(joined.shape, [3, 2]);
  assert.deepEqual([...(await cpu.read(joined))], [1, 2, 3, 4, 5, 6]);
  assert.throws(
    () => cpu.concatRows([f([1, 2], [1, 2]), f([1], [1, 1])]),
    /differ past their rows/,
  );
});

test('softcap and addInPlace', async () => {
  // 2·tanh(2/2) = 1.52318831; 2·tanh(−4/2) = −1.92805516
  const x = f([2, -4], [2]);
  cpu.softcap(x, 2);
  assertClose(await cpu.read(x), [1.52318831, -1.92805516], 1e-6);
  cpu.addInPlace(x, f([1, 1], [2]));
  assertClose(await cpu.read(x), [2.52318831, -0.92805516], 1e-6);
});

test('ablate, mode none: y − w·v(vᵀy) with a plan per row', async () => {
  // plan 0: v = [1,0], w = 1 → [3,4] becomes [0,4]; plan 1: v = [0,1], w = 0.5 → [3, 4 − 2]
  const directions = f([1, 0, 0, 1], [2, 2]);
  const weights = f([1, 0.5], [2]);
  const y = f([3, 4, 3, 4], [2, 2]);
  cpu.ablate(y, { directions, weights, inverseNorm: null, outScale: null }, ids([0, 1]));
  assertClose(await cpu.read(y), [0, 4, 3, 2]);
  const y0 = f([3, 4], [1, 2]);
  cpu.ablate(y0, { directions, weights, inverseNorm: null, outScale: null }, null);
  assertClose(await cpu.read(y0), [0, 4]);
});

test('ablate with row norms: s ⊙ (ŷ − w·v(vᵀŷ)), ŷ = y ⊘ n', async () => {
  // y = [3,4], 1/n = [0.5, 0.25] → ŷ = [1.5, 1]; v = [0.6, 0.8]: vᵀŷ = 1.7;
  // ŷ − 1.7·v = [0.48, −0.36]; s = [2, 4] → [0.96, −1.44]
  const y = f([3, 4], [1, 2]);
  cpu.ablate(
    y,
    {
      directions: f([0.6, 0.8], [1, 2]),
      weights: f([1], [1]),
      inverseNorm: f([0.5, 0.25], [2]),
      outScale: f([2, 4], [1, 2]),
    },
    null,
  );
  assertClose(await cpu.read(y), [0.96, -1.44], 1e-6);
});

test('a disposed tensor cannot be used, and live tensors are counted', () => {
  const before = cpu.liveTensors();
  const x = f([1, 2], [1, 2]);
  assert.equal(cpu.liveTensors(), before + 1);
  cpu.dispose(x);
  assert.equal(cpu.liveTensors(), before);
  assert.throws(() => cpu.softcap(x, 1), /used after dispose/);
});
