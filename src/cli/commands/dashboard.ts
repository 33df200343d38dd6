// `candor dashboard STUDY`: serves the live dashboard of a study store (SQLite file or
// postgresql:// URL) that this or another process is running, re-reading it every few seconds.

import { readFile } from 'node:fs/promises';
import { Command } from '@commander-js/extra-typings';
import type { SeparationRow } from '../../ablate/diagnostics.js';
import { openStoredStudy } from '../../optimize/study.js';
import { startDashboard } from '../../ui/dashboard/server.js';
import { studyDashboardState } from '../../ui/dashboard/study-state.js';
import { numberIn, wholeNumber } from '../parse.js';

async function readSeparation(path: string): Promise<SeparationRow[]> {
  let json: { diagnostics?: unknown };
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: cannot read the directions file (${(err as Error).message})`);
  }
  if (!Array.isArray(json.diagnostics)) {
    throw new Error(
      `${path}: no "diagnostics" list; give a directions.json from \`candor directions\` or a saved model's reproduce/`,
    );
  }
  return json.diagnostics as SeparationRow[];
}

export const command = new Command('dashboard')
  .description('serve the live dashboard of a study (SQLite file or postgresql:// URL)')
  .argument(
    '<study>',
    'study store: the .candor-study.sqlite file beside a run’s output, or a postgresql:// URL',
  )
  .option('--study <name>', 'study name inside the store (default: its only study)')
  .option('--directions <file>', 'directions.json for the per-layer separation chart')
  .option('--port <n>', 'port on 127.0.0.1 (0: any free port)', wholeNumber('--port'), 7860)
  .option(
    '--refresh <seconds>',
    'how often to re-read the store',
    numberIn('--refresh', 0.2, 3600),
    2,
  )
  .action(async (storage, opts) => {
    const study = await openStoredStudy(storage, opts.study ?? null);
    const separation = opts.directions ? await readSeparation(opts.directions) : null;
    const state = () => studyDashboardState(study, `study ${study.name}`, separation);
    const dashboard = await startDashboard(await state(), opts.port);
    process.stdout.write(`${dashboard.url}\n`);
    process.stderr.write(
      `dashboard of study '${study.name}' (${study.location}); Ctrl-C to stop\n`,
    );
    let last = '';
    const timer = setInterval(async () => {
      const next = await state();
      const text = JSON.stringify(next);
      if (text !== last) dashboard.update(next);
      last = text;
    }, opts.refresh * 1000);
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    clearInterval(timer);
    await dashboard.close();
    await study.close();
  });
