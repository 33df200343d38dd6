import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { defaultStudyPath, Study, type StudyOptions } from '../../src/optimize/study.js';
import {
  problemObjectives,
  problemSampler,
  problemSpace,
  problemValues,
} from './fixtures/study-problem.js';

const dir = mkdtempSync(join(tmpdir(), 'candor-study-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const postgres = process.env.CANDOR_TEST_POSTGRES;
let studies = 0;

/** A fresh study on `store`: its own SQLite file, or its own name in the PostgreSQL database. */
function optionsFor(store: 'sqlite' | 'postgres') {
  return (extra: Partial<StudyOptions> = {}): StudyOptions => {
    const n = studies++;
    return {
      storage: store === 'sqlite' ? join(dir, `s${n}.sqlite`) : (postgres as string),
      name: store === 'sqlite' ? 'demo' : `demo-${process.pid}-${Date.now()}-${n}`,
      objectives: problemObjectives,
      space: problemSpace,
      sampler: problemSampler,
      seed: 7,
      ...extra,
    };
  };
}

async function runTrials(study: Study, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const trial = await study.ask();
    assert.ok(trial);
    await study.tell(trial.number, problemValues(trial.params), { userAttrs: { step: i } });
  }
}

for (const store of ['sqlite', 'postgres'] as const) {
  const skip =
    store === 'postgres' && !postgres
      ? 'CANDOR_TEST_POSTGRES is unset: start one with `export CANDOR_TEST_POSTGRES=$(bash scripts/postgres-start.sh)`'
      : false;
  describe(`study on ${store}`, { skip }, () => {
    const options = optionsFor(store);

    test('trials persist with parameters, values, timing and user attributes; reopening resumes', async () => {
      const opts = options();
      const study = await Study.open(opts);
      assert.equal(study.resume.created, true);
      assert.equal(study.resumeMessage(), null);
      await runTrials(study, 3);
      await study.close();

      const again = await Study.open(opts);
      assert.deepEqual(again.resume, {
        created: false,
        complete: 3,
        failed: 0,
        pending: 0,
        requeued: [],
        abandoned: [],
      });
      assert.match(
        again.resumeMessage() ?? '',
        /^resuming study '[^']+' \((\/.*\.sqlite|postgresql:\/\/.*)\): 3 trials done \(3 complete, 0 failed\)$/,
      );
      const trials = await again.trials();
      assert.deepEqual(
        trials.map((t) => t.number),
        [0, 1, 2],
      );
      for (const t of trials) {
        assert.equal(t.state, 'complete');
        assert.deepEqual(t.values, problemValues(t.params));
        assert.deepEqual(t.userAttrs, { step: t.number });
        assert.ok(t.startedAt !== null && t.finishedAt !== null && t.finishedAt >= t.startedAt);
        assert.equal(t.attempts, 1);
      }
      await again.close();

      // the rows really are in the database (a SQLite file in WAL mode, or PostgreSQL)
      if (store === 'sqlite') {
        const db = new Database(opts.storage, { readonly: true });
        assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
        assert.equal(
          (db.prepare('SELECT count(*) AS n FROM candor_trials').get() as { n: number }).n,
          3,
        );
        assert.equal(
          (db.prepare('SELECT seed FROM candor_studies').get() as { seed: number }).seed,
          7,
        );
        db.close();
      } else {
        const client = new pg.Client({ connectionString: opts.storage });
        await client.connect();
        const count = await client.query(
          'SELECT count(*)::int AS n FROM candor_trials WHERE study = $1',
          [opts.name],
        );
        assert.equal(count.rows[0].n, 3);
        const seed = await client.query('SELECT seed FROM candor_studies WHERE name = $1', [
          opts.name,
        ]);
        assert.equal(Number(seed.rows[0].seed), 7);
        await client.end();
      }
    });

    test('same seed, same trials (startup and TPE); the seed is stored when none is given', async () => {
      const paramsOf = async (opts: StudyOptions) => {
        const study = await Study.open(opts);
        await runTrials(study, 9);
        const out = (await study.trials()).map((t) => t.params);
        await study.close();
        return out;
      };
      const a = await paramsOf(options());
      assert.deepEqual(await paramsOf(options()), a);
      assert.notDeepEqual(await paramsOf(options({ seed: 8 })), a);

      const opts = options({ seed: undefined });
      const first = await Study.open(opts);
      const seed = first.definition.seed;
      await first.close();
      const second = await Study.open(opts);
      assert.equal(second.definition.seed, seed);
      await second.close();
    });

    test('a study reopened with other settings is refused, naming what differs', async () => {
      const opts = options();
      await (await Study.open(opts)).close();
      await assert.rejects(
        Study.open({ ...opts, space: { ...problemSpace, x: { kind: 'float', low: 0, high: 2 } } }),
        /study '[^']+' in .* was created with a different space; use a new study name/,
      );
      await assert.rejects(Study.open({ ...opts, seed: 99 }), /different seed/);
      await assert.rejects(
        Study.open({ ...opts, sampler: { nStartupTrials: 1 } }),
        /different sampler/,
      );
    });

    test('tell checks the values and that the trial runs here', async () => {
      const study = await Study.open(options());
      const trial = await study.ask();
      assert.ok(trial);
      await assert.rejects(
        study.tell(trial.number, [1]),
        /values \[1\] must be 2 finite numbers \(f1, f2\); tell 'failed' instead/,
      );
      await assert.rejects(study.tell(trial.number, [1, Number.NaN]), /must be 2 finite numbers/);
      await study.tell(trial.number, 'failed', { reason: 'out of memory' });
      await assert.rejects(
        study.tell(trial.number, [1, 2]),
        /trial 0 is failed under worker .*, not running under this one/,
      );
      await assert.rejects(study.tell(42, [1, 2]), /trial 42 does not exist/);
      const [failed] = await study.trials();
      assert.equal(failed.failure, 'out of memory');
      // failed trials are left out of the model, so they do not count as startup trials either
      await study.close();
    });

    test('enqueued trials come first; askBatch gives distinct running trials; maxTrials stops ask', async () => {
      const study = await Study.open(options({ maxTrials: 6 }));
      const known = { x: 0.5, scale: 1, layers: 2, mode: 'b' };
      await study.enqueue(known, { source: 'heretic default' });
      await assert.rejects(study.enqueue({ ...known, layers: 9 }), /'layers'/);
      const batch = await study.askBatch(4);
      assert.deepEqual(
        batch.map((t) => t.number),
        [0, 1, 2, 3],
      );
      assert.deepEqual(batch[0].params, known);
      assert.deepEqual(batch[0].userAttrs, { source: 'heretic default' });
      assert.ok(batch.every((t) => t.state === 'running'));
      assert.equal(new Set(batch.map((t) => JSON.stringify(t.params))).size, 4);
      for (const t of batch) await study.tell(t.number, problemValues(t.params));
      assert.equal((await study.askBatch(5)).length, 2); // numbers 4 and 5, then the budget is spent
      assert.equal(await study.ask(), null);
      await study.close();
    });

    test('a trial whose worker stopped heartbeating is re-queued, then failed after maxAttempts', async () => {
      const opts = options({ staleAfterSeconds: 0.05, maxAttempts: 2 });
      const lost = await Study.open(opts); // this handle asks and then falls silent
      const trial = await lost.ask();
      assert.ok(trial);
      await new Promise((r) => setTimeout(r, 120));
      const rescuer = await Study.open(opts);
      assert.deepEqual(rescuer.resume.requeued, [0]);
      assert.match(rescuer.resumeMessage() ?? '', /re-queued interrupted trial 0/);
      const again = await rescuer.ask();
      assert.equal(again?.number, 0);
      assert.deepEqual(again?.params, trial.params);
      assert.equal(again?.attempts, 2);
      // the silent handle's result is refused: the trial now belongs to the rescuer
      await assert.rejects(lost.tell(0, [1, 1]), /not running under this one/);
      await new Promise((r) => setTimeout(r, 120));
      const third = await Study.open(opts);
      assert.deepEqual(third.resume.abandoned, [0]);
      const [gaveUp] = await third.trials();
      assert.equal(gaveUp.state, 'failed');
      assert.match(gaveUp.failure ?? '', /interrupted 2 times/);
      for (const s of [lost, rescuer, third]) await s.close();
    });

    test('Pareto front respects directions and ignores report-only objectives (3 objectives)', async () => {
      const study = await Study.open(
        options({
          objectives: [
            { name: 'refusals', direction: 'minimize' },
            { name: 'tokens_per_s', direction: 'report' },
            { name: 'quality', direction: 'maximize' },
          ],
        }),
      );
      // (refusals, quality): A (1, 0.5), B (2, 0.9), C (2, 0.8) dominated by B, D (3, 0.9) dominated
      // by B; report-only values would make C and D incomparable if they counted
      const rows = [
        [1, 10, 0.5],
        [2, 20, 0.9],
        [2, 99, 0.8],
        [3, 99, 0.9],
      ];
      for (const values of rows) {
        const t = await study.ask();
        assert.ok(t);
        await study.tell(t.number, values);
      }
      assert.deepEqual(
        (await study.paretoFront()).map((t) => t.number),
        [0, 1],
      );

      const json = await study.exportJson();
      assert.equal(json.format, 'candor-study');
      assert.deepEqual(json.pareto_front, [0, 1]);
      assert.deepEqual(json.trials[1].values, { refusals: 2, tokens_per_s: 20, quality: 0.9 });
      assert.equal(json.trials.length, 4);

      await study.setUserAttrs(0, { note: 'has "quotes", commas\nand a line break' });
      const csv = (await study.exportCsv()).split('\r\n');
      assert.equal(
        csv[0],
        'number,state,refusals,tokens_per_s,quality,x,scale,layers,mode,pareto,attempts,worker,created_at,started_at,finished_at,duration_s,failure,user_attrs',
      );
      assert.match(csv[1], /^0,complete,1,10,0\.5,[^,]+,[^,]+,\d,[abc],true,1,/);
      // JSON user attributes, quoted with doubled quotes (RFC 4180)
      assert.ok(
        csv[1].endsWith('"{""note"":""has \\""quotes\\"", commas\\nand a line break""}"'),
        csv[1],
      );
      assert.match(csv[3], /^2,complete,2,99,0\.8,.*,false,/);
      assert.equal(csv.length, 6); // header, 4 rows, trailing empty string
      await study.close();
    });
  });
}

test('defaultStudyPath puts one file per study next to the output', () => {
  assert.equal(defaultStudyPath('/out', 'my study/1'), '/out/my_study_1.candor-study.sqlite');
});
