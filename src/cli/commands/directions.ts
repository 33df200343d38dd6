// `candor directions MODEL --output directions.json`: residuals of the harmful and harmless
// direction prompts, the refusal direction of every hidden state, and how well the two sets
// separate (a table on stdout; everything, means included, in the JSON file).

import { Command, Option } from '@commander-js/extra-typings';
import { formatSeparationTable } from '../../ablate/diagnostics.js';
import { directionsToJson, measureDirections } from '../../ablate/directions-report.js';
import { writeFileSafely } from '../../export/output-folder.js';
import {
  backendOption,
  batchSizeOption,
  commandSettings,
  configOption,
  directionFlags,
  directionPrompts,
  harmfulPromptsOption,
  harmlessPromptsOption,
  log,
  residualBatchSize,
  systemPromptOption,
  withModelEngine,
} from '../model-options.js';
import { wholeNumber } from '../parse.js';

export const command = new Command('directions')
  .description('compute refusal directions and their per-layer separation diagnostics')
  .argument('<model>', 'Hugging Face model id or local folder')
  .requiredOption('--output <file>', 'directions JSON to write')
  .addOption(harmfulPromptsOption())
  .addOption(harmlessPromptsOption())
  .addOption(
    new Option(
      '--method <method>',
      'plain difference of means, or projected off the harmless mean',
    ).choices(['plain', 'projected'] as const),
  )
  .option('--winsorize <q>', 'clamp each residual at this quantile of its magnitudes; 0: off')
  .addOption(systemPromptOption())
  .addOption(backendOption())
  .addOption(batchSizeOption('prompts per forward batch (0: automatic)', 0))
  .option(
    '--samples <n>',
    'prompts per set kept for the silhouette score',
    wholeNumber('--samples'),
    64,
  )
  .addOption(configOption())
  .option('--force', 'replace an existing output file', false)
  .action(async (modelArg, opts) => {
    // the run's settings give the defaults, so `directions` and `run` see the same prompts
    const s = commandSettings(opts.config, {
      ...directionFlags(opts),
      direction_method: opts.method,
      winsorize: opts.winsorize,
    });
    await withModelEngine(modelArg, s, async ({ model, tokenizer }, engine) => {
      const { harmful, harmless } = await directionPrompts(s, tokenizer);
      const report = await measureDirections(engine, harmful, harmless, {
        method: s.direction_method,
        winsorize: s.winsorize,
        sampleSize: opts.samples,
        batchSize: residualBatchSize(s),
        states: model.spec.numLayers + 1,
        hiddenSize: model.spec.hiddenSize,
        onBatch: (set, done, total) => log(`residuals ${set}: ${done}/${total}`),
      });
      const json = directionsToJson(report, modelArg);
      await writeFileSafely(opts.output, `${JSON.stringify(json)}\n`, opts.force);
      process.stdout.write(`${formatSeparationTable(report.diagnostics)}\n`);
      log(`directions (${s.direction_method}) written to ${opts.output}`);
    });
  });
