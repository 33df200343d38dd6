// `candor study STORE`: what a study store holds — its Pareto front as a table, or the whole
// study as JSON or CSV on stdout (every trial, parameters, objectives, timing and state).

import { Command } from '@commander-js/extra-typings';
import { openStoredStudy } from '../../optimize/study.js';
import { sortedFront } from '../../run/select.js';

export const command = new Command('study')
  .description('show a study: its Pareto front, or every trial as JSON or CSV')
  .argument('<store>', 'study store: a .candor-study.sqlite file or a postgresql:// URL')
  .option('--study <name>', 'study name inside the store (default: its only study)')
  .option('--json', 'print the whole study as JSON', false)
  .option('--csv', 'print every trial as CSV', false)
  .action(async (storage, opts) => {
    const study = await openStoredStudy(storage, opts.study ?? null);
    try {
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(await study.exportJson(), null, 1)}\n`);
      } else if (opts.csv) {
        process.stdout.write(await study.exportCsv());
      } else {
        const objectives = study.definition.objectives;
        const trials = await study.trials();
        const front = sortedFront(await study.paretoFront(), objectives);
        process.stdout.write(
          `study '${study.name}': ${trials.filter((t) => t.state === 'complete').length} complete, ` +
            `${trials.filter((t) => t.state === 'failed').length} failed; Pareto front:\n`,
        );
        process.stdout.write(`trial\t${objectives.map((o) => o.name).join('\t')}\n`);
        for (const t of front) process.stdout.write(`${t.number}\t${t.values!.join('\t')}\n`);
      }
    } finally {
      await study.close();
    }
  });
