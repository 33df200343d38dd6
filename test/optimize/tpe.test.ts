import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hypervolume } from '../../src/optimize/hypervolume.js';
import type { Objective } from '../../src/optimize/pareto.js';
import { type Params, sampleUniform, spaceAxes } from '../../src/optimize/space.js';
import {
  defaultWeights,
  goodGroupSize,
  goodWeights,
  type Observation,
  proposeParams,
  splitGood,
  tpeSettings,
} from '../../src/optimize/tpe.js';
import { Rng } from '../../src/util/random.js';

const both: Objective[] = [
  { name: 'f1', direction: 'minimize' },
  { name: 'f2', direction: 'minimize' },
];

test("Optuna's default weights and gamma", () => {
  assert.deepEqual(defaultWeights(3), [1, 1, 1]);
  // n = 30: a ramp numpy.linspace(1/30, 1, 5) = [1/30, 0.275, 0.5167, 0.7583, 1], then 25 ones
  const w = defaultWeights(30);
  assert.equal(w.length, 30);
  const ramp = [1 / 30, 0.275, 0.51666667, 0.75833333, 1];
  for (const [i, v] of ramp.entries()) assert.ok(Math.abs(w[i] - v) < 1e-8);
  assert.ok(w.slice(5).every((v) => v === 1));
  // min(ceil(0.1 n), 25)
  const gamma = { fraction: 0.1, max: 25 };
  assert.deepEqual(
    [1, 10, 11, 100, 300].map((n) => goodGroupSize(n, gamma)),
    [1, 1, 2, 10, 25],
  );
});

test('settings are checked with the key named', () => {
  assert.equal(tpeSettings().nStartupTrials, 60);
  assert.equal(tpeSettings().nEiCandidates, 128);
  assert.throws(() => tpeSettings({ nEiCandidates: 0 }), /nEiCandidates = 0/);
  assert.throws(() => tpeSettings({ gamma: { fraction: 2, max: 25 } }), /gamma.fraction = 2/);
});

test('good group: whole fronts first, the cut front by hypervolume', () => {
  // fronts: {0: (1,3), 1: (2,2), 2: (3,1)} then {3: (3,3)}
  const losses = [
    [1, 3],
    [2, 2],
    [3, 1],
    [3, 3],
  ];
  assert.deepEqual(splitGood(losses, 3).sort(), [0, 1, 2]);
  assert.deepEqual(splitGood(losses, 4).sort(), [0, 1, 2, 3]);
  // 2 of the first front: (2,2) first, then the lower index of the tied ends (see pareto.test.ts)
  assert.deepEqual(splitGood(losses, 2), [1, 0]);
  // one objective: plain sort
  assert.deepEqual(splitGood([[5], [1], [3]], 2), [1, 2]);
  // weights: exclusive hypervolume under the reference (3.3, 3.3), divided by the largest:
  // (1,3) owns [1,2]×[3,3.3] = 0.3, (2,2) owns [2,3]×[2,3] = 1, (3,1) owns [3,3.3]×[1,2] = 0.3
  const w = goodWeights(losses.slice(0, 3));
  for (const [i, v] of [0.3, 1, 0.3].entries()) assert.ok(Math.abs(w[i] - v) < 1e-9, `${w}`);
  // a dominated point in the good group gets (almost) no weight
  assert.ok(
    goodWeights([
      [1, 1],
      [2, 2],
    ])[1] < 1e-9,
  );
});

const axes = spaceAxes({
  x: { kind: 'float', low: 0, high: 1 },
  y: { kind: 'float', low: 0, high: 1 },
  k: { kind: 'int', low: 0, high: 4 },
  c: { kind: 'categorical', choices: ['p', 'q'] },
});

/** A 2-objective problem with a known good region (y near 0.2, k = 1, c = 'q'). */
function values(p: Params): number[] {
  const x = p.x as number;
  const g =
    1 +
    4 * ((p.y as number) - 0.2) ** 2 +
    0.3 * Math.abs((p.k as number) - 1) +
    (p.c === 'q' ? 0 : 0.5);
  return [x * g, (1 - Math.sqrt(x)) * g];
}

function run(
  seed: number,
  trials: number,
  sampler: 'tpe' | 'random',
  objectives = both,
  transform = (v: number[]) => v,
) {
  const settings = tpeSettings({ nStartupTrials: 8, nEiCandidates: 24 });
  const observations: Observation[] = [];
  for (let n = 0; n < trials; n++) {
    const rng = Rng.forStream(seed, n);
    const params =
      sampler === 'tpe'
        ? proposeParams(axes, objectives, observations, rng, settings)
        : sampleUniform(axes, rng);
    observations.push({ number: n, params, values: transform(values(params)) });
  }
  return observations;
}

test('same seed, same trials; startup trials are uniform draws', () => {
  const a = run(11, 25, 'tpe');
  assert.deepEqual(run(11, 25, 'tpe'), a);
  assert.notDeepEqual(run(12, 25, 'tpe'), a);
  const random = run(11, 8, 'random');
  assert.deepEqual(a.slice(0, 8), random);
});

test('beats random search on hypervolume (mean of 4 seeds, 40 trials)', () => {
  const hv = (sampler: 'tpe' | 'random') => {
    let sum = 0;
    for (let seed = 0; seed < 4; seed++)
      sum += hypervolume(
        run(seed, 40, sampler).map((o) => o.values as number[]),
        [3, 3],
      );
    return sum / 4;
  };
  const tpe = hv('tpe');
  const random = hv('random');
  assert.ok(tpe > random + 0.2, `TPE ${tpe} vs random ${random}`);
});

test('maximising a negated objective and adding a report-only one change nothing', () => {
  const reference = run(5, 20, 'tpe');
  const flipped = run(5, 20, 'tpe', [both[0], { name: 'f2', direction: 'maximize' }], (v) => [
    v[0],
    -v[1],
  ]);
  assert.deepEqual(
    flipped.map((o) => o.params),
    reference.map((o) => o.params),
  );
  const reported = run(
    5,
    20,
    'tpe',
    [both[0], { name: 'noise', direction: 'report' }, both[1]],
    (v) => [v[0], Math.sin(v[0] * 1000), v[1]],
  );
  assert.deepEqual(
    reported.map((o) => o.params),
    reference.map((o) => o.params),
  );
});

test('constant liar: a running trial pushes the next proposal away from it', () => {
  const history = run(3, 20, 'tpe');
  const settings = tpeSettings({ nStartupTrials: 8, nEiCandidates: 24 });
  const first = proposeParams(axes, both, history, Rng.forStream(3, 20), settings);
  const withLiar = proposeParams(
    axes,
    both,
    [...history, { number: 20, params: first, values: null }],
    Rng.forStream(3, 20),
    settings,
  );
  assert.notDeepEqual(withLiar, first);
  const withoutLiar = proposeParams(
    axes,
    both,
    [...history, { number: 20, params: first, values: null }],
    Rng.forStream(3, 20),
    { ...settings, constantLiar: false },
  );
  assert.deepEqual(withoutLiar, first);
});

test('one objective works too', () => {
  const obs = run(2, 20, 'tpe', [{ name: 'f1', direction: 'minimize' }], (v) => [v[0] + v[1]]);
  assert.equal(obs.length, 20);
});
