// Generation control: EOS, length, shouldStop (early exit, counted in tokensSaved), streaming.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCpuBackend } from '../../src/backend/cpu/index.js';
import { Engine } from '../../src/engine/engine.js';
import { tokensSaved } from '../../src/engine/types.js';
import { randomPrompts, randomSpec, randomWeights } from './random-model.js';

const cpu = createCpuBackend();
const spec = randomSpec('llama');
const engine = new Engine(cpu, spec, randomWeights(cpu, spec, 5));
const prompts = randomPrompts([3, 6, 2], spec.vocabSize, 11);
const full = await engine.generate(prompts, { maxNewTokens: 8, eosTokenIds: [] });

test('without EOS every prompt runs to maxNewTokens', () => {
  assert.deepEqual(full.finish, ['length', 'length', 'length']);
  assert.ok(full.tokens.every((t) => t.length === 8));
  assert.equal(tokensSaved(full, 8), 0);
});

test('an EOS token ends the sequence and is not returned', async () => {
  // the third token of prompt 1 becomes EOS: prompt 1 keeps the tokens before its first occurrence
  const eos = full.tokens[1][2];
  const result = await engine.generate(prompts, { maxNewTokens: 8, eosTokenIds: [eos] });
  for (const [i, tokens] of full.tokens.entries()) {
    const cut = tokens.indexOf(eos);
    assert.deepEqual(result.tokens[i], cut < 0 ? tokens : tokens.slice(0, cut));
    assert.equal(result.finish[i], cut < 0 ? 'length' : 'eos');
  }
});

test('shouldStop drops a prompt early and counts the tokens it saved', async () => {
  const streamed: [number, number][] = [];
  const result = await engine.generate(prompts, {
    maxNewTokens: 8,
    eosTokenIds: [],
    shouldStop: (p, generated) => p !== 2 && generated.length === 3,
    onToken: (p, t) => streamed.push([p, t]),
  });
  assert.deepEqual(result.tokens, [
    full.tokens[0].slice(0, 3),
    full.tokens[1].slice(0, 3),
    full.tokens[2],
  ]);
  assert.deepEqual(result.finish, ['stopped', 'stopped', 'length']);
  assert.equal(tokensSaved(result, 8), 2 * (8 - 3));
  assert.equal(tokensSaved(result, 8, [1, 2]), 8 - 3);
  for (const [i, tokens] of result.tokens.entries()) {
    assert.deepEqual(
      streamed.filter(([p]) => p === i).map(([, t]) => t),
      tokens,
    );
  }
});

test('maxNewTokens 0 generates nothing; an empty prompt is refused', async () => {
  assert.deepEqual(await engine.generate(prompts, { maxNewTokens: 0 }), {
    tokens: [[], [], []],
    finish: ['length', 'length', 'length'],
  });
  await assert.rejects(engine.generate([[1], []], { maxNewTokens: 2 }), /prompt 1 has no tokens/);
});

test('sampling: temperature 0 or a tiny nucleus is greedy; a seed fixes the draw whatever the batch', async () => {
  const opts = { maxNewTokens: 8, eosTokenIds: [] };
  for (const sampling of [
    { temperature: 0, topP: 1, seed: 1 },
    { temperature: 1, topP: 1e-6, seed: 1 },
  ]) {
    assert.deepEqual((await engine.generate(prompts, { ...opts, sampling })).tokens, full.tokens);
  }
  const hot = { temperature: 2, topP: 1, seed: 42 };
  const a = await engine.generate(prompts, { ...opts, sampling: hot, batchSize: 3 });
  const b = await engine.generate(prompts, { ...opts, sampling: hot, batchSize: 1 });
  assert.deepEqual(a.tokens, b.tokens);
  assert.notDeepEqual(a.tokens, full.tokens);
  const other = await engine.generate(prompts, { ...opts, sampling: { ...hot, seed: 43 } });
  assert.notDeepEqual(other.tokens, a.tokens);
});
