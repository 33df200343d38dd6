// `candor evaluate MODEL [--baseline ORIGINAL] [--plan plan.json]`: refusals (markers and
// categories) on harmful prompts, KL to the baseline on harmless prompts, and removal rate,
// coherence and informativeness against it; how two published models are compared.

import { Command } from '@commander-js/extra-typings';
import type { AblationPlan } from '../../ablate/plan.js';
import { checkPlanFitsModel, readPlanFile } from '../../ablate/plan-io.js';
import { withAblation } from '../../ablate/runtime.js';
import { loadPrompts, type Prompt, parsePromptSetSpec } from '../../data/prompts.js';
import type { Engine } from '../../engine/engine.js';
import { RefusalCategorizer } from '../../judge/categories.js';
import { type BaselineKind, evaluationReport, formatEvaluation } from '../../judge/evaluate.js';
import {
  ablationChoice,
  greedyResponses,
  judgingEncoder,
  type Responses,
} from '../../judge/judged-model.js';
import { klDivergenceRows } from '../../judge/kl.js';
import { RefusalMarkers } from '../../judge/markers.js';
import { judgeResponses } from '../../judge/verdicts.js';
import { checkSameVocabulary } from '../../judge/vocabulary.js';
import { ObjectiveSession } from '../../objectives/session.js';
import { resolveProfiledSettings } from '../../profile/profile.js';
import {
  backendOption,
  batchSizeOption,
  configOption,
  log,
  maxNewTokensOption,
  type OpenedModel,
  openNamedModel,
  systemPromptOption,
  withBackend,
  withEngine,
} from '../model-options.js';

/** What the baseline contributes, on its own engine or on the model's without the plan. */
interface BaselinePass {
  responses: Responses;
  /** first-token log-probabilities on the harmless prompts */
  firstToken: Float32Array[];
  /** log-probabilities of the evaluated model's response tokens */
  responseLogProbs: Float32Array[];
}

async function baselinePass(
  engine: Engine,
  tokenizer: OpenedModel['tokenizer'],
  harmful: number[][],
  harmless: number[][],
  evaluated: Responses,
  opts: { maxNewTokens: number; batchSize?: number },
): Promise<BaselinePass> {
  const { batchSize } = opts;
  return {
    responses: await greedyResponses(engine, tokenizer, harmful, { ...opts, ablation: null }),
    firstToken: await engine.nextTokenLogProbs(harmless, { batchSize }),
    responseLogProbs: await engine.continuationLogProbs(harmful, evaluated.ids, { batchSize }),
  };
}

interface EvaluatedPass {
  responsePrefix: string;
  harmfulIds: number[][];
  harmlessIds: number[][];
  responses: Responses;
  /** first-token log-probabilities on the harmless prompts; null when there is no baseline */
  firstToken: Float32Array[] | null;
  /** the baseline's pass when it is this model without the plan */
  withoutPlan: BaselinePass | null;
}

/** Everything the evaluated model (with its plan, if any) contributes, on one engine. */
async function evaluatedPass(
  engine: Engine,
  model: OpenedModel,
  plan: AblationPlan | null,
  prompts: { harmful: string[]; harmless: string[] },
  settings: { systemPrompt: string; baseline: BaselineKind },
  run: { maxNewTokens: number; batchSize?: number },
  log: (line: string) => void,
): Promise<EvaluatedPass> {
  return withAblation(engine.backend, engine.weights, plan, async (ablation) => {
    const { encoder, prefix } = await judgingEncoder(
      engine,
      model.tokenizer,
      settings.systemPrompt,
      [prompts.harmful, prompts.harmless],
      { batchSize: run.batchSize, ablation },
      log,
    );
    const harmfulIds = encoder.encode(prompts.harmful);
    const harmlessIds = encoder.encode(prompts.harmless);
    log(`responses of ${model.name}${plan ? ' with the plan' : ''}`);
    const responses = await greedyResponses(engine, model.tokenizer, harmfulIds, {
      ...run,
      ablation,
    });
    const firstToken =
      settings.baseline === 'none'
        ? null
        : await engine.nextTokenLogProbs(harmlessIds, {
            batchSize: run.batchSize,
            ablation: ablationChoice(ablation),
          });
    let withoutPlan: BaselinePass | null = null;
    if (settings.baseline === 'plan') {
      log(`baseline: ${model.name} without the plan`);
      withoutPlan = await baselinePass(
        engine,
        model.tokenizer,
        harmfulIds,
        harmlessIds,
        responses,
        run,
      );
    }
    return { responsePrefix: prefix, harmfulIds, harmlessIds, responses, firstToken, withoutPlan };
  });
}

