// `candor reproduce FILE`: bake the trial recorded in a saved model's reproduce.json again, from
// the recorded model and directions, and compare every tensor's sha256 with the original export.
// Exit code 0 when every tensor is identical, 1 otherwise.

import { Command } from '@commander-js/extra-typings';
import { formatReproduceReport, reproduce } from '../../run/reproduce.js';

export const command = new Command('reproduce')
  .description("re-bake a saved model from its reproduce.json and compare every tensor's sha256")
  .argument('<file>', 'reproduce.json of a saved model or adapter folder')
  .option('--model <dir>', 'model folder or Hub id to use instead of the recorded one')
  .action(async (file, opts) => {
    const report = await reproduce(file, {
      model: opts.model,
      token: process.env.HF_TOKEN,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    process.stdout.write(`${formatReproduceReport(report).join('\n')}\n`);
    process.exitCode = report.identical ? 0 : 1;
  });
