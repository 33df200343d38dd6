import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  checkParams,
  hereticSearchSpace,
  type NumericAxis,
  sampleUniform,
  spaceAxes,
} from '../../src/optimize/space.js';
import { Rng } from '../../src/util/random.js';

test('errors name the parameter and the fix', () => {
  assert.throws(() => spaceAxes({}), /search space is empty/);
  assert.throws(
    () => spaceAxes({ lr: { kind: 'float', low: 0, high: 1, log: true } }),
    /'lr': log scale needs low > 0 \(got 0\)/,
  );
  assert.throws(
    () => spaceAxes({ w: { kind: 'float', low: 0, high: 1, step: 0.3 } }),
    /'w': high 1 is not low 0 plus a whole number of steps 0.3; adjust high/,
  );
  assert.throws(
    () => spaceAxes({ n: { kind: 'int', low: 0.5, high: 3 } }),
    /'n': int needs integer/,
  );
  assert.throws(
    () => spaceAxes({ n: { kind: 'int', low: 1, high: 9, log: true, step: 2 } }),
    /'n': int with log needs step 1/,
  );
  assert.throws(() => spaceAxes({ c: { kind: 'categorical', choices: [] } }), /'c': categorical/);
  assert.throws(
    () => spaceAxes({ c: { kind: 'categorical', choices: ['a', 'a'] } }),
    /'c': categorical `choices` repeat/,
  );
});

test('model axes: log, step and int cells', () => {
  const [lr, w, n, k] = spaceAxes({
    lr: { kind: 'float', low: 1e-4, high: 1, log: true },
    w: { kind: 'float', low: 0, high: 1, step: 0.25 },
    n: { kind: 'int', low: 2, high: 6, step: 2 },
    k: { kind: 'int', low: 1, high: 100, log: true },
  }) as NumericAxis[];
  assert.equal(lr.low, Math.log(1e-4));
  assert.equal(lr.cell, null);
  assert.equal(lr.decode(Math.log(0.5)), 0.5);
  // step 0.25 on [0, 1]: model bounds widened by half a step, decode snaps to the grid
  assert.deepEqual([w.low, w.high], [-0.125, 1.125]);
  assert.equal(w.decode(0.3), 0.25);
  assert.equal(w.decode(1.1), 1);
  assert.deepEqual(w.cell?.(0.5), [0.375, 0.625]);
  assert.equal(n.decode(4.9), 4);
  assert.equal(n.decode(5.1), 6);
  // log int: value v owns [log(v − ½), log(v + ½)]
  assert.deepEqual([k.low, k.high], [Math.log(0.5), Math.log(100.5)]);
  assert.deepEqual(k.cell?.(10), [Math.log(9.5), Math.log(10.5)]);
  assert.equal(k.decode(Math.log(10.4)), 10);
});

test('checkParams accepts legal values only', () => {
  const space = hereticSearchSpace(8);
  const good = sampleUniform(spaceAxes(space), Rng.forStream(3));
  checkParams(space, good);
  assert.throws(() => checkParams(space, { ...good, direction_scope: 'all' }), /'direction_scope'/);
  assert.throws(() => checkParams(space, { ...good, 'attn.max_weight': 2 }), /'attn.max_weight'/);
  assert.throws(() => checkParams(space, { ...good, extra: 1 }), /'extra' is not a parameter/);
});

test('uniform sampling covers an int grid evenly and a log axis log-uniformly', () => {
  const axes = spaceAxes({
    n: { kind: 'int', low: 1, high: 4 },
    lr: { kind: 'float', low: 1e-3, high: 1e3, log: true },
  });
  const rng = Rng.forStream(9);
  const counts = new Map<number, number>();
  let belowOne = 0;
  const draws = 8000;
  for (let i = 0; i < draws; i++) {
    const p = sampleUniform(axes, rng);
    counts.set(p.n as number, (counts.get(p.n as number) ?? 0) + 1);
    if ((p.lr as number) < 1) belowOne++;
  }
  assert.deepEqual([...counts.keys()].sort(), [1, 2, 3, 4]);
  for (const c of counts.values()) assert.ok(Math.abs(c / draws - 0.25) < 0.03);
  // log-uniform on [1e-3, 1e3]: half the mass lies below 1
  assert.ok(Math.abs(belowOne / draws - 0.5) < 0.03);
});

test("Heretic's space has Heretic's ranges; extensions are opt-in", () => {
  // 32 layers: last index 31; 0.4·31 = 12.4, 0.9·31 = 27.9, 0.6·31 = 18.6
  const space = hereticSearchSpace(32);
  assert.deepEqual(space.direction_scope, {
    kind: 'categorical',
    choices: ['global', 'per layer'],
  });
  assert.equal(space.direction_index.kind, 'float');
  const range = (key: string) => {
    const p = space[key] as { low: number; high: number };
    return [p.low, p.high];
  };
  const near = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]) < 1e-12);
  assert.ok(near(range('direction_index'), [12.4, 27.9]));
  assert.ok(near(range('attn.max_weight'), [0.8, 1.5]));
  assert.ok(near(range('mlp.max_weight'), [-0.25, 1.5]));
  assert.ok(near(range('attn.max_weight_position'), [18.6, 31]));
  assert.ok(near(range('mlp.min_weight'), [0, 1]));
  assert.ok(near(range('mlp.min_weight_distance'), [1, 18.6]));
  assert.equal(Object.keys(space).length, 10);
  assert.equal(space['embedding.max_weight'], undefined);

  const extended = hereticSearchSpace(32, { embedding: true, fullDepthDirection: true });
  assert.deepEqual(extended.direction_index, { kind: 'float', low: 0, high: 31 });
  assert.deepEqual(extended['embedding.max_weight'], { kind: 'float', low: -0.25, high: 1.5 });
  // one layer: min_weight_distance collapses to [1, 1] and still validates
  spaceAxes(hereticSearchSpace(1));
  assert.throws(() => hereticSearchSpace(0), /numLayers 0/);
});
