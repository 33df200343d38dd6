import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Trial } from '../../src/optimize/study.js';
import { selectTrial, sortedFront } from '../../src/run/select.js';

function trial(
  number: number,
  refusals: number,
  kl: number,
  state: Trial['state'] = 'complete',
): Trial {
  return {
    number,
    state,
    params: {},
    values: state === 'complete' ? [refusals, kl] : null,
    userAttrs: {},
    failure: null,
    worker: null,
    attempts: 1,
    createdAt: 0,
    startedAt: 0,
    finishedAt: 0,
    heartbeatAt: 0,
  };
}

test('best: fewest refusals within max_kl, else the lowest KL', () => {
  const front = [trial(3, 10, 0.01), trial(5, 2, 0.3), trial(7, 0, 0.9)];
  assert.deepEqual(
    sortedFront(front).map((t) => t.number),
    [7, 5, 3],
  );
  assert.equal(selectTrial(front, front, 'best', 0.5).number, 5); // 7 has KL 0.9 > 0.5
  assert.equal(selectTrial(front, front, 'best', 1).number, 7);
  assert.equal(selectTrial(front, front, 'best', 0.001).number, 3); // none fits: lowest KL
});

test('a trial number selects that trial; errors name the problem', () => {
  const trials = [trial(0, 4, 0.1), trial(1, 0, 0, 'failed')];
  assert.equal(selectTrial(trials, [], '0', 0.5).number, 0);
  assert.throws(() => selectTrial(trials, [], '9', 0.5), /the study has no trial 9/);
  assert.throws(() => selectTrial(trials, [], '1', 0.5), /trial 1 is failed/);
  assert.throws(() => selectTrial(trials, [], 'top', 0.5), /must be 'best' or a trial number/);
  assert.throws(() => selectTrial(trials, [], 'best', 0.5), /no trial finished/);
});
