// kill -9 in the middle of a trial loses only that trial's work: the trials finished before it
// are all there, the interrupted one is re-queued with its parameters, and the resumed study
// proposes exactly what an uninterrupted run with the same seed proposes.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Study, type StudyOptions } from '../../src/optimize/study.js';
import {
  problemObjectives,
  problemSampler,
  problemSpace,
  problemValues,
} from './fixtures/study-problem.js';
import { startWorker } from './worker-process.js';

const dir = mkdtempSync(join(tmpdir(), 'candor-crash-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const TRIALS = 9;
const KILLED_AT = 6; // after the 5 random startup trials, so TPE proposals cross the crash

const options = (storage: string): StudyOptions => ({
  storage,
  name: 'crash',
  objectives: problemObjectives,
  space: problemSpace,
  sampler: problemSampler,
  seed: 2026,
  maxTrials: TRIALS,
});

async function finish(study: Study): Promise<void> {
  for (let t = await study.ask(); t; t = await study.ask())
    await study.tell(t.number, problemValues(t.params));
}

test('SIGKILL mid-trial loses at most that trial, and the resumed run matches an uninterrupted one', async () => {
  const reference = await Study.open(options(join(dir, 'reference.sqlite')));
  await finish(reference);
  const expected = (await reference.trials()).map((t) => t.params);
  await reference.close();
  assert.equal(expected.length, TRIALS);

  const storage = join(dir, 'crashed.sqlite');
  const worker = startWorker({
    storage,
    name: 'crash',
    seed: 2026,
    maxTrials: TRIALS,
    hangAt: KILLED_AT,
  });
  await worker.waitFor(new RegExp(`^start ${KILLED_AT}$`));
  worker.child.kill('SIGKILL');
  const { signal, lines } = await worker.exited;
  assert.equal(signal, 'SIGKILL');
  assert.deepEqual(
    lines.filter((l) => l.startsWith('done')),
    Array.from({ length: KILLED_AT }, (_, i) => `done ${i}`),
  );

  const resumed = await Study.open(options(storage));
  assert.deepEqual(resumed.resume, {
    created: false,
    complete: KILLED_AT,
    failed: 0,
    pending: 1,
    requeued: [KILLED_AT],
    abandoned: [],
  });
  assert.match(
    resumed.resumeMessage() ?? '',
    /^resuming study 'crash' \(.*crashed\.sqlite\): 6 trials done \(6 complete, 0 failed\); re-queued interrupted trial 6; 1 pending$/,
  );
  const before = await resumed.trials();
  assert.deepEqual(
    before.slice(0, KILLED_AT).map((t) => t.state),
    new Array(KILLED_AT).fill('complete'),
  );
  assert.equal(before[KILLED_AT].state, 'pending');

  await finish(resumed);
  const after = await resumed.trials();
  assert.deepEqual(
    after.map((t) => t.params),
    expected,
  );
  assert.ok(after.every((t) => t.state === 'complete'));
  assert.equal(after[KILLED_AT].attempts, 2);
  await resumed.close();
});
