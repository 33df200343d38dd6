// After the search: pick a trial of the Pareto front (menu, or --select), then save it as a
// model folder or LoRA adapter, upload it, chat with it, or evaluate it on other prompts —
// as often as the user likes. Unattended (--yes or no terminal) it selects and saves once.

import { isCancel, select, text } from '@clack/prompts';
import type { AblationPlan, PlanMetrics } from '../ablate/plan.js';
import { planToJson } from '../ablate/plan-io.js';
import { compileAblation, disposeAblation } from '../ablate/runtime.js';
import type { RunSettings } from '../config/settings.js';
import type { Engine } from '../engine/engine.js';
import { exportHfFolder } from '../export/hf-folder.js';
import { exportLoraAdapter } from '../export/lora-adapter.js';
import { writeFileSafely } from '../export/output-folder.js';
import { uploadFolder } from '../export/upload.js';
import type { Objective } from '../optimize/pareto.js';
import type { Trial } from '../optimize/study.js';
import type { ChatTokenizer } from '../tokenize/tokenizer.js';
import { chatLoop } from '../ui/chat.js';
import type { AutoRunIO } from './auto-run.js';
import type { ModelSource } from './model-source.js';
import { loadPromptList, type PromptEncoder } from './prompts.js';
import { type ReproductionInputs, writeReproduction } from './reproduce.js';
import type { TrialEvaluator, TrialScores } from './trial-evaluator.js';

export interface PostRunContext {
  settings: RunSettings;
  modelArg: string;
  source: ModelSource;
  engine: Engine;
  tokenizer: ChatTokenizer;
  encoder: PromptEncoder;
  evaluator: TrialEvaluator;
  /** scores of the unedited model */
  original: TrialScores;
  plan: (params: Trial['params']) => AblationPlan;
  trials: Trial[];
  /** Pareto front, best first (see select.ts) */
  front: Trial[];
  /** the study's objectives in value order; default refusals, kl */
  objectives?: Objective[];
  output: string;
  io: AutoRunIO;
  harmfulEvalCount: number;
  harmlessEvalCount: number;
  pick: (choice: string) => Trial;
  /** profile, prompt sets and directions, for reproduce.json (written when present) */
  reproduction?: ReproductionInputs;
}

const DEFAULT_OBJECTIVES: Objective[] = [
  { name: 'refusals', direction: 'minimize' },
  { name: 'kl', direction: 'minimize' },
];

function describe(t: Trial, ctx: PostRunContext): string {
  const objectives = ctx.objectives ?? DEFAULT_OBJECTIVES;
  const parts = objectives.map((o, i) => {
    const v = t.values?.[i] ?? Number.NaN;
    if (o.name === 'refusals') return `${v}/${ctx.harmfulEvalCount} refusals`;
    if (o.name === 'kl') return `KL ${v.toFixed(4)}`;
    return `${o.name} ${Number.isInteger(v) ? v : v.toFixed(4)}`;
  });
  return `trial ${t.number}: ${parts.join(', ')}`;
}

/** Refusals and KL of a trial: its objective values, or what the runner recorded beside them. */
function metricsOf(t: Trial, ctx: PostRunContext): PlanMetrics {
  const objectives = ctx.objectives ?? DEFAULT_OBJECTIVES;
  const value = (name: string): number => {
    const i = objectives.findIndex((o) => o.name === name);
    const v = i >= 0 ? t.values?.[i] : t.userAttrs[name];
    return typeof v === 'number' ? v : Number.NaN;
  };
  return {
    refusals: value('refusals'),
    harmfulPrompts: ctx.harmfulEvalCount,
    kl: value('kl'),
    harmlessPrompts: ctx.harmlessEvalCount,
  };
}

async function save(t: Trial, ctx: PostRunContext, output: string): Promise<void> {
  const s = ctx.settings;
  const plan = ctx.plan(t.params);
  const common = {
    modelDir: ctx.source.dir,
    plan,
    output,
    force: s.force,
    sourceModel: ctx.source.name,
    sourceOnHub: ctx.source.onHub,
    metrics: metricsOf(t, ctx),
    provenance: {
      candor: '0.1.0',
      trial: t.number,
      params: t.params,
      model_commit: ctx.source.commit,
      settings: { ...s, token: undefined },
    },
    log: (line: string) => ctx.io.progress.info(line),
  };
  if (s.save_format === 'lora') {
    const report = await exportLoraAdapter({ ...common, rank: s.lora_rank, seed: s.seed ?? 0 });
    const worst = Math.max(0, ...report.errors.map((e) => e.relativeError));
    ctx.io.progress.info(
      `LoRA adapter (rank ${report.rank}, worst relative error ${worst.toExponential(2)}) in ${output}`,
    );
  } else {
    await exportHfFolder(common);
    ctx.io.progress.info(`model saved in ${output}`);
  }
  if (ctx.reproduction) {
    await writeReproduction({
      output,
      settings: s,
      source: ctx.source,
      trial: { number: t.number, params: t.params, values: t.values ?? null },
      backend: { name: ctx.engine.backend.name, description: ctx.engine.backend.description },
      inputs: ctx.reproduction,
    });
  }
  await writeFileSafely(
    `${output}.plan.json`,
    `${JSON.stringify(planToJson(plan), null, 1)}\n`,
    true,
  );
  process.stdout.write(`${output}\n`);
}

