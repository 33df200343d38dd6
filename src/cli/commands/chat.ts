// `candor chat MODEL [--plan plan.json]`: talk to a model (optionally with an ablation plan
// applied at run time) in the terminal, greedy or sampled, with streamed replies.

import { Command, Option } from '@commander-js/extra-typings';
import { compileAblation } from '../../ablate/runtime.js';
import { BACKEND_CHOICES, selectBackend } from '../../backend/select.js';
import { Engine } from '../../engine/engine.js';
import { chatLoop } from '../../ui/chat.js';
import { openNamedModel, readPlanFor } from '../model-options.js';
import { numberIn } from '../parse.js';

export const command = new Command('chat')
  .description(
    'chat with MODEL in the terminal (with --plan: the edited model, applied at run time)',
  )
  .argument('<model>', 'Hugging Face model id or local folder')
  .option('--plan <file>', 'ablation plan (plan.json) to apply')
  .option('--system-prompt <text>', 'system prompt', 'You are a helpful assistant.')
  .option('--temperature <t>', '0 is greedy', numberIn('--temperature', 0, 10), 0)
  .option(
    '--top-p <p>',
    'nucleus sampling: keep the smallest set of tokens with this much probability',
    numberIn('--top-p', 0.01, 1),
    1,
  )
  .option('--seed <n>', 'seed of the sampling', numberIn('--seed', 0, 2 ** 31), 0)
  .option(
    '--max-new-tokens <n>',
    'most tokens per reply',
    numberIn('--max-new-tokens', 1, 1e6),
    512,
  )
  .option('--token <token>', 'Hugging Face token for gated models (else HF_TOKEN)')
  .addOption(
    new Option('--backend <name>', 'where the model runs')
      .choices(BACKEND_CHOICES)
      .default('auto' as const),
  )
  .action(async (modelArg, opts) => {
    const { model, tokenizer } = await openNamedModel(modelArg, {
      token: opts.token ?? null,
      revision: 'main',
    });
    const plan = opts.plan ? await readPlanFor(opts.plan, model.spec) : null;
    const backend = await selectBackend(opts.backend);
    const engine = await Engine.load(backend, model);
    await model.close();
    const ablation = plan ? await compileAblation(backend, engine.weights, [plan]) : null;
    await chatLoop({
      engine,
      tokenizer,
      systemPrompt: opts.systemPrompt === '' ? null : opts.systemPrompt,
      ablation,
      maxNewTokens: opts.maxNewTokens,
      sampling:
        opts.temperature > 0
          ? { temperature: opts.temperature, topP: opts.topP, seed: opts.seed }
          : null,
    });
    backend.destroy();
  });
