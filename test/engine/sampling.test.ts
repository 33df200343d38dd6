// Nucleus sampling against distributions worked out by hand.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkSampling, nucleusDistribution, sampleToken } from '../../src/engine/sampling.js';
import { Rng } from '../../src/util/random.js';
import { assertClose } from '../backend/cpu/approx.js';

// logits ln[1, 2, 3, 4] → softmax [0.1, 0.2, 0.3, 0.4]
const logits = Float32Array.from([1, 2, 3, 4], Math.log);

test('temperature 1 and top-p 1 is the softmax', () => {
  assertClose(nucleusDistribution(logits, 1, 1), [0.1, 0.2, 0.3, 0.4], 1e-6);
});

test('top-p keeps the most likely tokens until their mass reaches p', () => {
  // 0.4 < 0.5, 0.4 + 0.3 ≥ 0.5 → keep {3, 2}, renormalised: [0, 0, 3/7, 4/7]
  assertClose(nucleusDistribution(logits, 1, 0.5), [0, 0, 3 / 7, 4 / 7], 1e-6);
  // p below the top probability keeps the top token only
  assertClose(nucleusDistribution(logits, 1, 0.35), [0, 0, 0, 1], 1e-6);
});

test('temperature sharpens or flattens: T = 0.5 squares the probabilities', () => {
  // [1, 4, 9, 16] / 30
  assertClose(nucleusDistribution(logits, 0.5, 1), [1 / 30, 4 / 30, 9 / 30, 16 / 30], 1e-6);
});

test('draws follow the distribution; temperature 0 is the argmax', () => {
  const rng = Rng.forStream(1, 0);
  const counts = [0, 0, 0, 0];
  const n = 20000;
  for (let i = 0; i < n; i++)
    counts[sampleToken(logits, { temperature: 1, topP: 0.5, seed: 1 }, rng)]++;
  // expected [0, 0, 3/7, 4/7]; 4 standard deviations of a binomial share: 4·sqrt(0.245/20000) = 0.014
  assert.deepEqual(counts.slice(0, 2), [0, 0]);
  assert.ok(Math.abs(counts[3] / n - 4 / 7) < 0.014, `share of token 3: ${counts[3] / n}`);
  assert.equal(sampleToken(logits, { temperature: 0, topP: 1, seed: 1 }, rng), 3);
});

test('invalid settings are refused', () => {
  assert.throws(() => checkSampling({ temperature: -1, topP: 1, seed: 0 }), /temperature -1/);
  assert.throws(() => checkSampling({ temperature: 1, topP: 0, seed: 0 }), /top_p 0/);
});
