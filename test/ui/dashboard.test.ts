// Loads the dashboard in headless Chromium (Debian's /usr/bin/chromium) and checks that it shows
// a fixture study's trials and updates live when a trial finishes.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { type DashboardState, startDashboard } from '../../src/ui/dashboard/server.js';

const CHROMIUM = '/usr/bin/chromium';

function fixtureState(trials: number): DashboardState {
  return {
    title: 'fixture study',
    objectives: ['refusals', 'kl'],
    trials: Array.from({ length: trials }, (_, i) => ({
      number: i,
      state: 'complete' as const,
      values: { refusals: 10 - i, kl: 0.05 * i },
      params: { attn_max_weight: 1 + i / 10 },
      pareto: true,
    })),
    selected: { number: 0, kernel: { attn: [0, 0.5, 1, 0.5], mlp: [0, 0, 0.8, 0.2] } },
    separation: [0, 1, 2, 3].map((layer) => ({
      layer,
      cosine: 0.9 - layer / 10,
      norm: layer,
      score: layer / 4,
    })),
  };
}

test('dashboard shows the trials and updates when a trial finishes', {
  skip: !existsSync(CHROMIUM) && 'Debian chromium is not installed',
}, async () => {
  const dashboard = await startDashboard(fixtureState(3), 0);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  try {
    const page = await browser.newPage();
    await page.goto(dashboard.url);
    await page.waitForFunction("document.querySelectorAll('#trials tr[data-trial]').length === 3");
    assert.equal(await page.locator('#scatter canvas').count(), 1, 'the Pareto scatter is drawn');
    // every trial is a point of the scatter, and the front's trials are the Pareto series
    const points = await page.evaluate(
      '[plots.scatter.data[1].filter((v) => v !== null).length, plots.scatter.data[2].filter((v) => v !== null).length]',
    );
    assert.deepEqual(points, [3, 3]);
    assert.equal(await page.locator('#kernel canvas').count(), 1, 'the kernel chart is drawn');
    assert.match((await page.textContent('#status')) ?? '', /3 of 3 trials finished/);

    dashboard.update(fixtureState(4));
    await page.waitForFunction(
      "document.querySelectorAll('#trials tr[data-trial]').length === 4",
      null,
      { timeout: 5000 },
    );
    assert.match((await page.textContent('#status')) ?? '', /4 of 4 trials finished/);
  } finally {
    await browser.close();
    await dashboard.close();
  }
});
