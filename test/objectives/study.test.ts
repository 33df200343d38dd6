// Objectives end to end on the fixture model: a study with three objectives carries all three in
// the study store, the dashboard state, reproduce.json and `evaluate --json`; a user module
// (test/objectives/fixtures/length.ts, maximising the mean response length) changes the chosen
// trial against the default objectives; bad objectives fail in one line naming them.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { candor, candorProcess, exitCode, fixtureRunArgs } from '../helpers/cli.js';

const FIXTURES = 'test/objectives/fixtures';

function runArgs(output: string, trials: number, extra: string[] = []): string[] {
  return fixtureRunArgs(output, trials, { startupTrials: 3, extra });
}

interface StudyRow {
  number: number;
  values: number[] | null;
}

function studyTrials(sqlite: string): { objectives: { name: string }[]; trials: StudyRow[] } {
  const db = new Database(sqlite, { readonly: true });
  try {
    const study = db.prepare('SELECT objectives FROM candor_studies').get() as {
      objectives: string;
    };
    const rows = db
      .prepare('SELECT number, objective_values FROM candor_trials ORDER BY number')
      .all() as { number: number; objective_values: string | null }[];
    return {
      objectives: JSON.parse(study.objectives),
      trials: rows.map((r) => ({
        number: r.number,
        values: r.objective_values ? JSON.parse(r.objective_values) : null,
      })),
    };
  } finally {
    db.close();
  }
}

test('three objectives reach the study, the dashboard, reproduce.json and evaluate --json', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'candor-obj3-'));
  const output = join(dir, 'llama-candor');
  const names = ['refusals', 'kl', 'keyword_rate:e'];
  const child = candorProcess(
    runArgs(output, 4, [`--profile=${FIXTURES}/three.toml`, '--dashboard', '--dashboard-port=0']),
  );
  let stderr = '';
  let url: string | null = null;
  type State = {
    objectives: string[];
    trials: { state: string; values: Record<string, number> }[];
  };
  let state: Promise<State> | null = null;
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    url ??= /dashboard: (http\S+)/.exec(stderr)?.[1] ?? null;
    // asked while the last trial's line is fresh: the dashboard closes with the run, and the
    // export after the search keeps it up for a while; a failed fetch is reported below
    if (url && !state && /trial 4\/4/.test(stderr)) {
      state = fetch(`${url}state`).then((r) => r.json() as Promise<State>);
      state.catch(() => {});
    }
  });
  const code = await exitCode(child);
  assert.equal(code, 0, stderr);
  assert.match(stderr, /early exit off: objective 'keyword_rate:e' reads whole responses/);
  assert.match(stderr, /trial 4\/4 · #3: refusals \d+, kl [\d.]+, keyword_rate:e [\d.]+/);

  assert.ok(state, 'the dashboard answered');
  const dashboard = await (state as unknown as Promise<State>);
  assert.deepEqual(dashboard.objectives, names);
  const complete = dashboard.trials.filter((t) => t.state === 'complete');
  assert.ok(complete.length >= 3);
  for (const t of complete) assert.deepEqual(Object.keys(t.values), names);

  const stored = studyTrials(join(dir, 'llama-candor.candor-study.sqlite'));
  assert.deepEqual(
    stored.objectives.map((o) => o.name),
    names,
  );
  for (const t of stored.trials) assert.equal(t.values?.length, 3);

  const record = JSON.parse(readFileSync(join(output, 'reproduce.json'), 'utf8'));
  assert.equal(record.trial.values.length, 3);

  const evaluated = candor([
    'evaluate',
    'test/fixtures/models/llama',
    `--plan=${output}.plan.json`,
    `--profile=${FIXTURES}/three.toml`,
    '--harmful=censored-topics:eval[:6]',
    '--harmless=harmless:eval[:6]',
    '--max-new-tokens=6',
    '--backend=cpu',
    '--json',
  ]);
  assert.equal(evaluated.code, 0, evaluated.stderr);
  const report = JSON.parse(evaluated.stdout);
  assert.deepEqual(Object.keys(report.objectives), names);
  // the same trial on the same prompts and backend: the values the search recorded
  const [refusals, kl, rate] = record.trial.values;
  assert.equal(report.objectives.refusals, refusals);
  assert.ok(Math.abs(report.objectives.kl - kl) < 1e-6, `${report.objectives.kl} vs ${kl}`);
  assert.equal(report.objectives['keyword_rate:e'], rate);
});

test('a user objective module changes what the search chooses', () => {
  const dir = mkdtempSync(join(tmpdir(), 'candor-objmod-'));
  const plain = candor(runArgs(join(dir, 'plain'), 5));
  assert.equal(plain.code, 0, plain.stderr);
  const length = candor(runArgs(join(dir, 'length'), 5, [`--profile=${FIXTURES}/length.toml`]));
  assert.equal(length.code, 0, length.stderr);
  assert.match(length.stderr, /original model: length [\d.]+/);

  const chosen = (name: string) =>
    JSON.parse(readFileSync(join(dir, name, 'reproduce.json'), 'utf8')).trial;
  const stored = studyTrials(join(dir, 'length.candor-study.sqlite'));
  assert.deepEqual(stored.objectives, [{ name: 'length', direction: 'maximize' }]);
  const longest = Math.max(...stored.trials.map((t) => t.values?.[0] ?? -1));
  assert.equal(chosen('length').values[0], longest, 'the longest mean response is chosen');
  assert.notEqual(chosen('length').number, chosen('plain').number);
  assert.deepEqual(chosen('plain').values.length, 2, 'the default study keeps refusals and kl');
});

test('unknown objectives and bad modules fail in one line naming them', () => {
  const cases: [string, RegExp][] = [
    ['unknown.toml', /unknown\.toml: objectives\[2\]: unknown objective 'politeness' \(built in: /],
    ['no-score.toml', /objective module .*no-score\.mjs: exports no score function/],
    ['missing-module.toml', /objective 'ghost' \(.*no-such-objective\.mjs\): module not found/],
  ];
  for (const [file, error] of cases) {
    const r = candor([
      'run',
      'test/fixtures/models/llama',
      `--profile=${FIXTURES}/${file}`,
      '--trials=1',
      '--yes',
      '--backend=cpu',
      `--output=${join(tmpdir(), 'candor-never')}`,
    ]);
    assert.equal(r.code, 1, r.stderr);
    const last = r.stderr.trim().split('\n').at(-1) ?? '';
    assert.match(last, /^candor: /);
    assert.match(last, error);
  }
});