async function withPlan<T>(
  t: Trial,
  ctx: PostRunContext,
  use: (a: Awaited<ReturnType<typeof compileAblation>>) => Promise<T>,
): Promise<T> {
  const ablation = await compileAblation(ctx.engine.backend, ctx.engine.weights, [
    ctx.plan(t.params),
  ]);
  try {
    return await use(ablation);
  } finally {
    disposeAblation(ctx.engine.backend, ablation);
  }
}

export async function postRunActions(ctx: PostRunContext): Promise<number> {
  const s = ctx.settings;
  const { progress } = ctx.io;
  if (ctx.front.length === 0) throw new Error('the search finished no trial; nothing to save');
  progress.info(`original model: ${ctx.original.refusals}/${ctx.harmfulEvalCount} refusals`);
  for (const t of ctx.front) progress.info(`  ${describe(t, ctx)}`);

  if (!ctx.io.interactive || s.yes || s.select !== null) {
    const chosen = ctx.pick(s.select ?? 'best');
    progress.info(`selected ${describe(chosen, ctx)}`);
    await save(chosen, ctx, ctx.output);
    if (s.upload)
      await uploadFolder(ctx.output, s.upload, {
        token: s.token ?? undefined,
        log: (l) => progress.info(l),
      });
    return 0;
  }

  const io = { output: process.stderr };
  for (;;) {
    const picked = await select<number | 'quit'>({
      ...io,
      message: 'Which trial? (Pareto front, best first)',
      options: [
        ...ctx.front.map((t) => ({ value: t.number, label: describe(t, ctx) })),
        { value: 'quit' as const, label: 'quit' },
      ],
    });
    if (isCancel(picked) || picked === 'quit') return 0;
    const trial = ctx.pick(String(picked));
    for (;;) {
      const action = await select<string>({
        ...io,
        message: `${describe(trial, ctx)}: what now?`,
        options: [
          {
            value: 'save',
            label: `save as ${s.save_format === 'lora' ? 'LoRA adapter' : 'model'}`,
          },
          { value: 'upload', label: 'save and upload to the Hugging Face Hub' },
          { value: 'chat', label: 'chat with it' },
          { value: 'evaluate', label: 'evaluate on other prompts' },
          { value: 'back', label: 'pick another trial' },
        ],
      });
      if (isCancel(action) || action === 'back') break;
      if (action === 'save' || action === 'upload') {
        const output = await text({ ...io, message: 'Folder', initialValue: ctx.output });
        if (isCancel(output)) continue;
        await save(trial, ctx, output);
        if (action === 'upload') {
          const repo = await text({
            ...io,
            message: 'Hub repo id (org/name)',
            initialValue: s.upload ?? '',
          });
          if (!isCancel(repo))
            await uploadFolder(output, repo, {
              token: s.token ?? undefined,
              log: (l) => progress.info(l),
            });
        }
      } else if (action === 'chat') {
        await withPlan(trial, ctx, (ablation) =>
          chatLoop({
            engine: ctx.engine,
            tokenizer: ctx.tokenizer,
            systemPrompt: s.system_prompt,
            ablation,
          }),
        );
      } else if (action === 'evaluate') {
        const spec = await text({
          ...io,
          message: 'Prompt set (file, bundled name or Hub dataset spec)',
        });
        if (isCancel(spec)) continue;
        const prompts = ctx.encoder.encode(await loadPromptList(spec));
        const scores = await withPlan(trial, ctx, (ablation) =>
          ctx.evaluator.withPrompts({ harmful: prompts }).score(ablation),
        );
        progress.info(`${scores.refusals}/${prompts.length} refusals on ${spec}`);
        for (const r of scores.responses.slice(0, 5))
          progress.info(`  ${r.refusal ? '✗' : '✓'} ${r.text.slice(0, 100).replaceAll('\n', ' ')}`);
      }
    }
  }
}
