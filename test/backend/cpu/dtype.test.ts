// Stored dtypes decode to the f32 values their bit patterns denote (IEEE 754 by hand).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostToF32 } from '../../../src/backend/cpu/dtype.js';

function u16bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Uint16Array(values).buffer);
}

test('bf16 is the top half of an f32', () => {
  // 0x3F80 → 0x3F800000 = 1; 0xC000 → -2; 0x4049 → 0x40490000 = 3.140625
  const out = hostToF32('t', {
    shape: [3],
    dtype: 'bf16',
    bytes: u16bytes([0x3f80, 0xc000, 0x4049]),
  });
  assert.deepEqual([...out], [1, -2, 3.140625]);
});

test('f16 decodes normals, subnormals, infinities and NaN', () => {
  // 0x3C00 = 1; 0xC000 = -2; 0x0001 = 2^-24 (smallest subnormal); 0x7BFF = 65504 (largest);
  // 0x3555 = 1.0101010101b × 2^-2 = 0.333251953125; 0xFC00 = -inf; 0x7E00 = NaN
  const bytes = u16bytes([0x3c00, 0xc000, 0x0001, 0x7bff, 0x3555, 0xfc00, 0x7e00]);
  const out = hostToF32('t', { shape: [7], dtype: 'f16', bytes });
  assert.deepEqual([...out.subarray(0, 6)], [1, -2, 2 ** -24, 65504, 0.333251953125, -Infinity]);
  assert.ok(Number.isNaN(out[6]));
});

test('f32 bytes at an unaligned offset are copied out', () => {
  const buf = new Uint8Array(9);
  buf.set(new Uint8Array(new Float32Array([1.5, -0.25]).buffer), 1);
  const out = hostToF32('t', { shape: [2], dtype: 'f32', bytes: buf.subarray(1) });
  assert.deepEqual([...out], [1.5, -0.25]);
});

test('a byte count that does not match the shape names the tensor', () => {
  assert.throws(
    () => hostToF32('model.norm.weight', { shape: [3], dtype: 'bf16', bytes: new Uint8Array(4) }),
    /model\.norm\.weight: shape \[3\] bf16 needs 6 bytes, got 4/,
  );
});
