// End to end: `candor run` on a fixture model, unattended; a second run of the same command
// resumes the study instead of starting over; Ctrl-C stops cleanly and the next run resumes.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixtureRunArgs as args, candor, candorProcess, exitCode } from '../helpers/cli.js';

test('unattended run saves the selected trial; the same command resumes the study', () => {
  const dir = mkdtempSync(join(tmpdir(), 'candor-run-'));
  const output = join(dir, 'llama-candor');
  const first = candor(args(output, 3));
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout.trim(), output, 'stdout carries the saved folder alone');
  for (const file of [
    'config.json',
    'model.safetensors.index.json',
    'tokenizer.json',
    'README.md',
  ]) {
    assert.ok(existsSync(join(output, file)), `${file} saved`);
  }
  assert.match(first.stderr, /trial 3\/3/);
  assert.ok(
    existsSync(join(dir, 'llama-candor.candor-study.sqlite')),
    'study stored beside the output',
  );
  const plan = JSON.parse(readFileSync(`${output}.plan.json`, 'utf8'));
  assert.equal(plan.format, 'candor-plan');

  const second = candor([...args(output, 4), '--force']);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, /resuming study 'llama-candor' .*: 3 trials done/);
  assert.match(second.stderr, /trial 4\/4/);
  assert.doesNotMatch(second.stderr, /trial 1\/4/, 'finished trials are not run again');
});

test('Ctrl-C stops after the running trial; the next run resumes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'candor-int-'));
  const output = join(dir, 'llama-candor');
  const child = candorProcess(args(output, 50));
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (/trial 1\/50/.test(stderr) && !child.killed) child.kill('SIGINT');
  });
  const code = await exitCode(child);
  assert.equal(code, 130, stderr);
  assert.match(stderr, /stopped; study saved/);
  assert.ok(!existsSync(output), 'nothing is saved when stopped');
  const done = Number(/trial (\d+)\/50/g.exec(stderr.split('Ctrl-C')[1] ?? '')?.[1] ?? 1);
  const again = candor([...args(output, 2)]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(
    again.stderr,
    new RegExp(
      `resuming study 'llama-candor' .*: ${Math.max(done, 1)} trials done|${2} trials done`,
    ),
  );
});
