// Host-side f16 conversions (no GPU needed): every f16 value round-trips, f32 rounds to nearest
// even, and overflow names the tensor. (bf16 → f16 runs on the GPU: memory.test.ts.)

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { f16Table, f32ToF16Bits, toF16 } from '../../../src/backend/webgpu/half.js';

test('every finite f16 value round-trips through f32', () => {
  const table = f16Table();
  for (let h = 0; h < 65536; h++) {
    if (Number.isNaN(table[h])) continue;
    assert.equal(f32ToF16Bits(table[h]), h, `f16 0x${h.toString(16)}`);
  }
});

test('f32 → f16 rounds to nearest even, subnormals and overflow included', () => {
  // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to even (1); a bit more rounds up
  assert.equal(f32ToF16Bits(1 + 2 ** -11), 0x3c00);
  assert.equal(f32ToF16Bits(1 + 2 ** -11 + 2 ** -20), 0x3c01);
  assert.equal(f32ToF16Bits(1 + 3 * 2 ** -11), 0x3c02);
  assert.equal(f32ToF16Bits(2 ** -24), 0x0001); // smallest subnormal
  assert.equal(f32ToF16Bits(2 ** -25), 0x0000); // tie to even: zero
  assert.equal(f32ToF16Bits(-(2 ** -14)), 0x8400); // smallest normal, negative
  assert.equal(f32ToF16Bits(65504), 0x7bff);
  assert.equal(f32ToF16Bits(65520), 0x7c00); // rounds past the largest finite value
  assert.equal(f32ToF16Bits(Number.NEGATIVE_INFINITY), 0xfc00);
  assert.ok(
    (f32ToF16Bits(Number.NaN) & 0x7c00) === 0x7c00 && (f32ToF16Bits(Number.NaN) & 0x3ff) !== 0,
  );
});

test('f32 → f16 names the tensor and the element on overflow', () => {
  assert.throws(
    () =>
      toF16(
        'model.layers.3.mlp.down_proj.weight',
        { shape: [2], dtype: 'f32', bytes: new Uint8Array(new Float32Array([1, 70000]).buffer) },
        new Uint16Array(2),
      ),
    /weight model\.layers\.3\.mlp\.down_proj\.weight: element 1 = 70000 is outside the f16 range/,
  );
});
