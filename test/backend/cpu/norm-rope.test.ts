// rmsNorm and rope against values worked out by hand.

import { test } from 'node:test';
import { createCpuBackend } from '../../../src/backend/cpu/index.js';
import { assertClose } from './approx.js';

const cpu = createCpuBackend();
const f = (data: number[], shape: number[]) => cpu.tensor(new Float32Array(data), shape);
const ids = (data: number[]) => cpu.tensor(new Int32Array(data), [data.length]);

test('rmsNorm: x / sqrt(mean(x²) + eps) · (offset + w)', async () => {
  // row [3,4]: ms = 12.5, 1/sqrt(12.5) = 0.28284271; w = [1,2] → [0.84852814, 2.26274170]
  // row [1,1], eps 3 would give 1/sqrt(1+3) = 0.5; with eps 0 it is 1 → [1, 2]
  const x = f([3, 4, 1, 1], [2, 2]);
  const w = f([1, 2], [2]);
  assertClose(await cpu.read(cpu.rmsNorm(x, w, 0, 0)), [0.84852814, 2.2627417, 1, 2], 1e-6);
  assertClose(await cpu.read(cpu.rmsNorm(f([1, 1], [1, 2]), w, 3, 0)), [0.5, 1]);
  // Gemma's offset 1: weights become [2, 3]
  assertClose(await cpu.read(cpu.rmsNorm(x, w, 0, 1)), [1.69705628, 3.39411255, 2, 3], 1e-6);
});

test('rmsNorm over heads: rows of width D inside [T, H·D]', async () => {
  // two heads of D = 2 in one row: [3,4] and [0,2] → [0.6·√2, 0.8·√2] and [0, √2]
  const y = await cpu.read(cpu.rmsNorm(f([3, 4, 0, 2], [1, 4]), f([1, 1], [2]), 0, 0));
  assertClose(y, [0.84852814, 1.13137085, 0, Math.SQRT2], 1e-6);
});

test('rope: half-split pairs (i, i + D/2) rotate by pos·invFreq', async () => {
  // D = 4, invFreq [1, 0.5]; head 0 = [1,0,0,0] at pos 1: pair (x0,x2) by angle 1 →
  // x0 = cos 1 = 0.54030231, x2 = sin 1 = 0.84147098. Head 1 = [0,1,0,1]: pair (x1,x3) by 0.5 →
  // x1 = cos .5 − sin .5 = 0.39815702, x3 = cos .5 + sin .5 = 1.35700810
  const x = f([1, 0, 0, 0, 0, 1, 0, 1], [1, 8]);
  cpu.rope(x, ids([1]), 2, 4, f([1, 0.5], [2]), 4, 1);
  assertClose(await cpu.read(x), [0.54030231, 0, 0.84147098, 0, 0, 0.39815702, 0, 1.3570081], 1e-6);
});

test('rope: position 0 is the identity; attention factor scales; partial rotary leaves the tail', async () => {
  const x0 = f([1, 2, 3, 4], [1, 4]);
  cpu.rope(x0, ids([0]), 1, 4, f([1, 0.5], [2]), 4, 1);
  assertClose(await cpu.read(x0), [1, 2, 3, 4]);
  // rotaryDim 2 of D 4: only (x0, x1) rotate, by angle 2·1 at pos 2, then ×3;
  // x0 = 3(cos 2 − 2 sin 2) = 3(−0.41614684 − 1.81859485) = −6.70422507
  // x1 = 3(2 cos 2 + sin 2) = 3(−0.83229367 + 0.90929743) = 0.23101127
  const x = f([1, 2, 3, 4], [1, 4]);
  cpu.rope(x, ids([2]), 1, 4, f([1], [1]), 2, 3);
  assertClose(await cpu.read(x), [-6.70422507, 0.23101127, 3, 4], 1e-6);
});
