import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeParams, ParzenEstimator } from '../../src/optimize/parzen.js';
import { spaceAxes } from '../../src/optimize/space.js';
import { Rng } from '../../src/util/random.js';

const noClip = { considerPrior: false, priorWeight: 1, considerMagicClip: false };

test('one observation: a normal truncated to the axis, bandwidth 0.2 · n^(−1/(d+4)) · range', () => {
  const axes = spaceAxes({ x: { kind: 'float', low: 0, high: 10 } });
  // n = 1, d = 1: σ = 0.2 · 10 = 2; mass inside [0, 10] around μ = 5: Φ(2.5) − Φ(−2.5) = 0.98758067
  const pe = new ParzenEstimator(axes, [[5]], [1], noClip);
  const [atCentre, atEdge] = pe.logPdf([[5], [9]]);
  const z = 0.9875806693484477;
  assert.ok(Math.abs(atCentre - Math.log(0.3989422804014327 / 2 / z)) < 1e-12);
  // at 9: φ(2) = 0.05399096651318806
  assert.ok(Math.abs(atEdge - Math.log(0.05399096651318806 / 2 / z)) < 1e-12);
});

test('prior kernel: centred, as wide as the axis; magic clip keeps few observations broad', () => {
  const axes = spaceAxes({ x: { kind: 'float', low: 0, high: 10 } });
  // only the prior: N(5, 10²) on [0, 10]; mass Φ(0.5) − Φ(−0.5) = 0.38292492
  const prior = new ParzenEstimator(axes, [], [], { ...noClip, considerPrior: true });
  assert.ok(
    Math.abs(prior.logPdf([[5]])[0] - Math.log(0.3989422804014327 / 10 / 0.3829249225480262)) <
      1e-12,
  );
  // magic clip with one kernel: σ ≥ 10 / min(100, 1 + 1) = 5 (instead of 2)
  const clipped = new ParzenEstimator(axes, [[5]], [1], { ...noClip, considerMagicClip: true });
  // Φ(1) − Φ(−1) = 0.6826894921370859
  assert.ok(
    Math.abs(clipped.logPdf([[5]])[0] - Math.log(0.3989422804014327 / 5 / 0.6826894921370859)) <
      1e-12,
  );
});

test('mixture weights: observation weights and the prior weight, normalised', () => {
  const axes = spaceAxes({ c: { kind: 'categorical', choices: ['a', 'b', 'c'] } });
  // one observation of 'b', no prior: ε = priorWeight / kernels = 1, so 'b' gets (1+1)/(1+3·1)
  const one = new ParzenEstimator(axes, [[1]], [1], noClip);
  const [pa, pb] = one.logPdf([[0], [1]]).map(Math.exp);
  assert.ok(Math.abs(pb - 0.5) < 1e-12 && Math.abs(pa - 0.25) < 1e-12);
  // with the prior (2 kernels, weights ½ each): ε = ½ → 'b': (1 + ½)/(1 + 3/2) = 0.6; prior 1/3
  const withPrior = new ParzenEstimator(axes, [[1]], [1], { ...noClip, considerPrior: true });
  assert.ok(Math.abs(Math.exp(withPrior.logPdf([[1]])[0]) - (0.5 * 0.6 + 0.5 / 3)) < 1e-12);
});

test('a discrete axis is a probability mass function; a continuous one integrates to 1', () => {
  const axes = spaceAxes({
    n: { kind: 'int', low: 1, high: 50, log: true },
    w: { kind: 'float', low: 0, high: 1, step: 0.1 },
  });
  const obs = [
    [3, 0.2],
    [40, 0.9],
    [7, 0.5],
  ].map(([n, w]) => encodeParams(axes, { n, w }));
  const pe = new ParzenEstimator(axes, obs, [1, 0.5, 2], {
    ...noClip,
    considerPrior: true,
    considerMagicClip: true,
  });
  const grid: number[][] = [];
  for (let n = 1; n <= 50; n++)
    for (let k = 0; k <= 10; k++) grid.push(encodeParams(axes, { n, w: k / 10 }));
  const total = pe.logPdf(grid).reduce((s, v) => s + Math.exp(v), 0);
  assert.ok(Math.abs(total - 1) < 1e-9, `total mass ${total}`);

  const cont = spaceAxes({ x: { kind: 'float', low: -2, high: 3 } });
  const pc = new ParzenEstimator(cont, [[-1.9], [0], [2.5]], [1, 1, 1], {
    ...noClip,
    considerPrior: true,
  });
  const steps = 20000;
  const h = 5 / steps;
  const xs = Array.from({ length: steps }, (_, i) => [-2 + (i + 0.5) * h]);
  const integral = pc.logPdf(xs).reduce((s, v) => s + Math.exp(v) * h, 0);
  assert.ok(Math.abs(integral - 1) < 1e-6, `integral ${integral}`);
});

test('samples stay on the axis and on the grid, and follow the kernel', () => {
  const axes = spaceAxes({
    x: { kind: 'float', low: 0, high: 10 },
    n: { kind: 'int', low: 0, high: 20, step: 4 },
  });
  const pe = new ParzenEstimator(axes, [[8, 12]], [1], noClip);
  const samples = pe.sample(Rng.forStream(4), 4000);
  let mean = 0;
  for (const [x, n] of samples) {
    assert.ok(x >= 0 && x <= 10);
    assert.ok([0, 4, 8, 12, 16, 20].includes(n));
    mean += x / samples.length;
  }
  // N(8, 2²) truncated to [0, 10]: mean = 8 + 2 (φ(−4) − φ(1)) / (Φ(1) − Φ(−4)) = 7.4252
  const expected =
    8 +
    (2 * (0.00013383022576488537 - 0.24197072451914337)) /
      (0.8413447460685429 - 0.00003167124183311998);
  assert.ok(Math.abs(mean - expected) < 0.05, `mean ${mean} vs ${expected}`);
});
