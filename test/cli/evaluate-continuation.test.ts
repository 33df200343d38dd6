// Engine.continuationLogProbs, behind `candor evaluate`'s perplexity under the baseline: every
// value equals the next-token log-probability of the same prefix (nextTokenLogProbs, one prompt
// per prefix), across prefill steps cut mid-sequence and with a compiled plan applied.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileAblation } from '../../src/ablate/runtime.js';
import { createCpuBackend } from '../../src/backend/cpu/index.js';
import { Engine } from '../../src/engine/engine.js';
import { assertClose } from '../backend/cpu/approx.js';
import { randomPrompts, randomSpec, randomWeights } from '../engine/random-model.js';
import { randomPlan } from '../export/plans.js';

const cpu = createCpuBackend();
const spec = randomSpec('llama', { numLayers: 2 });
const weights = randomWeights(cpu, spec, 3);
// 4 rows a step: prompts and continuations straddle step boundaries
const engine = new Engine(cpu, spec, weights, { maxRowsPerStep: 4 });
const reference = new Engine(cpu, spec, weights);
const prompts = randomPrompts([3, 6, 2], spec.vocabSize, 21);
const continuations = randomPrompts([4, 1, 5], spec.vocabSize, 22);
continuations[1] = [];

async function expected(options: Parameters<Engine['nextTokenLogProbs']>[1]): Promise<number[][]> {
  return Promise.all(
    prompts.map(async (prompt, i) => {
      const c = continuations[i];
      const prefixes = c.map((_, t) => [...prompt, ...c.slice(0, t)]);
      const rows = prefixes.length > 0 ? await reference.nextTokenLogProbs(prefixes, options) : [];
      return rows.map((row, t) => row[c[t]]);
    }),
  );
}

test('log p(c_t | prompt, c_<t) equals next-token log-probabilities of each prefix', async () => {
  const got = await engine.continuationLogProbs(prompts, continuations, { batchSize: 2 });
  const want = await expected({});
  assert.deepEqual(
    got.map((r) => r.length),
    [4, 0, 5],
  );
  for (const [i, row] of got.entries()) assertClose(row, want[i], 1e-5, `prompt ${i}`);
});

test('with a compiled plan, the same as nextTokenLogProbs with that plan', async () => {
  const plan = randomPlan(spec.numLayers, spec.hiddenSize, 'full', { seed: 5 });
  const ablation = await compileAblation(cpu, weights, [plan]);
  const got = await engine.continuationLogProbs(prompts, continuations, {
    ablation: { ablation },
  });
  const want = await expected({ ablation: { ablation } });
  for (const [i, row] of got.entries()) assertClose(row, want[i], 1e-5, `prompt ${i}`);
  await assert.rejects(
    engine.continuationLogProbs(prompts, continuations.slice(1)),
    /2 continuations for 3 prompts/,
  );
});
