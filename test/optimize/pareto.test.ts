import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  greedyHypervolumeSubset,
  hypervolume,
  hypervolumeContributions,
  nadirReference,
} from '../../src/optimize/hypervolume.js';
import {
  checkObjectives,
  dominates,
  lossVector,
  nondominatedRanks,
  paretoFrontIndices,
} from '../../src/optimize/pareto.js';

test('loss vectors negate maximised objectives and drop report-only ones', () => {
  const objectives = [
    { name: 'refusals', direction: 'minimize' as const },
    { name: 'speed', direction: 'report' as const },
    { name: 'score', direction: 'maximize' as const },
  ];
  assert.deepEqual(lossVector([3, 99, 0.5], objectives), [3, -0.5]);
  assert.throws(() => checkObjectives([{ name: 'a', direction: 'report' }]), /all are report-only/);
  assert.throws(
    () => checkObjectives([{ name: 'a', direction: 'minimise' as 'minimize' }]),
    /'a': direction 'minimise'/,
  );
  assert.throws(
    () =>
      checkObjectives([
        { name: 'a', direction: 'minimize' },
        { name: 'a', direction: 'maximize' },
      ]),
    /'a' is listed twice/,
  );
});

test('dominance, ranks and the front', () => {
  assert.ok(dominates([1, 2], [1, 3]));
  assert.ok(!dominates([1, 2], [1, 2]));
  assert.ok(!dominates([1, 3], [2, 2]));
  // front {A, B, C}; D is dominated by B only; E by D (and B): ranks 0,0,0,1,2
  const points = [
    [1, 5], // A
    [2, 2], // B
    [5, 1], // C
    [3, 3], // D
    [4, 4], // E
    [2, 2], // F: equal to B, so also on the front
  ];
  assert.deepEqual(nondominatedRanks(points), [0, 0, 0, 1, 2, 0]);
  assert.deepEqual(paretoFrontIndices(points), [0, 1, 2, 5]);
});

test('hypervolume in 2-D and 3-D, by hand', () => {
  // staircase (1,3), (2,2), (3,1) under reference (4,4): 3·1 + 2·1 + 1·1 = 6
  assert.equal(
    hypervolume(
      [
        [1, 3],
        [2, 2],
        [3, 1],
      ],
      [4, 4],
    ),
    6,
  );
  // a dominated point and a point outside the reference add nothing
  assert.equal(
    hypervolume(
      [
        [1, 3],
        [2, 2],
        [3, 1],
        [3, 3],
        [0, 5],
      ],
      [4, 4],
    ),
    6,
  );
  assert.equal(hypervolume([], [4, 4]), 0);
  // 3-D: boxes 2·2·1 = 4 and 1·1·2 = 2, overlapping in 1·1·1 = 1 → 5
  assert.equal(
    hypervolume(
      [
        [0, 0, 1],
        [1, 1, 0],
      ],
      [2, 2, 2],
    ),
    5,
  );
  // 4-D: unit cube corner at 0 under reference 1 → 1; a second point inside it adds nothing
  assert.equal(
    hypervolume(
      [
        [0, 0, 0, 0],
        [0.5, 0.5, 0.5, 0.5],
      ],
      [1, 1, 1, 1],
    ),
    1,
  );
  // 3-D with three points on the plane x+y+z = 1 under reference (1,1,1):
  // each alone dominates 1·0.5·0.5 = 0.25 … use inclusion–exclusion for (0,0.5,0.5),(0.5,0,0.5),(0.5,0.5,0):
  // singles 3·0.25, pairs: max corners like (0.5,0.5,0.5) → 0.125 each (3 pairs), triple 0.125
  assert.equal(
    hypervolume(
      [
        [0, 0.5, 0.5],
        [0.5, 0, 0.5],
        [0.5, 0.5, 0],
      ],
      [1, 1, 1],
    ),
    0.75 - 0.375 + 0.125,
  );
});

test('contributions, greedy subset and reference point', () => {
  // removing (2,2) from the staircase leaves 3·1 + 1·3 − 1·1 = 5, so it contributes 1
  assert.deepEqual(
    hypervolumeContributions(
      [
        [1, 3],
        [2, 2],
        [3, 1],
      ],
      [4, 4],
    ),
    [1, 1, 1],
  );
  // reference 10 % beyond the worst: (3.3, 3.3); alone (2,2) covers 1.3² = 1.69, the ends
  // 2.3·0.3 = 0.69, so (2,2) comes first; then both ends add 1·0.3 = 0.3: the lower index wins
  const ref = nadirReference([
    [1, 3],
    [2, 2],
    [3, 1],
  ]);
  assert.ok(Math.abs(ref[0] - 3.3) < 1e-12 && Math.abs(ref[1] - 3.3) < 1e-12);
  assert.deepEqual(
    greedyHypervolumeSubset(
      [
        [1, 3],
        [2, 2],
        [3, 1],
      ],
      2,
      ref,
    ),
    [1, 0],
  );
  // negative worst values move the reference towards zero (0.9 · −2 = −1.8); zero becomes tiny
  assert.deepEqual(
    nadirReference([
      [-3, 0],
      [-2, -1],
    ]),
    [-1.8, 1e-12],
  );
});
