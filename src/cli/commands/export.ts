// `candor export MODEL --plan plan.json --output DIR`: bake a plan into a complete Hugging Face
// folder, or (--format lora) write it as a PEFT LoRA adapter for the original weights.

import { Command, Option } from '@commander-js/extra-typings';
import { readPlanFile } from '../../ablate/plan-io.js';
import { exportHfFolder } from '../../export/hf-folder.js';
import { exportLoraAdapter } from '../../export/lora-adapter.js';
import { resolveModelRepo } from '../../hub/resolve.js';
import { wholeNumber } from '../parse.js';

export const command = new Command('export')
  .description('Write a model with an ablation plan baked in, or the plan as a LoRA adapter')
  .argument('<model>', 'the original model: a Hugging Face id or a local folder')
  .requiredOption('--plan <file>', 'plan.json to apply (from a run, or written by hand)')
  .requiredOption('--output <dir>', 'folder to write (written to a temporary name, then renamed)')
  .addOption(
    new Option('--format <format>', 'model: baked safetensors folder; lora: PEFT adapter')
      .choices(['model', 'lora'] as const)
      .default('model' as const),
  )
  .option(
    '--rank <k>',
    'LoRA rank for normalisation full (none and pre are exact at 1)',
    wholeNumber('--rank'),
    3,
  )
  .option('--seed <n>', 'seed of the randomized SVD behind a rank-k LoRA', wholeNumber('--seed'), 0)
  .option('--force', 'replace an existing output folder', false)
  .action(async (model, opts) => {
    const { plan, metrics, provenance } = await readPlanFile(opts.plan);
    const repo = await resolveModelRepo(model);
    const log = (line: string): void => {
      process.stderr.write(`  ${line}\n`);
    };
    const common = {
      modelDir: repo.dir,
      plan,
      output: opts.output,
      force: opts.force,
      sourceModel: model,
      sourceOnHub: repo.source !== 'local',
      metrics,
      provenance,
      log,
    };
    if (opts.format === 'model') {
      const { notes } = await exportHfFolder(common);
      for (const n of notes) process.stderr.write(`note: ${n}\n`);
    } else {
      const report = await exportLoraAdapter({ ...common, rank: opts.rank, seed: opts.seed });
      const worst = report.errors.reduce((a, b) => (b.relativeError > a.relativeError ? b : a));
      process.stderr.write(
        report.errors.every((e) => e.relativeError === 0)
          ? `LoRA rank ${report.rank}: exact\n`
          : `LoRA rank ${report.rank}: relative Frobenius error max ${worst.relativeError.toExponential(3)} (${worst.module}), mean ${(report.errors.reduce((s, e) => s + e.relativeError, 0) / report.errors.length).toExponential(3)}\n`,
      );
    }
    process.stdout.write(`${opts.output}\n`);
  });
