import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  erfc,
  logNdtr,
  logNdtrDiff,
  ndtr,
  ndtri,
  truncatedNormalQuantile,
} from '../../src/optimize/normal.js';

const close = (actual: number, expected: number, rel = 1e-12) =>
  assert.ok(
    Math.abs(actual - expected) <= rel * Math.max(1, Math.abs(expected)),
    `${actual} != ${expected}`,
  );

test('erfc and Φ match reference values (scipy.special)', () => {
  close(erfc(0.5), 0.4795001221869535);
  close(erfc(-1), 1.8427007929497148);
  close(erfc(5) / 1.5374597944280349e-12, 1);
  close(ndtr(1.959963984540054), 0.975);
  close(ndtr(0), 0.5);
});

test('log Φ and log(Φ(b) − Φ(a)) stay accurate in the tails', () => {
  close(logNdtr(-40), -804.6084420137538); // scipy.special.log_ndtr(-40)
  close(logNdtr(3), Math.log(0.9986501019683699));
  // Φ(1) − Φ(−1) = 0.6826894921370859 (the 68 % rule)
  close(logNdtrDiff(-1, 1), Math.log(0.6826894921370859));
  // far upper tail: Q(30) − Q(31) ≈ Q(30) since Q(31) ≪ Q(30); log Q(30) = log_ndtr(−30)
  close(logNdtrDiff(30, 31), -454.3212439563432, 1e-10);
  assert.equal(logNdtrDiff(1, 1), Number.NEGATIVE_INFINITY);
});

test('Φ⁻¹ matches reference quantiles and inverts Φ', () => {
  close(ndtri(0.975), 1.959963984540054);
  close(ndtri(1e-10), -6.361340902404056);
  close(ndtri(0.75), 0.6744897501960817);
  for (const x of [-8, -3, -0.3, 0.7, 2.2, 5]) close(ndtri(ndtr(x)), x, 1e-9);
  assert.equal(ndtri(0), Number.NEGATIVE_INFINITY);
});

test('truncated normal quantiles', () => {
  // the median of N(0,1) on [−1, 1] is 0 by symmetry
  close(truncatedNormalQuantile(0, 1, -1, 1, 0.5), 0);
  // on [0, 40] the median is Φ⁻¹(0.75) (half of the upper half)
  close(truncatedNormalQuantile(0, 1, 0, 40, 0.5), 0.6744897501960817, 1e-9);
  // scaled and shifted: N(3, 2²) on [3, 83] → 3 + 2 · 0.6745
  close(truncatedNormalQuantile(3, 2, 3, 83, 0.5), 3 + 2 * 0.6744897501960817, 1e-9);
  // an interval far in the upper tail still gives points inside it
  const x = truncatedNormalQuantile(0, 1, 30, 31, 0.5);
  assert.ok(x >= 30 && x <= 31);
  // mean over a fine grid of u: E[X | 0 ≤ X ≤ 1] = (φ(0) − φ(1)) / (Φ(1) − Φ(0)) = 0.4598622
  let mean = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) mean += truncatedNormalQuantile(0, 1, 0, 1, (i + 0.5) / n) / n;
  close(mean, (0.3989422804014327 - 0.24197072451914337) / 0.3413447460685429, 1e-6);
});
