// The run-time ablation hook: where it acts (embedding output and every writer, before any
// sandwich norm), a zero weight changes nothing, several plans share a batch, and KL is right.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RuntimeAblation } from '../../src/ablate/plan.js';
import type { AblationTensors } from '../../src/backend/backend.js';
import { createCpuBackend } from '../../src/backend/cpu/index.js';
import { Engine } from '../../src/engine/engine.js';
import { assertClose } from '../backend/cpu/approx.js';
import { random, randomPrompts, randomSpec, randomWeights } from './random-model.js';

const cpu = createCpuBackend();
const spec = randomSpec('llama', { numLayers: 3 });
const C = spec.hiddenSize;
const engine = new Engine(cpu, spec, randomWeights(cpu, spec, 9));
const prompts = randomPrompts([4, 7, 2, 5], spec.vocabSize, 13);

function unit(seed: number): Float32Array {
  const rand = random(seed);
  const v = Float64Array.from({ length: C }, () => rand());
  const n = Math.hypot(...v);
  return Float32Array.from(v, (x) => x / n);
}

/** every component (embedding and both writers of each layer) edited with the same plans */
function everywhere(directions: Float32Array[], weights: number[]): RuntimeAblation {
  const dir = new Float32Array(directions.length * C);
  for (const [p, d] of directions.entries()) dir.set(d, p * C);
  const edit: AblationTensors = {
    directions: cpu.tensor(dir, [directions.length, C]),
    weights: cpu.tensor(Float32Array.from(weights), [weights.length]),
    inverseNorm: null,
    outScale: null,
  };
  return {
    plans: directions.length,
    embedding: edit,
    layers: Array.from({ length: spec.numLayers }, () => ({ attn: edit, mlp: edit })),
  };
}

test('a plan of weight 0 is the identity', async () => {
  const ablation = { ablation: everywhere([unit(1)], [0]) };
  assert.deepEqual(await engine.residuals(prompts, { ablation }), await engine.residuals(prompts));
  assert.deepEqual(
    await engine.nextTokenLogProbs(prompts, { ablation }),
    await engine.nextTokenLogProbs(prompts),
  );
});

test('weight 1 on the embedding and every writer leaves no residual component along r', async () => {
  const r = unit(2);
  const plain = await engine.residuals(prompts);
  const ablated = await engine.residuals(prompts, { ablation: { ablation: everywhere([r], [1]) } });
  for (const [state, rows] of ablated.entries()) {
    for (let p = 0; p < prompts.length; p++) {
      const h = rows.subarray(p * C, (p + 1) * C);
      const along = h.reduce((s, x, c) => s + x * r[c], 0);
      // |rᵀh| / ‖h‖ is zero up to f32 rounding of the sums
      assert.ok(
        Math.abs(along) / Math.hypot(...h) < 1e-5,
        `state ${state} prompt ${p}: rᵀh = ${along}`,
      );
      // and the edit did something: the unedited stream has a clear component along r
      const before = plain[state].subarray(p * C, (p + 1) * C).reduce((s, x, c) => s + x * r[c], 0);
      assert.ok(Math.abs(before) > 1e-3, `state ${state} prompt ${p}: r too weak to test`);
    }
  }
});

test('several plans in one batch give what each plan gives alone', async () => {
  const [r0, r1] = [unit(3), unit(4)];
  const planOfPrompt = [1, 0, 0, 1];
  const opts = { maxNewTokens: 5, eosTokenIds: [], batchSize: 4 };
  const shared = everywhere([r0, r1], [1, 0.7]);
  const mixed = await engine.generate(prompts, {
    ...opts,
    ablation: { ablation: shared, planOfPrompt },
  });
  const alone = [
    await engine.generate(prompts, { ...opts, ablation: { ablation: everywhere([r0], [1]) } }),
    await engine.generate(prompts, { ...opts, ablation: { ablation: everywhere([r1], [0.7]) } }),
  ];
  assert.deepEqual(
    mixed.tokens,
    planOfPrompt.map((plan, i) => alone[plan].tokens[i]),
  );
  assert.notDeepEqual(alone[0].tokens, alone[1].tokens);
  const mixedResiduals = await engine.residuals(prompts, {
    ablation: { ablation: shared, planOfPrompt },
  });
  const aloneResiduals = await engine.residuals(prompts, {
    ablation: { ablation: everywhere([r1], [0.7]) },
  });
  for (const state of mixedResiduals.keys()) {
    assert.deepEqual(mixedResiduals[state].subarray(0, C), aloneResiduals[state].subarray(0, C));
  }
  await assert.rejects(
    engine.residuals(prompts, { ablation: { ablation: shared, planOfPrompt: [0, 1, 2, 0] } }),
    /names plan 2, but only 2 plans/,
  );
});

test('plan k applies one compiled plan to prompts of any count', async () => {
  const shared = everywhere([unit(3), unit(4)], [1, 0.7]);
  const opts = { maxNewTokens: 5, eosTokenIds: [], batchSize: 3 };
  const chosen = await engine.generate(prompts, {
    ...opts,
    ablation: { ablation: shared, plan: 1 },
  });
  const alone = await engine.generate(prompts, {
    ...opts,
    ablation: { ablation: everywhere([unit(4)], [0.7]) },
  });
  assert.deepEqual(chosen.tokens, alone.tokens);
  const first = await engine.generate(prompts, { ...opts, ablation: { ablation: shared } });
  assert.notDeepEqual(chosen.tokens, first.tokens, 'plan 1 is not plan 0');
  await assert.rejects(
    engine.residuals(prompts, { ablation: { ablation: shared, plan: 2 } }),
    /names plan 2, but only 2 plans/,
  );
  await assert.rejects(
    engine.residuals(prompts, {
      ablation: { ablation: shared, plan: 1, planOfPrompt: [1, 1, 1, 1] },
    }),
    /both planOfPrompt and plan/,
  );
});

test('klDivergence is KL(baseline ‖ ablated) of the next-token distributions', async () => {
  const baseline = await engine.nextTokenLogProbs(prompts);
  const ablation = { ablation: everywhere([unit(5)], [1]) };
  const edited = await engine.nextTokenLogProbs(prompts, { ablation });
  // reference: Σ_v p_v (log p_v − log q_v) on the host, from the two log-probability tables
  const expected = baseline.map((lp, i) =>
    lp.reduce((s, x, v) => s + Math.exp(x) * (x - edited[i][v]), 0),
  );
  const kl = await engine.klDivergence(prompts, baseline, { ablation, batchSize: 3 });
  assertClose(kl, expected, 1e-5, 'kl');
  assert.ok(expected.every((x) => x > 1e-4));
  assertClose(await engine.klDivergence(prompts, baseline), [0, 0, 0, 0], 1e-6, 'kl without edit');
});
