// `candor dashboard STUDY` in headless Chromium: it shows a study that another process writes,
// with the kernel stored beside each trial, and picks up a newly finished trial by itself.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { candorProcess } from '../helpers/cli.js';
import { finishTrial, openRunLikeStudy } from '../helpers/study.js';

const CHROMIUM = '/usr/bin/chromium';
const KERNEL = { kernel: { attn: [0, 1, 0.5], mlp: [0, 0, 0.2] } };

test('candor dashboard shows a study and follows it live', {
  skip: !existsSync(CHROMIUM) && 'Debian chromium is not installed',
}, async () => {
  const { study, storage } = await openRunLikeStudy('fixture', 1);
  await finishTrial(study, [5, 0.1], KERNEL);
  await finishTrial(study, [2, 0.4], KERNEL);

  const server = candorProcess(['dashboard', storage, '--port=0', '--refresh=0.3']);
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
    await finishTrial(study, [0, 0.9], KERNEL);
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
