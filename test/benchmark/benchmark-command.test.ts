// `candor benchmark` end to end in a child process on the llama fixture: original vs a plan
// applied at run time (one load), as a table and as JSON; original scores equal transformers'
// goldens; --baseline with the same model gives zero differences; one-line errors.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { planToJson } from '../../src/ablate/plan-io.js';
import type { ResultsJson } from '../../src/benchmark/report.js';
import { randomPlan } from '../export/plans.js';
import { candor } from '../helpers/cli.js';

const MODEL = 'test/fixtures/models/llama';
const TASKS = ['test/benchmark/fixtures/arc_fixture.json', 'test/benchmark/fixtures/plain.jsonl'];
const golden = JSON.parse(readFileSync('test/benchmark/fixtures/goldens.json', 'utf8')).models.llama
  .tasks as Record<string, { acc: number; acc_norm: number }>;
const dir = mkdtempSync(join(tmpdir(), 'candor-benchmark-'));
const planPath = join(dir, 'plan.json');
writeFileSync(
  planPath,
  JSON.stringify(planToJson(randomPlan(3, 64, 'full', { seed: 3, weight: 1 }))),
);

test('--plan: original and edited from one load, JSON per task with acc, acc_norm, n', () => {
  const r = candor([
    'benchmark',
    MODEL,
    '--plan',
    planPath,
    '--task',
    ...TASKS,
    '--backend',
    'cpu',
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout) as ResultsJson;
  assert.equal(json.edited, planPath);
  for (const name of ['arc_fixture', 'plain']) {
    const t = json.tasks[name];
    assert.equal(t.n, name === 'plain' ? 3 : 4);
    assert.equal(t.original.acc, golden[name].acc, `${name} acc equals transformers'`);
    assert.equal(
      t.original.acc_norm,
      golden[name].acc_norm,
      `${name} acc_norm equals transformers'`,
    );
    assert.ok(t.edited && t.difference);
    for (const m of ['acc', 'acc_norm']) {
      assert.ok(Math.abs(t.difference[m] - (t.edited[m] - t.original[m])) < 1e-12);
      assert.ok(t.edited[`${m}_stderr`] >= 0 && t.difference[`${m}_stderr`] >= 0);
    }
  }
  assert.match(r.stderr, /arc_fixture: 4 items, .*\+ .*plan\.json/);
});

test('table: original, edited and difference with standard errors', () => {
  const r = candor([
    'benchmark',
    MODEL,
    '--plan',
    planPath,
    '--task',
    TASKS[0],
    '--backend',
    'cpu',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /task\s+metric\s+n\s+original\s+edited\s+edited - original/);
  assert.match(
    r.stdout,
    /arc_fixture\s+acc\s+4\s+\d\.\d{4} ± \d\.\d{4}\s+\d\.\d{4} ± \d\.\d{4}\s+[+-]\d\.\d{4} ± \d\.\d{4}/,
  );
});

test('--baseline with the same model: zero difference; errors are one line', () => {
  const r = candor([
    'benchmark',
    MODEL,
    '--baseline',
    MODEL,
    '--task',
    TASKS[1],
    '--backend',
    'cpu',
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const t = (JSON.parse(r.stdout) as ResultsJson).tasks.plain;
  assert.deepEqual(t.difference, { acc: 0, acc_stderr: 0, acc_norm: 0, acc_norm_stderr: 0 });
  const both = candor([
    'benchmark',
    MODEL,
    '--baseline',
    MODEL,
    '--plan',
    planPath,
    '--task',
    TASKS[1],
  ]);
  assert.notEqual(both.code, 0);
  assert.match(both.stderr, /give --plan or --baseline, not both/);
  const missing = candor(['benchmark', MODEL, '--task', 'nope.json', '--backend', 'cpu']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /task "nope\.json": no such definition/);
});
