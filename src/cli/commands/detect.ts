// `candor detect MODEL`: the censorship diagnosis. Greedy responses to censored prompts (and to
// harmless ones as a control) are sorted into refusal categories, overall and per topic, and a
// verdict names the remedy: ablation for a refusing model, preference tuning for a biased one.

import { Command } from '@commander-js/extra-typings';
import { loadPrompts, type Prompt } from '../../data/prompts.js';
import { RefusalCategorizer } from '../../judge/categories.js';
import { diagnose, formatDiagnosis } from '../../judge/detect.js';
import { greedyResponses, judgingEncoder } from '../../judge/judged-model.js';
import { RefusalMarkers } from '../../judge/markers.js';
import { judgeResponses } from '../../judge/verdicts.js';
import {
  backendOption,
  batchSizeOption,
  commandSettings,
  configOption,
  log,
  maxNewTokensOption,
  systemPromptOption,
  withBackend,
  withEngine,
  withNamedModel,
} from '../model-options.js';
import { wholeNumber } from '../parse.js';

export const command = new Command('detect')
  .description('diagnose censorship: refusal categories per topic, examples, verdict and remedy')
  .argument('<model>', 'Hugging Face model id or local folder')
  .option(
    '--prompts <spec>',
    'censored prompts, with "topic" (and "facts") where known (default: censored-topics:eval)',
  )
  .option('--harmless <spec>', 'control prompts a model should answer (default: harmless:eval)')
  .addOption(systemPromptOption('system prompt of every conversation (default: the run setting)'))
  .addOption(maxNewTokensOption())
  .option('--examples <n>', 'example responses shown per category', wholeNumber('--examples', 0), 2)
  .addOption(backendOption())
  .addOption(batchSizeOption())
  .addOption(configOption())
  .option('--json', 'print the diagnosis as one JSON object', false)
  .action(async (modelArg, opts) => {
    const flags: Record<string, unknown> = {
      harmful_eval: opts.prompts,
      harmless_eval: opts.harmless,
      system_prompt: opts.systemPrompt,
      max_response_tokens: opts.maxNewTokens,
      backend: opts.backend,
    };
    const s = commandSettings(opts.config, flags);
    const judges = {
      markers: new RefusalMarkers({ markers: s.refusal_markers }),
      categorizer: new RefusalCategorizer(),
    };
    await withNamedModel(modelArg, s, async (model) => {
      const [censored, harmless]: Prompt[][] = await Promise.all([
        loadPrompts(s.harmful_eval),
        loadPrompts(s.harmless_eval),
      ]);
      log(
        `${modelArg}: ${censored.length} censored prompts (${s.harmful_eval}), ${harmless.length} harmless (${s.harmless_eval})`,
      );
      const run = {
        maxNewTokens: s.max_response_tokens,
        batchSize: opts.batchSize,
        ablation: null,
      };
      const texts = [censored.map((p) => p.text), harmless.map((p) => p.text)];
      const { prefix, answers, control } = await withBackend(s.backend, (backend) =>
        withEngine(backend, model, async (engine) => {
          const { encoder, prefix } = await judgingEncoder(
            engine,
            model.tokenizer,
            s.system_prompt,
            texts,
            run,
            log,
          );
          const respond = (set: string, prompts: string[]) => {
            log(`responses to the ${set} prompts`);
            return greedyResponses(engine, model.tokenizer, encoder.encode(prompts), run);
          };
          const answers = await respond('censored', texts[0]);
          const control = await respond('harmless', texts[1]);
          return { prefix, answers, control };
        }),
      );
      const diagnosis = diagnose(
        judgeResponses(censored, answers.texts, judges),
        judgeResponses(harmless, control.texts, judges),
        { examples: opts.examples },
      );
      const header = {
        model: modelArg,
        prompts: s.harmful_eval,
        harmless: s.harmless_eval,
        response_prefix: prefix,
      };
      process.stdout.write(
        opts.json
          ? `${JSON.stringify({ ...header, ...diagnosis })}\n`
          : `censorship diagnosis of ${modelArg} (${diagnosis.total} prompts from ${s.harmful_eval})\n\n${formatDiagnosis(diagnosis)}\n`,
      );
    });
  });
