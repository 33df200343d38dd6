// linear, addLinear, linearTransposed and rowNorms against products worked out by hand.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCpuBackend } from '../../../src/backend/cpu/index.js';
import { assertClose } from './approx.js';

const cpu = createCpuBackend();
const f = (data: number[], shape: number[]) => cpu.tensor(new Float32Array(data), shape);

test('linear: x·wᵀ + bias, including the rows after the last blocks (4 of w, 2 of x)', async () => {
  // x [3,3] (one pair of rows and a tail row); w [5,3] (one block of four and a tail row); bias [5]
  const x = f([1, 2, 3, -1, 0, 2, 0, 1, -1], [3, 3]);
  const w = f([1, 0, 0, 0, 1, 0, 1, 1, 1, 2, -1, 0, 0, 0, 0.5], [5, 3]);
  const b = f([0, 0, 0, 0, 10], [5]);
  // row 0: [1, 2, 1+2+3, 2-2, 1.5+10]; row 1: [-1, 0, -1+0+2, -2, 1+10];
  // row 2: [0, 1, 0+1-1, 0-1, -0.5+10]
  const withBias = [1, 2, 6, 0, 11.5, -1, 0, 1, -2, 11, 0, 1, 0, -1, 9.5];
  assertClose(await cpu.read(cpu.linear(x, w, b)), withBias);
  assertClose(
    await cpu.read(cpu.linear(x, w)),
    [1, 2, 6, 0, 1.5, -1, 0, 1, -2, 1, 0, 1, 0, -1, -0.5],
  );
});

test('addLinear adds x·wᵀ + bias into the residual, in place', async () => {
  // x [1,2] = [1, 2], w [2,2] = [[1, 1], [0, 3]], bias [0.5, 0] → [3.5, 6]; into [10, 20] → [13.5, 26]
  const into = f([10, 20], [1, 2]);
  const x = f([1, 2], [1, 2]);
  cpu.addLinear(into, x, f([1, 1, 0, 3], [2, 2]), f([0.5, 0], [2]));
  assert.deepEqual([...(await cpu.read(into))], [13.5, 26]);
  assert.throws(() => cpu.addLinear(x, x, f([1, 1, 0, 3], [2, 2])), /its own input/);
});

test('linear rejects mismatched inner sizes', () => {
  assert.throws(() => cpu.linear(f([1, 2], [1, 2]), f([1, 2, 3], [1, 3])), /inner sizes differ/);
});

test('linearTransposed: x·w', async () => {
  // [1, 2] · [[1,2,3],[4,5,6]] = [1+8, 2+10, 3+12]
  const y = cpu.linearTransposed(f([1, 2], [1, 2]), f([1, 2, 3, 4, 5, 6], [2, 3]));
  assert.deepEqual(y.shape, [1, 3]);
  assertClose(await cpu.read(y), [9, 12, 15]);
});

test('rowNorms: Euclidean norm per row', async () => {
  // |(3,4,0)| = 5; |(1,2,2)| = 3
  assertClose(await cpu.read(cpu.rowNorms(f([3, 4, 0, 1, 2, 2], [2, 3]))), [5, 3]);
});
