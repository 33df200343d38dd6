// Ragged batching must not change results: any batch size, any prefill step size, and KV-cached
// decoding all agree with running one prompt at a time through a full prefill. On the CPU backend
// every row is computed independently, so agreement is exact.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCpuBackend } from '../../src/backend/cpu/index.js';
import { Engine } from '../../src/engine/engine.js';
import { type Flavour, randomPrompts, randomSpec, randomWeights } from './random-model.js';

const lengths = [5, 1, 9, 3, 7];

for (const flavour of ['llama', 'gemma'] as Flavour[]) {
  test(`${flavour}: batch size and prefill step size do not change any result`, async () => {
    const cpu = createCpuBackend();
    const spec = randomSpec(flavour);
    const weights = randomWeights(cpu, spec);
    const prompts = randomPrompts(lengths, spec.vocabSize);
    const whole = new Engine(cpu, spec, weights);
    const chunked = new Engine(cpu, spec, weights, { maxRowsPerStep: 4 });
    const gen = { maxNewTokens: 6, eosTokenIds: [] };

    const reference = await whole.generate(prompts, { ...gen, batchSize: 1 });
    assert.ok(reference.tokens.every((t) => t.length === 6));
    for (const [engine, batchSize] of [
      [whole, 5],
      [whole, 2],
      [chunked, 5],
      [chunked, 1],
    ] as const) {
      assert.deepEqual(await engine.generate(prompts, { ...gen, batchSize }), reference);
    }

    const residuals = await whole.residuals(prompts, { batchSize: 1 });
    assert.deepEqual(await chunked.residuals(prompts, { batchSize: 3 }), residuals);
    const logProbs = await whole.nextTokenLogProbs(prompts, { batchSize: 1 });
    assert.deepEqual(await chunked.nextTokenLogProbs(prompts, { batchSize: 5 }), logProbs);
  });

  test(`${flavour}: each cached decode step picks what a full prefill of the same text picks`, async () => {
    const cpu = createCpuBackend();
    const spec = randomSpec(flavour);
    const engine = new Engine(cpu, spec, randomWeights(cpu, spec, 2));
    const prompts = randomPrompts([4, 8], spec.vocabSize, 3);
    const { tokens } = await engine.generate(prompts, { maxNewTokens: 5, eosTokenIds: [] });
    for (const [i, prompt] of prompts.entries()) {
      const prefixes = tokens[i].map((_, k) => [...prompt, ...tokens[i].slice(0, k)]);
      const logProbs = await engine.nextTokenLogProbs(prefixes);
      const argmax = logProbs.map((row) => row.indexOf(Math.max(...row)));
      assert.deepEqual(argmax, tokens[i]);
    }
  });
}

test('every intermediate tensor is disposed', async () => {
  const cpu = createCpuBackend();
  const spec = randomSpec('gemma');
  const engine = new Engine(cpu, spec, randomWeights(cpu, spec), { maxRowsPerStep: 5 });
  const prompts = randomPrompts(lengths, spec.vocabSize);
  const live = cpu.liveTensors();
  const baseline = await engine.nextTokenLogProbs(prompts, { batchSize: 2 });
  await engine.generate(prompts, { maxNewTokens: 4, batchSize: 2, shouldStop: (p) => p === 1 });
  const sampling = { temperature: 1, topP: 0.9, seed: 3 };
  await engine.generate(prompts, {
    maxNewTokens: 4,
    batchSize: 2,
    sampling,
    shouldStop: (p) => p === 1,
  });
  await engine.residuals(prompts, { batchSize: 2 });
  await engine.klDivergence(prompts, baseline, { batchSize: 2 });
  assert.equal(cpu.liveTensors(), live);
  engine.dispose();
  assert.equal(cpu.liveTensors(), 0);
});
