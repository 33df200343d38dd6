// Winsorisation against hand computations of numpy-style linear-interpolation quantiles.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { quantileOfSorted, winsorize } from '../../src/ablate/winsorize.js';

test('quantiles interpolate linearly between order statistics', () => {
  // position q·(n−1): 0.5·3 = 1.5 → 2 + 0.5·(3 − 2) = 2.5; 0.9·3 = 2.7 → 3 + 0.7·(4 − 3) = 3.7
  assert.equal(quantileOfSorted([1, 2, 3, 4], 0.5), 2.5);
  assert.ok(Math.abs(quantileOfSorted([1, 2, 3, 4], 0.9) - 3.7) < 1e-12);
  assert.equal(quantileOfSorted([1, 2, 3, 4], 1), 4);
  assert.equal(quantileOfSorted([7], 0.3), 7);
});

test('components are clamped to ±quantile of the magnitudes', () => {
  // |x| sorted = [1, 2, 3, 10]; the 0.5-quantile is 2.5, so −10 → −2.5 and 3 → 2.5
  assert.deepEqual(
    Array.from(winsorize(Float32Array.from([1, -10, 2, 3]), 0.5)),
    [1, -2.5, 2, 2.5],
  );
  // q = 1 clamps at the largest magnitude: nothing changes
  assert.deepEqual(Array.from(winsorize(Float32Array.from([1, -10, 2, 3]), 1)), [1, -10, 2, 3]);
});

test('a quantile outside (0, 1] is refused with the fix', () => {
  assert.throws(() => winsorize(new Float32Array(3), 1.5), /outside \(0, 1\]/);
  assert.throws(() => winsorize(new Float32Array(3), 0), /0 to turn it off/);
});
