// Residual analysis pieces against hand computations: the Fisher ratio along a direction, PCA
// coordinates of points with known principal axes, neighbour cosines and the marked state.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SeparationRow } from '../../src/ablate/diagnostics.js';
import {
  analyseLayers,
  fisherRatio,
  formatLayerTable,
  mostSeparable,
} from '../../src/inspect/analysis.js';
import { pca2 } from '../../src/inspect/projection.js';

const f32 = (...v: number[]): Float32Array => Float32Array.from(v);

test('Fisher ratio: squared mean gap over summed population variances of the projections', () => {
  // along x: harmful 3, 5 (mean 4, var 1); harmless 0, 2 (mean 1, var 1) → 3² / 2 = 4.5
  const harmful = [f32(3, 9), f32(5, -9)];
  const harmless = [f32(0, 1), f32(2, 1)];
  assert.equal(fisherRatio(harmful, harmless, [1, 0]), 4.5);
  assert.equal(fisherRatio([], harmless, [1, 0]), 0);
});

test('PCA: coordinates on the axes of largest and second variance', () => {
  // centred points ±(3,0,0) and ±(0,1,0): PC1 along x (±3), PC2 along y (±1)
  const points = [f32(3, 0, 5), f32(-3, 0, 5), f32(0, 1, 5), f32(0, -1, 5)];
  const got = pca2(points);
  const want = [
    [3, 0],
    [-3, 0],
    [0, 1],
    [0, -1],
  ];
  for (const [i, [x, y]] of got.entries()) {
    assert.ok(Math.abs(Math.abs(x) - Math.abs(want[i][0])) < 1e-6, `point ${i} PC1 ${x}`);
    assert.ok(Math.abs(Math.abs(y) - Math.abs(want[i][1])) < 1e-6, `point ${i} PC2 ${y}`);
  }
  assert.ok(Math.abs(got[0][0] + got[1][0]) < 1e-9, 'opposite points, opposite coordinates');
});

test('rows: neighbour cosines, the most separable state after the embeddings, the table marks it', () => {
  const row = (state: number): SeparationRow => ({
    state,
    cosine: 0.5,
    differenceNorm: 1,
    harmfulNorm: 2,
    harmlessNorm: 3,
    differenceAlongHarmless: 0,
    silhouette: 0.1 * state,
  });
  const sample = [f32(1, 0), f32(3, 0)];
  const other = [f32(0, 0), f32(0, 0)];
  const stats = (s: Float32Array[]) => ({ count: 2, means: [], sample: [s, s, s] });
  const dirs = [f32(1, 0), f32(0.6, 0.8), f32(1, 0)];
  const rows = analyseLayers(stats(sample), stats(other), [row(0), row(1), row(2)], dirs);
  // cos(d1, d0) = 0.6, cos(d2, d1) = 0.6
  assert.equal(rows[0].neighbourCosine, null);
  for (const r of rows.slice(1)) assert.ok(Math.abs((r.neighbourCosine as number) - 0.6) < 1e-6);
  // projections on x: 1, 3 vs 0, 0 → (2)² / 1 = 4; on d1: 0.6, 1.8 vs 0 → 1.2² / 0.36 = 4
  assert.ok(Math.abs(rows[0].fisher - 4) < 1e-5 && Math.abs(rows[1].fisher - 4) < 1e-5);
  rows[2].fisher = 5;
  rows[0].fisher = 9; // the embeddings never count
  assert.equal(mostSeparable(rows), 2);
  assert.match(formatLayerTable(rows, null).split('\n')[3], /^\s+\*2\s/);
});
