// Two worker processes share one study and run 20 trials together: no trial is lost or run
// twice, and both see every finished trial. On a SQLite file always; on PostgreSQL when
// CANDOR_TEST_POSTGRES names a database (.ci/run starts one with scripts/postgres-start.sh).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Study } from '../../src/optimize/study.js';
import { problemObjectives, problemSampler, problemSpace } from './fixtures/study-problem.js';
import { startWorker } from './worker-process.js';

const TRIALS = 20;
const dir = mkdtempSync(join(tmpdir(), 'candor-workers-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function twoWorkers(storage: string, name: string): Promise<void> {
  const args = { storage, name, seed: 5, maxTrials: TRIALS, sleepMs: 30, waitForComplete: TRIALS };
  const runs = [startWorker(args), startWorker(args)];
  const results = await Promise.all(runs.map((r) => r.exited));
  for (const r of results) assert.equal(r.code, 0, r.stderr);

  const started = results.map((r) =>
    r.lines.filter((l) => l.startsWith('start ')).map((l) => Number(l.slice(6))),
  );
  const all = started.flat().sort((a, b) => a - b);
  assert.deepEqual(
    all,
    Array.from({ length: TRIALS }, (_, i) => i),
    'each trial ran exactly once',
  );
  assert.ok(
    started.every((s) => s.length > 0),
    `both workers ran trials: ${JSON.stringify(started)}`,
  );
  for (const r of results) {
    const seen = r.lines.find((l) => l.startsWith('seen '));
    assert.deepEqual(
      JSON.parse(seen!.slice(5)),
      Array.from({ length: TRIALS }, (_, i) => i),
    );
  }

  const study = await Study.open({
    storage,
    name,
    objectives: problemObjectives,
    space: problemSpace,
    sampler: problemSampler,
  });
  const trials = await study.trials();
  assert.equal(trials.length, TRIALS);
  assert.ok(trials.every((t) => t.state === 'complete' && t.attempts === 1 && t.values !== null));
  assert.equal(new Set(trials.map((t) => t.worker)).size, 2);
  await study.close();
}

test('two processes share a SQLite study file', async () => {
  await twoWorkers(join(dir, 'shared.sqlite'), 'shared');
});

const postgres = process.env.CANDOR_TEST_POSTGRES;
test('two processes share a PostgreSQL study (FOR UPDATE SKIP LOCKED claims)', {
  skip: postgres
    ? false
    : 'CANDOR_TEST_POSTGRES is unset: start one with `export CANDOR_TEST_POSTGRES=$(bash scripts/postgres-start.sh)`',
}, async () => {
  await twoWorkers(postgres as string, `workers-${Date.now()}-${process.pid}`);
});
