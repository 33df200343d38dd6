// Refusal directions and the residual accumulator against hand-computed 2-D examples.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  collectResidualStats,
  normalize,
  ResidualAccumulator,
  refusalDirections,
} from '../../src/ablate/directions.js';

const close = (actual: ArrayLike<number>, expected: number[], tol = 1e-6): void => {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `[${i}] ${actual[i]} vs ${expected[i]}`);
  }
};

const S = Math.SQRT1_2;

test('plain: normalised difference of means', () => {
  // b − g = [3,1] − [1,1] = [2,0] → [1,0];  [2,0] − [0,2] = [2,−2] → [1/√2, −1/√2]
  const harmful = [Float64Array.from([3, 1]), Float64Array.from([2, 0])];
  const harmless = [Float64Array.from([1, 1]), Float64Array.from([0, 2])];
  const [d0, d1] = refusalDirections(harmful, harmless, 'plain');
  close(d0, [1, 0]);
  close(d1, [S, -S]);
});

test('projected: the part orthogonal to the harmless mean, renormalised', () => {
  // state 0: r = [1,0], ĝ = [1,1]/√2, r·ĝ = 1/√2, r − (1/√2)ĝ = [0.5, −0.5] → [1/√2, −1/√2]
  // state 1: r = [1,−1]/√2, ĝ = [0,1], r·ĝ = −1/√2, r + (1/√2)ĝ = [1/√2, 0] → [1, 0]
  const harmful = [Float64Array.from([3, 1]), Float64Array.from([2, 0])];
  const harmless = [Float64Array.from([1, 1]), Float64Array.from([0, 2])];
  const [d0, d1] = refusalDirections(harmful, harmless, 'projected');
  close(d0, [S, -S]);
  close(d1, [1, 0]);
});

test('equal means give the zero direction, not NaN', () => {
  const m = [Float64Array.from([1, 2])];
  assert.deepEqual(Array.from(refusalDirections(m, m, 'plain')[0]), [0, 0]);
  assert.deepEqual(Array.from(normalize([0, 0, 0])), [0, 0, 0]);
});

test('the accumulator averages batches, winsorises per prompt and keeps a bounded sample', () => {
  const acc = new ResidualAccumulator(1, 4, { winsorize: 0.5, sampleSize: 2 });
  // prompt 1: [1,−10,2,3] → clamp at 2.5 → [1,−2.5,2,2.5]; prompt 2: [4,4,4,4] → unchanged
  acc.add([Float32Array.from([1, -10, 2, 3, 4, 4, 4, 4])]);
  // prompt 3: [0,0,0,8]: |x| sorted [0,0,0,8], 0.5-quantile = 0 → all zero
  acc.add([Float32Array.from([0, 0, 0, 8])]);
  const stats = acc.finish();
  assert.equal(stats.count, 3);
  // means: [(1+4+0)/3, (−2.5+4+0)/3, (2+4+0)/3, (2.5+4+0)/3]
  close(stats.means[0], [5 / 3, 1.5 / 3, 2, 6.5 / 3], 1e-12);
  assert.equal(stats.sample[0].length, 2);
  assert.deepEqual(Array.from(stats.sample[0][0]), [1, -2.5, 2, 2.5]);
});

test('collectResidualStats batches prompts through the source in order', async () => {
  const seen: number[][][] = [];
  // a source whose residual for prompt p is [p, 2p] in state 0 and [−p, 0] in state 1
  const source = {
    residuals: async (prompts: number[][]) => {
      seen.push(prompts);
      return [
        Float32Array.from(prompts.flatMap((p) => [p[0], 2 * p[0]])),
        Float32Array.from(prompts.flatMap((p) => [-p[0], 0])),
      ];
    },
  };
  const prompts = [[1], [2], [3], [4], [5]];
  const stats = await collectResidualStats(source, prompts, 2, 2, {
    batchSize: 2,
    winsorize: 0,
    sampleSize: 0,
  });
  assert.deepEqual(
    seen.map((b) => b.length),
    [2, 2, 1],
  );
  // mean of 1..5 is 3
  close(stats.means[0], [3, 6], 1e-12);
  close(stats.means[1], [-3, 0], 1e-12);
});

test('a batch of the wrong shape is refused', () => {
  const acc = new ResidualAccumulator(2, 3, { winsorize: 0, sampleSize: 0 });
  assert.throws(() => acc.add([new Float32Array(3)]), /1 hidden states, expected 2/);
  assert.throws(() => acc.add([new Float32Array(4), new Float32Array(4)]), /not rows of C=3/);
  assert.throws(
    () => new ResidualAccumulator(1, 2, { winsorize: 0, sampleSize: 0 }).finish(),
    /no residuals/,
  );
});
