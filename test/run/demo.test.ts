// Issue "demo model", end to end: `candor` with no arguments uncensors the bundled demo model
// offline on the CPU backend; refusals drop to ≤ 10 % of the censored evaluation prompts with
// KL ≤ 0.1 on the harmless ones, and the edited model's answers recover reference facts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

function candor(args: string[], cwd: string) {
  const entry = join(process.cwd(), 'src/cli/entry.ts');
  // --import resolves against the working folder, which is a temporary one here
  const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), entry, ...args], {
    cwd,
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('npx candor uncensors the demo model: refusals ≤ 10 %, KL ≤ 0.1, facts recovered', () => {
  const dir = mkdtempSync(join(tmpdir(), 'candor-demo-'));
  // the demo defaults with half the trials, to keep CI short: seed 1 finds the edit in its random start
  const run = candor(['--yes', '--backend=cpu', '--seed=1', '--trials=4'], dir);
  assert.equal(run.code, 0, run.stderr);
  const output = join(dir, 'demo-candor');
  assert.equal(run.stdout.trim(), output);
  const original = Number(/original model: (\d+)\/78 refusals/.exec(run.stderr)?.[1]);
  assert.ok(original >= 0.5 * 78, `the demo model refuses (Heretic's markers): ${original}/78`);

  const evaluation = candor(
    [
      'evaluate',
      output,
      '--baseline',
      join(process.cwd(), 'models/demo'),
      '--backend=cpu',
      '--max-new-tokens=48',
      '--json',
    ],
    dir,
  );
  assert.equal(evaluation.code, 0, evaluation.stderr);
  const report = JSON.parse(evaluation.stdout);
  assert.equal(report.total, 78);
  assert.ok(report.refusals <= 0.1 * report.total, `refusals ${report.refusals}/78`);
  assert.ok(report.kl <= 0.1, `KL ${report.kl}`);
  assert.ok(
    report.informativeness.fact_recall >= 0.4,
    `fact recall ${report.informativeness.fact_recall}`,
  );
});
