// Scoring as lm-evaluation-harness does it, against hand computations: acc, acc_norm by the
// choice's length in characters, sample standard error, paired differences, GSM8K's extractors.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  choiceScores,
  cutAtStop,
  exactMatch,
  extractAnswer,
  meanWithError,
  pairedDifference,
} from '../../src/benchmark/score.js';
import { loadTask } from '../../src/benchmark/task.js';

test('acc takes the largest log-likelihood, acc_norm divides by characters first', () => {
  // -10/1 = -10 vs -12/11 ≈ -1.09: the long choice wins once normalised
  assert.deepEqual(choiceScores([-10, -12], ['a', 'longer text'], 1), { acc: 0, acc_norm: 1 });
  // 'é' and '🙂' are one character each (Python's len), not 2 and 4 bytes: -3/2 > -4/2
  assert.deepEqual(choiceScores([-3, -4], ['é🙂', 'ab'], 0), { acc: 1, acc_norm: 1 });
  // ties go to the first choice, as numpy's argmax
  assert.deepEqual(choiceScores([-1, -1], ['x', 'y'], 0), { acc: 1, acc_norm: 1 });
});

test('standard error is the sample sd over √n; the difference is paired', () => {
  // mean 0.75; sample variance (3·0.25² + 0.75²)/3 = 0.25; se = √(0.25/4) = 0.25
  assert.deepEqual(meanWithError([1, 0, 1, 1]), { value: 0.75, stderr: 0.25 });
  // per-item differences [0, 0, -1, 0]: mean −0.25, sample variance (3·0.25² + 0.75²)/3 = 0.25
  assert.deepEqual(pairedDifference([1, 0, 1, 1], [1, 0, 0, 1]), { value: -0.25, stderr: 0.25 });
  assert.deepEqual(meanWithError([1]), { value: 1, stderr: 0 });
});

test('gsm8k: strict "#### n" and flexible last number, commas, $ and a final dot ignored', async () => {
  const g = (await loadTask('gsm8k')).generation;
  assert.ok(g);
  const { 'strict-match': strict, 'flexible-extract': flexible } = g.extractors;
  const reference = 'Two cost 2 * 1200 = 2400 dollars.\n#### 2,400';
  const response = cutAtStop(' 2 * 1,200 = $2,400.\n#### 2,400\n\nQuestion: next one', g.until);
  assert.equal(response, ' 2 * 1,200 = $2,400.\n#### 2,400\n\n');
  assert.equal(extractAnswer(response, strict), '2,400');
  assert.equal(exactMatch(extractAnswer(response, strict), reference, g), 1);
  const loose = 'so the total is $2,400.';
  assert.equal(extractAnswer(loose, strict), '[invalid]');
  assert.equal(exactMatch(extractAnswer(loose, strict), reference, g), 0);
  assert.equal(extractAnswer(loose, flexible), '$2,400.');
  assert.equal(exactMatch(extractAnswer(loose, flexible), reference, g), 1);
  assert.equal(exactMatch(extractAnswer('it is 7', flexible), reference, g), 0);
});
