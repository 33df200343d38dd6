// rmsNorm, rope and attentionInputs (split, q/k norm, rope, cache writes) against values worked
// out by hand.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AttentionInputOptions } from '../../../src/backend/backend.js';
import { createCpuBackend } from '../../../src/backend/cpu/index.js';
import { ropeForward } from '../../../src/backend/cpu/rope.js';
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

test('rope: half-split pairs (i, i + D/2) rotate by pos·invFreq', () => {
  // D = 4, invFreq [1, 0.5]; head 0 = [1,0,0,0] at pos 1: pair (x0,x2) by angle 1 →
  // x0 = cos 1 = 0.54030231, x2 = sin 1 = 0.84147098. Head 1 = [0,1,0,1]: pair (x1,x3) by 0.5 →
  // x1 = cos .5 − sin .5 = 0.39815702, x3 = cos .5 + sin .5 = 1.35700810
  const x = new Float32Array([1, 0, 0, 0, 0, 1, 0, 1]);
  ropeForward(x, new Int32Array([1]), new Float32Array([1, 0.5]), 1, 2, 4, 4, 1);
  assertClose(x, [0.54030231, 0, 0.84147098, 0, 0, 0.39815702, 0, 1.3570081], 1e-6);
});

test('rope: position 0 is the identity; attention factor scales; partial rotary leaves the tail', () => {
  const x0 = new Float32Array([1, 2, 3, 4]);
  ropeForward(x0, new Int32Array([0]), new Float32Array([1, 0.5]), 1, 1, 4, 4, 1);
  assertClose(x0, [1, 2, 3, 4]);
  // rotaryDim 2 of D 4: only (x0, x1) rotate, by angle 2·1 at pos 2, then ×3;
  // x0 = 3(cos 2 − 2 sin 2) = 3(−0.41614684 − 1.81859485) = −6.70422507
  // x1 = 3(2 cos 2 + sin 2) = 3(−0.83229367 + 0.90929743) = 0.23101127
  const x = new Float32Array([1, 2, 3, 4]);
  ropeForward(x, new Int32Array([2]), new Float32Array([1]), 1, 1, 4, 2, 3);
  assertClose(x, [-6.70422507, 0.23101127, 3, 4], 1e-6);
});

describe('attentionInputs: q returned, k and v into the cache at (seq, pos)', () => {
  // H = K = 1, D = 2, invFreq [1]. Row 0 (seq 0, pos 0): q [3,4], k [1,0], v [5,6], no rotation.
  // Row 1 (seq 1, pos 1): q [0,2], k [0,1], v [7,8]; angle 1 turns (a, b) into
  // (a cos 1 − b sin 1, b cos 1 + a sin 1).
  const qkv = () => f([3, 4, 1, 0, 5, 6, 0, 2, 0, 1, 7, 8], [2, 6]);
  const run = (qkNorm: AttentionInputOptions['qkNorm']) => {
    const cacheK = cpu.zeros([2, 2, 2], 'f32');
    const cacheV = cpu.zeros([2, 2, 2], 'f32');
    const q = cpu.attentionInputs(qkv(), cacheK, cacheV, ids([0, 1]), ids([0, 1]), {
      numHeads: 1,
      numKvHeads: 1,
      headDim: 2,
      invFreq: f([1], [1]),
      rotaryDim: 2,
      attentionFactor: 1,
      qkNorm,
    });
    return { q, cacheK, cacheV };
  };

  test('rope only; v as it is', async () => {
    const { q, cacheK, cacheV } = run(null);
    // q1 = [−2 sin 1, 2 cos 1]; k1 = [−sin 1, cos 1]
    assertClose(await cpu.read(q), [3, 4, -1.68294197, 1.08060461], 1e-6);
    assertClose(await cpu.read(cacheK), [1, 0, 0, 0, 0, 0, -0.84147098, 0.54030231], 1e-6);
    assert.deepEqual([...(await cpu.read(cacheV))], [5, 6, 0, 0, 0, 0, 7, 8]);
  });

  test('q/k RMS-normed per head before rope', async () => {
    // q norm w [1,2]: row 0 [3,4]/√12.5 → [0.84852814, 2·1.13137085]; row 1 [0,2]/√2 · [1,2] =
    // [0, 2√2] → [−2√2 sin 1, 2√2 cos 1]. k norm w [1,1]: [1,0]/√.5 = [√2, 0]; [0,1] → [0, √2] →
    // [−√2 sin 1, √2 cos 1]
    const { q, cacheK } = run({ q: f([1, 2], [2]), k: f([1, 1], [2]), eps: 0, offset: 0 });
    assertClose(await cpu.read(q), [0.84852814, 2.2627417, -2.38003936, 1.5282057], 1e-6);
    assertClose(await cpu.read(cacheK), [Math.SQRT2, 0, 0, 0, 0, 0, -1.19001968, 0.76410285], 1e-6);
  });

  test('a row outside the cache fails with its position', () => {
    const cacheK = cpu.zeros([2, 1, 2], 'f32');
    assert.throws(
      () =>
        cpu.attentionInputs(qkv(), cacheK, cpu.zeros([2, 1, 2], 'f32'), ids([0, 1]), ids([0, 1]), {
          numHeads: 1,
          numKvHeads: 1,
          headDim: 2,
          invFreq: f([1], [1]),
          rotaryDim: 2,
          attentionFactor: 1,
          qkNorm: null,
        }),
      /seq 1, pos 1\).*outside the cache/,
    );
  });
});
