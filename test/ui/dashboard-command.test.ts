// `candor dashboard STUDY` in headless Chromium: it shows a study that another process writes,
// with the kernel stored beside each trial, and picks up a newly finished trial by itself.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { Study } from '../../src/optimize/study.js';

const CHROMIUM = '/usr/bin/chromium';

async function finishTrial(study: Study, refusals: number, kl: number): Promise<void> {
  const trial = await study.ask();
  assert.ok(trial);
  await study.tell(trial.number, [refusals, kl], {
    userAttrs: { kernel: { attn: [0, 1, 0.5], mlp: [0, 0, 0.2] } },
  });
}

test('candor dashboard shows a study and follows it live', {
  skip: !existsSync(CHROMIUM) && 'Debian chromium is not installed',
}, async () => {
  const storage = join(mkdtempSync(join(tmpdir(), 'candor-dash-')), 'fixture.candor-study.sqlite');
  const study = await Study.open({
    storage,
    name: 'fixture',
    objectives: [
      { name: 'refusals', direction: 'minimize' },
      { name: 'kl', direction: 'minimize' },
    ],
    space: { w: { kind: 'float', low: 0, high: 1 } },
    seed: 1,
  });
  await finishTrial(study, 5, 0.1);
  await finishTrial(study, 2, 0.4);

  const server = spawn(process.execPath, [
    '--import',
    'tsx',
    'src/cli/entry.ts',
    'dashboard',
    storage,
    '--port=0',
    '--refresh=0.3',
  ]);
  const url = await new Promise<string>((resolve, reject) => {
    server.stdout.on('data', (d: Buffer) => resolve(d.toString().trim()));
    server.on('exit', (code) => reject(new Error(`dashboard exited with ${code}`)));
  });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForFunction("document.querySelectorAll('#trials tr[data-trial]').length === 2");
    assert.match(
      (await page.textContent('#kernel-title')) ?? '',
      /trial 1/,
      'kernel of the fewest-refusals trial',
    );
    await finishTrial(study, 0, 0.9);
    await page.waitForFunction(
      "document.querySelectorAll('#trials tr[data-trial]').length === 3",
      null,
      { timeout: 10000 },
    );
    assert.match((await page.textContent('#status')) ?? '', /3 of 3 trials finished/);
  } finally {
    await browser.close();
    server.kill('SIGINT');
    await study.close();
  }
});
