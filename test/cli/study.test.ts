// `candor study`: the Pareto front as a table, the study as JSON and CSV, from the store alone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { candor } from '../helpers/cli.js';
import { finishTrial, openRunLikeStudy } from '../helpers/study.js';

test('candor study prints the front, JSON and CSV', async () => {
  const { study, storage } = await openRunLikeStudy('s', 2);
  // (3, 0.1) and (1, 0.5) are both optimal; (4, 0.6) is dominated by both
  await finishTrial(study, [3, 0.1]);
  await finishTrial(study, [4, 0.6]);
  await finishTrial(study, [1, 0.5]);
  await study.close();

  const table = candor(['study', storage]);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /3 complete, 0 failed/);
  assert.deepEqual(table.stdout.trim().split('\n').slice(2), ['2\t1\t0.5', '0\t3\t0.1']);

  const json = JSON.parse(candor(['study', storage, '--json']).stdout);
  assert.equal(json.trials.length, 3);
  const csv = candor(['study', storage, '--csv']).stdout.trim().split('\n');
  assert.equal(csv.length, 4, 'a header and one row per trial');

  const missing = candor(['study', storage, '--study', 'nope']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no study 'nope'; pass --study with one of s/);
});
