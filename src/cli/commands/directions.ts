// `candor directions MODEL --output directions.json`: residuals of the harmful and harmless
// direction prompts, the refusal direction of every hidden state, and how well the two sets
// separate (a table on stdout; everything, means included, in the JSON file).

import { Command, Option } from '@commander-js/extra-typings';
import { formatSeparationTable } from '../../ablate/diagnostics.js';
import { directionsToJson, measureDirections } from '../../ablate/directions-report.js';
import { selectBackend } from '../../backend/select.js';
import { resolveSettings } from '../../config/settings.js';
import { Engine } from '../../engine/engine.js';
import { writeFileSafely } from '../../export/output-folder.js';
import { openModel } from '../../model/open.js';
import { resolveModelDir } from '../../run/model-source.js';
import { loadPromptList, PromptEncoder } from '../../run/prompts.js';
import { loadTokenizer } from '../../tokenize/tokenizer.js';
import { wholeNumber } from '../parse.js';

/** Residual rows held at once per set when --batch-size is left at 0 (automatic). */
const DEFAULT_CHUNK = 32;

export const command = new Command('directions')
  .description('compute refusal directions and their per-layer separation diagnostics')
  .argument('<model>', 'Hugging Face model id or local folder')
  .requiredOption('--output <file>', 'directions JSON to write')
  .option('--harmful <spec>', 'harmful prompt set (default: the run setting harmful_prompts)')
  .option('--harmless <spec>', 'harmless prompt set (default: the run setting harmless_prompts)')
  .addOption(
    new Option(
      '--method <method>',
      'plain difference of means, or projected off the harmless mean',
    ).choices(['plain', 'projected'] as const),
  )
  .option('--winsorize <q>', 'clamp each residual at this quantile of its magnitudes; 0: off')
  .option('--system-prompt <text>', 'system prompt of every conversation')
  .addOption(
    new Option('--backend <name>', 'where the model runs').choices([
      'auto',
      'cpu',
      'webgpu',
    ] as const),
  )
  .option(
    '--batch-size <n>',
    'prompts per forward batch (0: automatic)',
    wholeNumber('--batch-size'),
  )
  .option(
    '--samples <n>',
    'prompts per set kept for the silhouette score',
    wholeNumber('--samples'),
    64,
  )
  .option('--config <file>', 'settings file (default: ./candor.toml if present)')
  .option('--force', 'replace an existing output file', false)
  .action(async (modelArg, opts) => {
    // the run's settings give the defaults, so `directions` and `run` see the same prompts
    const flags: Record<string, unknown> = {
      harmful_prompts: opts.harmful,
      harmless_prompts: opts.harmless,
      direction_method: opts.method,
      winsorize: opts.winsorize,
      system_prompt: opts.systemPrompt,
      backend: opts.backend,
      batch_size: opts.batchSize,
    };
    const s = resolveSettings({ configPath: opts.config ?? null, env: process.env, flags });
    const log = (line: string): void => {
      process.stderr.write(`${line}\n`);
    };
    const source = await resolveModelDir(modelArg, s);
    const model = await openModel(source.dir);
    const tokenizer = await loadTokenizer(source.dir);
    const backend = await selectBackend(s.backend, log);
    let engine: Engine | null = null;
    try {
      const spec = model.spec;
      engine = await Engine.load(backend, model);
      const encoder = new PromptEncoder(tokenizer, s.system_prompt, '');
      const [harmful, harmless] = await Promise.all([
        loadPromptList(s.harmful_prompts),
        loadPromptList(s.harmless_prompts),
      ]);
      log(
        `${harmful.length} harmful (${s.harmful_prompts}), ${harmless.length} harmless (${s.harmless_prompts}) prompts`,
      );
      const report = await measureDirections(
        engine,
        encoder.encode(harmful),
        encoder.encode(harmless),
        {
          method: s.direction_method,
          winsorize: s.winsorize,
          sampleSize: opts.samples,
          batchSize: s.batch_size > 0 ? s.batch_size : DEFAULT_CHUNK,
          states: spec.numLayers + 1,
          hiddenSize: spec.hiddenSize,
          onBatch: (set, done, total) => log(`residuals ${set}: ${done}/${total}`),
        },
      );
      const json = directionsToJson(report, source.name);
      await writeFileSafely(opts.output, `${JSON.stringify(json)}\n`, opts.force);
      process.stdout.write(`${formatSeparationTable(report.diagnostics)}\n`);
      log(`directions (${s.direction_method}) written to ${opts.output}`);
    } finally {
      engine?.dispose();
      await model.close();
      backend.destroy();
    }
  });