export const command = new Command('evaluate')
  .description(
    'refusals, KL divergence and quality metrics of MODEL against a baseline (another model, or MODEL without --plan)',
  )
  .argument('<model>', 'Hugging Face model id or local folder')
  .option(
    '--baseline <model>',
    'the original model to compare with (must share the vocabulary); default: MODEL without --plan',
  )
  .option('--plan <file>', 'plan.json applied to MODEL at run time')
  .option(
    '--harmful <spec>',
    'prompts on which refusals are counted (default: censored-topics:eval)',
  )
  .option(
    '--harmless <spec>',
    'prompts on which KL divergence is measured (default: harmless:eval)',
  )
  .addOption(systemPromptOption('system prompt of every conversation (default: the run setting)'))
  .addOption(maxNewTokensOption())
  .addOption(backendOption('where the models run'))
  .addOption(batchSizeOption())
  .option(
    '--profile <name>',
    'behaviour profile (built-in name or .toml file): its judge, evaluation sets and objectives (default: the run setting)',
  )
  .addOption(configOption())
  .option('--json', 'print the report as one JSON object, responses included', false)
  .action(async (modelArg, opts) => {
    // the run's settings give the defaults, so evaluate judges as the run did
    const flags: Record<string, unknown> = {
      harmful_eval: opts.harmful,
      harmless_eval: opts.harmless,
      system_prompt: opts.systemPrompt,
      max_response_tokens: opts.maxNewTokens,
      backend: opts.backend,
      profile: opts.profile,
    };
    const { settings: s, profile } = resolveProfiledSettings({
      configPath: opts.config ?? null,
      env: process.env,
      flags,
    });
    // a profile's objectives load before any model: unknown names and bad modules fail at once
    const objectives = profile.objectives ? await ObjectiveSession.load(profile.objectives) : null;
    const plan: AblationPlan | null = opts.plan ? (await readPlanFile(opts.plan)).plan : null;
    const judges = {
      markers: new RefusalMarkers({ markers: s.refusal_markers }),
      categorizer: new RefusalCategorizer(),
    };
    const run = { maxNewTokens: s.max_response_tokens, batchSize: opts.batchSize };

    const opened: OpenedModel[] = [];
    try {
      const model = await openNamedModel(modelArg, s);
      opened.push(model);
      const reference = opts.baseline ? await openNamedModel(opts.baseline, s) : null;
      if (reference) {
        opened.push(reference);
        checkSameVocabulary(
          { name: modelArg, vocabSize: model.model.spec.vocabSize, tokenizer: model.tokenizer },
          {
            name: reference.name,
            vocabSize: reference.model.spec.vocabSize,
            tokenizer: reference.tokenizer,
          },
        );
      }
      const spec = model.model.spec;
      if (plan && opts.plan) checkPlanFitsModel(plan, spec.numLayers, spec.hiddenSize, opts.plan);
      const [harmful, harmless]: Prompt[][] = await Promise.all([
        loadPrompts({ ...parsePromptSetSpec(s.harmful_eval), ...profile.affixes.harmful_eval }),
        loadPrompts({ ...parsePromptSetSpec(s.harmless_eval), ...profile.affixes.harmless_eval }),
      ]);
      const baselineKind: BaselineKind = reference ? 'model' : plan ? 'plan' : 'none';
      log(
        `${modelArg}${opts.plan ? ` + ${opts.plan}` : ''}: ${harmful.length} harmful prompts (${s.harmful_eval}), ${harmless.length} harmless (${s.harmless_eval})`,
      );

      await withBackend(s.backend, async (backend) => {
        const texts = {
          harmful: harmful.map((p) => p.text),
          harmless: harmless.map((p) => p.text),
        };
        const evaluated = await withEngine(backend, model, (engine) =>
          evaluatedPass(
            engine,
            model,
            plan,
            texts,
            { systemPrompt: s.system_prompt, baseline: baselineKind },
            run,
            log,
          ),
        );
        let base = evaluated.withoutPlan;
        if (reference) {
          log(`baseline: ${reference.name}`);
          base = await withEngine(backend, reference, (engine) =>
            baselinePass(
              engine,
              reference.tokenizer,
              evaluated.harmfulIds,
              evaluated.harmlessIds,
              evaluated.responses,
              run,
            ),
          );
        }

        // the profile's objectives, scored on the evaluated model (loaded again: the passes
        // above closed it) with the responses and per-prompt KL measured above
        let objectiveValues: Record<string, number> | undefined;
        if (objectives) {
          const firstToken = base && evaluated.firstToken;
          const kl = harmless.map((_, i) =>
            firstToken && base
              ? klDivergenceRows(base.firstToken[i], firstToken[i], base.firstToken[i].length)[0]
              : 0,
          );
          const decode = (ids: readonly number[]) =>
            model.tokenizer.decode([...ids], { skipSpecialTokens: true });
          objectiveValues = await withEngine(backend, model, (engine) =>
            withAblation(backend, engine.weights, plan, async (ablation) => {
              await objectives.init({
                prompts: { behaviour: harmful, baseline: harmless },
                encoded: { behaviour: evaluated.harmfulIds, baseline: evaluated.harmlessIds },
                engine,
                decode,
                markers: judges.markers,
              });
              const values = await objectives.score({
                responses: evaluated.responses.texts.map((text, i) => ({
                  text,
                  ids: evaluated.responses.ids[i],
                  refusal: judges.markers.isRefusal(text),
                })),
                kl,
                ablation: ablationChoice(ablation),
              });
              return objectives.named(values);
            }),
          );
        }

        const report = evaluationReport({
          model: modelArg,
          plan: opts.plan ?? null,
          baseline: { kind: baselineKind, model: reference?.name ?? null },
          harmful: s.harmful_eval,
          harmless: s.harmless_eval,
          responsePrefix: evaluated.responsePrefix,
          items: judgeResponses(harmful, evaluated.responses.texts, judges),
          baselineItems: base ? judgeResponses(harmful, base.responses.texts, judges) : null,
          firstToken:
            base && evaluated.firstToken
              ? { baseline: base.firstToken, evaluated: evaluated.firstToken }
              : null,
          responseLogProbs: base?.responseLogProbs ?? null,
          ...(objectiveValues ? { objectives: objectiveValues } : {}),
        });
        process.stdout.write(
          opts.json ? `${JSON.stringify(report)}\n` : `${formatEvaluation(report)}\n`,
        );
      });
    } finally {
      for (const o of opened) await o.model.close();
    }
  });
