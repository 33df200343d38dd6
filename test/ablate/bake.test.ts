// Baking against a hand-computed 2×2 example in all three normalisation modes, and the
// stored-dtype rounding (bf16, f16) against bit patterns worked out by hand.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bakeEmbedding, bakeWriter } from '../../src/ablate/bake.js';
import { fullOutScale } from '../../src/ablate/full-normalization.js';
import { bf16Bits, encodeF32, f16Bits } from '../../src/ablate/store-dtype.js';
import type { HostTensor } from '../../src/backend/backend.js';
import { hostToF32 } from '../../src/backend/cpu/dtype.js';

const f32 = (shape: number[], values: number[]): HostTensor => ({
  shape,
  dtype: 'f32',
  bytes: new Uint8Array(Float32Array.from(values).buffer),
});
const values = (t: HostTensor): number[] => Array.from(hostToF32('t', t));
const close = (actual: number[], expected: number[], tol = 1e-5): void => {
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `[${i}] ${actual[i]} vs ${expected[i]}`);
  }
};

// W = [[3,4],[0,2]] (2 outputs × 2 inputs), v = [0.6, 0.8], w = 1
const W = f32([2, 2], [3, 4, 0, 2]);
const edit = { direction: Float32Array.from([0.6, 0.8]), weight: 1 };

test('mode none: W − v(vᵀW)', () => {
  // vᵀW = [1.8, 4.0]; W' = [[3 − 1.08, 4 − 2.4], [0 − 1.44, 2 − 3.2]]
  const { weight, bias } = bakeWriter('o', W, f32([2], [1, 1]), edit, 'none');
  close(values(weight), [1.92, 1.6, -1.44, -1.2]);
  // bias: b − v(vᵀb) = [1,1] − 1.4·[0.6,0.8] = [0.16, −0.12]
  close(values(bias as HostTensor), [0.16, -0.12]);
});

test('mode pre: W − w(n⊙v)(vᵀŴ)', () => {
  // n = [5,2], Ŵ = [[0.6,0.8],[0,1]], u = vᵀŴ = [0.36, 1.28], n⊙v = [3, 1.6]
  // W' = W − [[1.08, 3.84], [0.576, 2.048]]
  close(values(bakeWriter('o', W, null, edit, 'pre').weight), [1.92, 0.16, -0.576, -0.048]);
});

test('mode full: ablate Ŵ, renormalise its rows, restore the norms', () => {
  // Ŵ − v uᵀ = [[0.384, 0.032], [−0.288, −0.024]], row norms m = [0.385331, 0.288998];
  // W' = diag(n/m)·that = [[4.982729, 0.415227], [−1.993092, −0.166091]]
  close(
    values(bakeWriter('o', W, null, edit, 'full').weight),
    [4.982729, 0.415227, -1.993092, -0.166091],
  );
  // the closed form: m² = 1 − 2w v_i (Ŵu)_i + w² v_i² ‖u‖², Ŵu = [1.24, 1.28], ‖u‖² = 1.768
  const s = fullOutScale([5, 2], [0.6, 0.8], 1, [1.24, 1.28], 1.768);
  close(Array.from(s), [5 / 0.3853310265, 2 / 0.2889982699], 1e-8);
});

test('weight 0 is the identity in every mode, bit for bit', () => {
  const zero = { ...edit, weight: 0 };
  for (const mode of ['none', 'pre', 'full'] as const) {
    assert.deepEqual(bakeWriter('o', W, null, zero, mode).weight.bytes, W.bytes, mode);
  }
});

test('embedding: every row loses w times its component along v', () => {
  // rows [1,2] and [3,−1], v = [0.6,0.8], w = 0.5: dots 2.2 and 1.0
  // [1,2] − 1.1·[0.6,0.8] = [0.34, 1.12]; [3,−1] − 0.5·[0.6,0.8] = [2.7, −1.4]
  const out = bakeEmbedding('e', f32([2, 2], [1, 2, 3, -1]), { ...edit, weight: 0.5 });
  close(values(out), [0.34, 1.12, 2.7, -1.4]);
});

test('baking keeps the stored dtype', () => {
  const bf16: HostTensor = {
    shape: [2, 2],
    dtype: 'bf16',
    bytes: encodeF32(Float32Array.from([3, 4, 0, 2]), 'bf16'),
  };
  const out = bakeWriter('o', bf16, null, edit, 'none').weight;
  assert.equal(out.dtype, 'bf16');
  assert.equal(out.bytes.byteLength, 8);
  // 1.92 in bf16: 1.921875 (0x3ff6); −1.44 → −1.4375; 1.6 → 1.6015625; −1.2 → −1.203125
  assert.deepEqual(values(out), [1.921875, 1.6015625, -1.4375, -1.203125]);
});

const bits = (x: number): number => new Uint32Array(Float32Array.from([x]).buffer)[0];

test('bf16: round to nearest, ties to even, NaN stays NaN', () => {
  assert.equal(bf16Bits(bits(1)), 0x3f80);
  assert.equal(bf16Bits(0x3f808000), 0x3f80); // 1 + 2^-8: tie, 0x3f80 is even
  assert.equal(bf16Bits(0x3f818000), 0x3f82); // 1 + 3·2^-8: tie, rounds up to even
  assert.equal(bf16Bits(0x3f808001), 0x3f81); // just above the tie
  assert.equal(bf16Bits(0x7f800001), 0x7fc0); // a NaN whose payload is in the dropped bits
  assert.equal(bf16Bits(0xffc00000 | 0), 0xffc0); // negative NaN keeps its sign
  assert.equal(bf16Bits(0x7f7fffff), 0x7f80); // max f32 rounds to inf, as torch does
});

test('f16: normals, ties, overflow, subnormals', () => {
  assert.equal(f16Bits(bits(1)), 0x3c00);
  assert.equal(f16Bits(bits(-2)), 0xc000);
  assert.equal(f16Bits(bits(65504)), 0x7bff);
  assert.equal(f16Bits(bits(65520)), 0x7c00); // halfway to 65536: ties to even = inf
  assert.equal(f16Bits(bits(1 / 3)), 0x3555);
  assert.equal(f16Bits(bits(2 ** -24)), 0x0001); // smallest subnormal
  assert.equal(f16Bits(bits(2 ** -25)), 0x0000); // exactly half of it: ties to even = 0
  assert.equal(f16Bits(bits(1.5 * 2 ** -25)), 0x0001);
  assert.equal(f16Bits(bits(3 * 2 ** -25)), 0x0002); // 1.5 subnormal units: tie to even 2
  assert.equal(f16Bits(bits(2 ** -14)), 0x0400); // smallest normal
  assert.equal(f16Bits(0x7fc00000), 0x7e00);
  assert.equal(f16Bits(bits(Number.POSITIVE_INFINITY)), 0x7c00);
});
