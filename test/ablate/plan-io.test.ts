// plan.json round trip and its one-line validation errors.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AblationPlan } from '../../src/ablate/plan.js';
import { checkPlanFitsModel, planFromJson, planToJson } from '../../src/ablate/plan-io.js';

const v = Float32Array.from([0.6, 0.8]);
const plan: AblationPlan = {
  normalization: 'pre',
  embedding: null,
  layers: [
    { attn: { direction: v, weight: 1.25 }, mlp: null },
    {
      attn: null,
      mlp: { direction: Float32Array.from([Math.SQRT1_2, -Math.SQRT1_2]), weight: 0.5 },
    },
  ],
};

test('a plan survives JSON text bit for bit, with its metrics', () => {
  const metrics = { refusals: 3, harmfulPrompts: 100, kl: 0.16, harmlessPrompts: 100 };
  const json = planToJson(plan, { metrics, provenance: { model: 'tiny' } });
  assert.equal(json.hiddenSize, 2);
  const back = planFromJson(JSON.parse(JSON.stringify(json)), 'plan.json');
  assert.deepEqual(back.plan, plan);
  assert.deepEqual(back.metrics, metrics);
  assert.deepEqual(back.provenance, { model: 'tiny' });
});

test('invalid plans are refused naming the key and the fix', () => {
  const good = JSON.parse(JSON.stringify(planToJson(plan)));
  const bad = (patch: (j: Record<string, unknown>) => void): unknown => {
    const j = structuredClone(good);
    patch(j);
    return j;
  };
  assert.throws(() => planFromJson([], 'p.json'), /p\.json: \(top level\) is not a JSON object/);
  assert.throws(
    () =>
      planFromJson(
        bad((j) => (j.format = 'x')),
        'p.json',
      ),
    /"format" is "x"/,
  );
  assert.throws(
    () =>
      planFromJson(
        bad((j) => (j.normalization = 'both')),
        'p.json',
      ),
    /use one of none, pre, full/,
  );
  assert.throws(
    () =>
      planFromJson(
        bad((j) => ((j.layers as { attn: { direction: number[] } }[])[0].attn.direction = [1, 1])),
        'p.json',
      ),
    /layers\[0\]\.attn\.direction has norm 1\.41421; directions must be unit vectors/,
  );
  assert.throws(
    () =>
      planFromJson(
        bad((j) => ((j.layers as { attn: { direction: number[] } }[])[0].attn.direction = [1])),
        'p.json',
      ),
    /layers\[0\]\.attn\.direction has 1 values; "hiddenSize" says 2/,
  );
  assert.throws(
    () =>
      planFromJson(
        bad((j) => (j.layers = [{ attn: null }])),
        'p.json',
      ),
    /layers\[0\] must be/,
  );
  assert.throws(
    () =>
      planFromJson(
        bad((j) => (j.metrics = { kl: 1 })),
        'p.json',
      ),
    /"metrics"\.refusals/,
  );
});

test('a plan must fit the model it is applied to', () => {
  assert.throws(() => checkPlanFitsModel(plan, 3, 2, 'p.json'), /2 layers, the model has 3/);
  assert.throws(
    () => checkPlanFitsModel(plan, 2, 4, 'p.json'),
    /layer 0 attn direction has 2 values/,
  );
  checkPlanFitsModel(plan, 2, 2, 'p.json');
});
