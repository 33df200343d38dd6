import assert from 'node:assert/strict';
import { test } from 'node:test';
import { klDivergenceRows, logSoftmaxRows, meanKl } from '../../src/judge/kl.js';

const close = (a: number, b: number, tol: number) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('log-softmax of [0, ln 3] is [ln 1/4, ln 3/4], shift-invariant', () => {
  const lp = logSoftmaxRows(new Float32Array([0, Math.log(3), 1000, 1000 + Math.log(3)]), 2);
  close(lp[0], Math.log(0.25), 1e-6); // −1.386294
  close(lp[1], Math.log(0.75), 1e-6); // −0.287682
  close(lp[2], Math.log(0.25), 1e-4); // f32 logits near 1000 keep ~1e-4 absolute precision
  close(lp[3], Math.log(0.75), 1e-4);
  assert.throws(() => logSoftmaxRows(new Float32Array(3), 2), /do not split into rows of 2/);
});

test('KL([1/4, 3/4] ‖ [1/2, 1/2]) by hand; identical rows give 0; mean over prompts', () => {
  const logP = new Float32Array([Math.log(0.25), Math.log(0.75), Math.log(0.5), Math.log(0.5)]);
  const logQ = new Float32Array([Math.log(0.5), Math.log(0.5), Math.log(0.5), Math.log(0.5)]);
  const kl = klDivergenceRows(logP, logQ, 2);
  // 0.25·ln(0.25/0.5) + 0.75·ln(0.75/0.5) = −0.1732868 + 0.3040988 = 0.1308120
  close(kl[0], 0.130812, 1e-6);
  close(kl[1], 0, 1e-7);
  close(meanKl(kl), 0.065406, 1e-6);
});

test('zero-probability terms contribute nothing; P > 0 where Q = 0 is infinite', () => {
  const logP = new Float32Array([Number.NEGATIVE_INFINITY, 0]);
  // P = [0, 1], Q = [1/2, 1/2]: KL = 1·(0 − ln 1/2) = ln 2
  close(
    klDivergenceRows(logP, new Float32Array([Math.log(0.5), Math.log(0.5)]), 2)[0],
    Math.LN2,
    1e-7,
  );
  assert.equal(
    klDivergenceRows(logP, new Float32Array([0, Number.NEGATIVE_INFINITY]), 2)[0],
    Number.POSITIVE_INFINITY,
  );
  assert.throws(() => meanKl([]), /harmless evaluation set is empty/);
});
