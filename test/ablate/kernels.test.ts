// Heretic's linear kernel and the Gaussian kernel against hand-computed weights.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  GAUSSIAN_PRESETS,
  gaussianLayerWeight,
  gaussianPlan,
} from '../../src/ablate/kernel-gaussian.js';
import {
  hereticLayerWeight,
  hereticPlan,
  interpolateDirection,
} from '../../src/ablate/kernel-heretic.js';

const d = (...x: number[]): Float32Array => Float32Array.from(x);
// 4 layers → 5 hidden states (0 = embeddings)
const directions = [d(1, 0), d(0, 1), d(1, 0), d(0, 1), d(-1, 0)];
const attn = { maxWeight: 1, maxWeightPosition: 2, minWeight: 0.5, minWeightDistance: 2 };
const mlp = { maxWeight: 1.2, maxWeightPosition: 3.5, minWeight: 0, minWeightDistance: 1 };

test('linear kernel: max at the peak, min at the distance, nothing beyond', () => {
  // w = max + (d / dist)·(min − max): d = 2 → 1 − 0.5 = 0.5; d = 1 → 0.75; d = 0 → 1
  assert.deepEqual(
    [0, 1, 2, 3].map((l) => hereticLayerWeight(l, attn)),
    [0.5, 0.75, 1, 0.75],
  );
  // peak 3.5, distance 1: layer 2 is 1.5 away (skipped); layer 3: 1.2 + 0.5·(0 − 1.2) = 0.6
  assert.deepEqual(
    [0, 1, 2, 3].map((l) => hereticLayerWeight(l, mlp)),
    [null, null, null, 0.6],
  );
});

test('per-layer scope: layer l ablates the direction of hidden state l+1', () => {
  const plan = hereticPlan(directions, { directionIndex: null, attn, mlp }, 'full');
  assert.equal(plan.normalization, 'full');
  assert.equal(plan.embedding, null);
  assert.equal(plan.layers.length, 4);
  for (let l = 0; l < 4; l++) assert.equal(plan.layers[l].attn?.direction, directions[l + 1]);
  assert.equal(plan.layers[3].mlp?.weight, 0.6);
  assert.equal(plan.layers[2].mlp, null);
});

test('global scope: direction_index 1.25 interpolates states 2 and 3 (the +1 shift)', () => {
  // shifted 2.25 → lerp(d2, d3, 0.25) = [0.75, 0.25], norm √0.625 = 0.790569 → [0.948683, 0.316228]
  const g = interpolateDirection(directions, 1.25);
  assert.ok(Math.abs(g[0] - 0.948683) < 1e-6 && Math.abs(g[1] - 0.316228) < 1e-6);
  const plan = hereticPlan(
    directions,
    { directionIndex: 1.25, attn, mlp, embeddingWeight: 0.3 },
    'none',
  );
  for (const layer of plan.layers) if (layer.attn) assert.deepEqual(layer.attn.direction, g);
  assert.deepEqual(plan.embedding, { direction: g, weight: 0.3 });
  // integral index 3 = last layer's output, state 4, exactly
  assert.deepEqual(Array.from(interpolateDirection(directions, 3)), [-1, 0]);
  // −1 is the embedding output
  assert.deepEqual(Array.from(interpolateDirection(directions, -1)), [1, 0]);
});

test('weight 0 skips the component (Heretic switches the MLP off this way)', () => {
  const off = { ...mlp, maxWeight: 0, minWeight: 0 };
  const plan = hereticPlan(directions, { directionIndex: null, attn, mlp: off }, 'pre');
  assert.ok(plan.layers.every((l) => l.mlp === null));
});

test('kernel parameters out of range are refused', () => {
  assert.throws(() => interpolateDirection(directions, 3.5), /outside \[-1, 3\]/);
  assert.throws(
    () =>
      hereticPlan(
        directions,
        { directionIndex: null, attn: { ...attn, minWeightDistance: 0 }, mlp },
        'full',
      ),
    /attn.minWeightDistance = 0 must be > 0/,
  );
});

test('Gaussian kernel over relative depth, presets from docs/design.md', () => {
  const s = GAUSSIAN_PRESETS.standard;
  assert.deepEqual(s, { peak: 0.6, width: 0.15, strength: 0.7 });
  // 5 layers: depth l/4. l = 2: 0.7·exp(−0.1²/(2·0.15²)) = 0.7·exp(−0.2222) = 0.560516
  // l = 3: 0.7·exp(−0.15²/0.045) = 0.7·exp(−0.5) = 0.424571; l = 1: 0.7·exp(−0.35²/0.045) = 0.046010
  assert.ok(Math.abs(gaussianLayerWeight(2, 5, s) - 0.5605162) < 1e-6);
  assert.ok(Math.abs(gaussianLayerWeight(3, 5, s) - 0.4245715) < 1e-6);
  assert.ok(Math.abs(gaussianLayerWeight(1, 5, s) - 0.04601) < 1e-6);
  // at the peak the weight is the strength: aggressive, 6 layers, layer 3 is depth 0.6
  assert.ok(Math.abs(gaussianLayerWeight(3, 6, GAUSSIAN_PRESETS.aggressive) - 1) < 1e-12);
});

test('Gaussian plan: standard uses plain directions, projected the orthogonalised ones', () => {
  // 1 layer, 2 states; state 1: b = [3,1], g = [1,1]: plain [1,0], projected [1/√2, −1/√2]
  const harmful = [Float64Array.from([1, 0]), Float64Array.from([3, 1])];
  const harmless = [Float64Array.from([0, 1]), Float64Array.from([1, 1])];
  const shape = { peak: 0, width: 0.1, strength: 0.5 };
  const standard = gaussianPlan(harmful, harmless, { ...shape, method: 'standard' }, 'none');
  assert.deepEqual(Array.from(standard.layers[0].attn?.direction ?? []), [1, 0]);
  // a one-layer model sits at depth 0 = the peak → weight = strength
  assert.equal(standard.layers[0].mlp?.weight, 0.5);
  const projected = gaussianPlan(harmful, harmless, { ...shape, method: 'projected' }, 'none');
  const v = projected.layers[0].mlp?.direction ?? new Float32Array(2);
  assert.ok(Math.abs(v[0] - Math.SQRT1_2) < 1e-6 && Math.abs(v[1] + Math.SQRT1_2) < 1e-6);
  assert.throws(
    () => gaussianPlan(harmful, harmless, { ...shape, width: 0, method: 'standard' }, 'none'),
    /width > 0/,
  );
});
