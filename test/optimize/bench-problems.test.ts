import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dtlz2, synthetic, zdt1, zdt2 } from '../../bench/tpe-problems.js';
import type { Params } from '../../src/optimize/space.js';

function cube(n: number, values: Record<number, number>, rest: number): Params {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`x${i}`, values[i] ?? rest]));
}

test('ZDT1, ZDT2 and DTLZ2 match their definitions at hand-checked points', () => {
  // on the front (x1… = 0, so g = 1): ZDT1 f2 = 1 − √0.25 = 0.5, ZDT2 f2 = 1 − 0.25² = 0.9375
  assert.deepEqual(zdt1.evaluate(cube(30, { 0: 0.25 }, 0)), [0.25, 0.5]);
  assert.deepEqual(zdt2.evaluate(cube(30, { 0: 0.25 }, 0)), [0.25, 0.9375]);
  // all other variables at 1: g = 1 + 9 · 29/29 = 10; ZDT1 f2 = 10 (1 − √(0.25/10))
  assert.ok(
    Math.abs(zdt1.evaluate(cube(30, { 0: 0.25 }, 1))[1] - 10 * (1 - Math.sqrt(0.025))) < 1e-12,
  );
  // DTLZ2 with distance variables at ½ (g = 0): x0 = 0, x1 = 0 → (1, 0, 0); x0 = 1 → (0, 0, 1)
  const a = dtlz2.evaluate(cube(12, { 0: 0, 1: 0 }, 0.5));
  const b = dtlz2.evaluate(cube(12, { 0: 1, 1: 0 }, 0.5));
  assert.ok(Math.abs(a[0] - 1) < 1e-12 && Math.abs(a[1]) < 1e-12 && Math.abs(a[2]) < 1e-12);
  assert.ok(Math.abs(b[2] - 1) < 1e-12 && Math.abs(b[0]) < 1e-12);
  // distance variables at 0: g = 10 · ¼ = 2.5, so every objective scales by 3.5
  assert.ok(Math.abs(dtlz2.evaluate(cube(12, { 0: 0, 1: 0 }, 0))[0] - 3.5) < 1e-12);
});

test('synthetic surface: ablating near the good layer removes refusals and costs KL', () => {
  const base: Params = {
    direction_scope: 'global',
    direction_index: 19,
    'attn.max_weight': 0.8,
    'attn.max_weight_position': 20,
    'attn.min_weight': 0.5,
    'attn.min_weight_distance': 4,
    'mlp.max_weight': -0.25, // switched off
    'mlp.max_weight_position': 20,
    'mlp.min_weight': 0.5,
    'mlp.min_weight_distance': 4,
  };
  const weak = synthetic.evaluate(base);
  const strong = synthetic.evaluate({ ...base, 'mlp.max_weight': 1.5 });
  const farDirection = synthetic.evaluate({
    ...base,
    'mlp.max_weight': 1.5,
    direction_index: 12.4,
  });
  assert.ok(strong[0] < weak[0], `${strong} vs ${weak}`);
  assert.ok(strong[1] > weak[1]);
  assert.ok(farDirection[0] > strong[0]);
  // the noise is a function of the parameters: the same trial scores the same
  assert.deepEqual(synthetic.evaluate({ ...base }), weak);
});
