// Separation diagnostics against hand computations.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  formatSeparationTable,
  separationDiagnostics,
  silhouette,
} from '../../src/ablate/diagnostics.js';

const p = (...x: number[]): Float32Array => Float32Array.from(x);

test('silhouette of two 1-D clusters {0,1} and {4,5}', () => {
  // point 0: a = 1, b = (4+5)/2 = 4.5 → 3.5/4.5 = 7/9; point 1: a = 1, b = 3.5 → 5/7;
  // symmetric for 4 and 5; mean = (7/9 + 5/7)/2 = 94/126
  assert.ok(Math.abs(silhouette([p(0), p(1)], [p(4), p(5)]) - 94 / 126) < 1e-12);
  // identical clusters: a = b for every point → 0... here a = 1 (the twin), b = 0.5 → −0.5 each
  assert.ok(Math.abs(silhouette([p(0), p(1)], [p(0), p(1)]) - -0.5) < 1e-12);
  // a point alone in its cluster scores 0: {0} vs {3, 5}: 3: a = 2, b = 3 → 1/3; 5: a = 2, b = 5 → 3/5
  assert.ok(Math.abs(silhouette([p(0)], [p(3), p(5)]) - (0 + 1 / 3 + 3 / 5) / 3) < 1e-12);
});

test('per-state rows: cosine, difference norm, share along the harmless mean', () => {
  const harmful = {
    count: 2,
    means: [Float64Array.from([3, 1])],
    sample: [[p(3, 0), p(3, 2)]],
  };
  const harmless = {
    count: 2,
    means: [Float64Array.from([1, 1])],
    sample: [[p(1, 0), p(1, 2)]],
  };
  const [row] = separationDiagnostics(harmful, harmless);
  // cos([1,1],[3,1]) = 4/(√2·√10) = 0.894427; |b − g| = |[2,0]| = 2; cos([2,0],[1,1]) = 1/√2
  assert.ok(Math.abs(row.cosine - 4 / Math.sqrt(20)) < 1e-12);
  assert.equal(row.differenceNorm, 2);
  assert.ok(Math.abs(row.harmfulNorm - Math.sqrt(10)) < 1e-12);
  assert.ok(Math.abs(row.harmlessNorm - Math.SQRT2) < 1e-12);
  assert.ok(Math.abs(row.differenceAlongHarmless - Math.SQRT1_2) < 1e-12);
  // samples: harmful (3,0),(3,2), harmless (1,0),(1,2). For (3,0): a = 2, b = (2 + √8)/2 = 2.41421
  // → 0.41421/2.41421 = 0.171573; by symmetry all four points score the same
  assert.ok(Math.abs((row.silhouette as number) - (1 - 2 / (1 + Math.SQRT2))) < 1e-12);
  const table = formatSeparationTable([row]);
  assert.match(table, /state\s+cos\(g,b\)/);
  assert.match(table, /0\s+0\.8944\s+2\.000/);
});

test('no kept samples: silhouette is null and printed as -', () => {
  const stats = { count: 1, means: [Float64Array.from([1, 0])], sample: [[]] };
  const [row] = separationDiagnostics(stats, { ...stats, means: [Float64Array.from([0, 1])] });
  assert.equal(row.silhouette, null);
  assert.match(formatSeparationTable([row]), / -\n/);
});
