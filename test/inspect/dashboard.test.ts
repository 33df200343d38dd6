// The inspect panels on the dashboard in headless Chromium (Debian's /usr/bin/chromium): the
// separation chart and one state's PCA plot show, and the layer slider switches states.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { inspectDashboardState } from '../../src/cli/commands/inspect.js';
import type { InspectReport } from '../../src/inspect/inspect.js';
import { startDashboard } from '../../src/ui/dashboard/server.js';

const CHROMIUM = '/usr/bin/chromium';

/** three states, two points per set each */
function report(): InspectReport {
  const rows = [0, 1, 2].map((state) => ({
    state,
    harmfulNorm: 1 + state,
    harmlessNorm: 1,
    cosine: 1 - state / 10,
    fisher: state,
    silhouette: state / 4,
    neighbourCosine: state === 0 ? null : 0.9,
  }));
  const projections = [0, 1, 2].map((s): [[number, number][], [number, number][]] => [
    [
      [s, 1],
      [s, 2],
    ],
    [
      [-s, 0],
      [-s, -1],
    ],
  ]);
  return { original: { rows, projections }, edited: null, mostSeparable: 2 };
}

test('dashboard shows the inspect panels and the layer slider switches states', {
  skip: !existsSync(CHROMIUM) && 'Debian chromium is not installed',
}, async () => {
  const dashboard = await startDashboard(inspectDashboardState('inspect fixture', report()), 0);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(dashboard.url);
    await page.waitForSelector('#layer-slider');
    assert.equal(await page.locator('#panels svg').count(), 2, 'separation chart and one PCA plot');
    assert.match((await page.textContent('#panels')) ?? '', /Separation per hidden state/);
    assert.match((await page.textContent('#layer-panels')) ?? '', /^state 0: PCA/);
    assert.equal(await page.locator('#layer-panels circle.harmful').count(), 2);
    await page.locator('#layer-slider').fill('2');
    await page.waitForFunction("document.getElementById('layer-value').textContent === '2'");
    assert.match(
      (await page.textContent('#layer-panels')) ?? '',
      /^state 2 \(most separable\): PCA/,
    );
    assert.equal(await page.locator('#panels svg').count(), 2, 'still one PCA plot at a time');
  } finally {
    await browser.close();
    await dashboard.close();
  }
});
