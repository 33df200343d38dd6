// `candor study`: the Pareto front as a table, the study as JSON and CSV, from the store alone.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Study } from '../../src/optimize/study.js';

function candor(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/entry.ts', ...args], {
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('candor study prints the front, JSON and CSV', async () => {
  const storage = join(mkdtempSync(join(tmpdir(), 'candor-study-')), 's.candor-study.sqlite');
  const study = await Study.open({
    storage,
    name: 's',
    objectives: [
      { name: 'refusals', direction: 'minimize' },
      { name: 'kl', direction: 'minimize' },
    ],
    space: { w: { kind: 'float', low: 0, high: 1 } },
    seed: 2,
  });
  // (3, 0.1) and (1, 0.5) are both optimal; (4, 0.6) is dominated by both
  for (const values of [
    [3, 0.1],
    [4, 0.6],
    [1, 0.5],
  ]) {
    const trial = await study.ask();
    await study.tell(trial!.number, values);
  }
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
