// `candor inspect MODEL --output DIR [--plan plan.json]`: residual analysis of harmful vs harmless
// prompts per layer (table on stdout; inspect.json, table.txt and SVG projections in DIR), with
// the plan's effect when given, and optionally on the dashboard with a layer slider.

import { Command, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { checkPlanFitsModel, readPlanFile } from '../../ablate/plan-io.js';
import { compileAblation, disposeAblation } from '../../ablate/runtime.js';
import { BACKEND_CHOICES, selectBackend } from '../../backend/select.js';
import { resolveSettings } from '../../config/settings.js';
import { Engine } from '../../engine/engine.js';
import type { AblationChoice } from '../../engine/types.js';
import {
  type InspectReport,
  inspectPanels,
  inspectResiduals,
  inspectTable,
  writeInspectFiles,
} from '../../inspect/inspect.js';
import { openModel } from '../../model/open.js';
import { resolveModelDir } from '../../run/model-source.js';
import { loadPromptList, PromptEncoder } from '../../run/prompts.js';
import { loadTokenizer } from '../../tokenize/tokenizer.js';
import { type DashboardState, startDashboard } from '../../ui/dashboard/server.js';

/** Residual rows held at once per set when --batch-size is left at 0 (automatic). */
const DEFAULT_CHUNK = 32;

function wholeNumber(flag: string, min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`${flag} ${value} must be a whole number ≥ ${min}`);
    }
    return n;
  };
}

/** The analysis as dashboard state: the SVG panels, per-state ones behind the layer slider. */
export function inspectDashboardState(title: string, report: InspectReport): DashboardState {
  return {
    title,
    objectives: [],
    trials: [],
    selected: null,
    separation: report.original.rows.map((r) => ({
      layer: r.state,
      cosine: r.cosine,
      norm: r.harmfulNorm,
      score: r.silhouette ?? 0,
    })),
    panels: inspectPanels(report).map((p) => ({
      title: p.title,
      svg: p.svg,
      ...(p.layer === null ? {} : { layer: p.layer }),
    })),
  };
}

export const command = new Command('inspect')
  .description("per-layer residual analysis of harmful vs harmless prompts, with a plan's effect")
  .argument('<model>', 'Hugging Face model id or local folder')
  .requiredOption('--output <dir>', 'folder for inspect.json, table.txt and the SVG plots')
  .option('--plan <file>', 'plan.json applied at run time: the analysis is repeated with it')
  .option('--harmful <spec>', 'harmful prompt set (default: the run setting harmful_prompts)')
  .option('--harmless <spec>', 'harmless prompt set (default: the run setting harmless_prompts)')
  .option('--system-prompt <text>', 'system prompt of every conversation')
  .option(
    '--samples <n>',
    'prompts per set kept for the scores and plots',
    wholeNumber('--samples', 2),
    64,
  )
  .addOption(new Option('--backend <name>', 'where the model runs').choices(BACKEND_CHOICES))
  .option(
    '--batch-size <n>',
    'prompts per forward batch (0: automatic)',
    wholeNumber('--batch-size', 0),
  )
  .option(
    '--dashboard-port <port>',
    'also show the plots on a local dashboard (until Ctrl-C)',
    wholeNumber('--dashboard-port', 0),
  )
  .option('--config <file>', 'settings file (default: ./candor.toml if present)')
  .option('--force', 'replace existing files in the output folder', false)
  .action(async (modelArg, opts) => {
    const flags: Record<string, unknown> = {
      harmful_prompts: opts.harmful,
      harmless_prompts: opts.harmless,
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
    let ablation: AblationChoice | undefined;
    let report: InspectReport;
    try {
      engine = await Engine.load(backend, model);
      if (opts.plan) {
        const { plan } = await readPlanFile(opts.plan);
        checkPlanFitsModel(plan, model.spec.numLayers, model.spec.hiddenSize, opts.plan);
        ablation = { ablation: await compileAblation(backend, engine.weights, [plan]) };
      }
      const encoder = new PromptEncoder(tokenizer, s.system_prompt, '');
      const [harmful, harmless] = await Promise.all([
        loadPromptList(s.harmful_prompts),
        loadPromptList(s.harmless_prompts),
      ]);
      log(
        `${harmful.length} harmful (${s.harmful_prompts}), ${harmless.length} harmless (${s.harmless_prompts}) prompts`,
      );
      report = await inspectResiduals(engine, encoder.encode(harmful), encoder.encode(harmless), {
        samples: opts.samples,
        batchSize: s.batch_size > 0 ? s.batch_size : DEFAULT_CHUNK,
        ...(ablation ? { ablation } : {}),
        onProgress: log,
      });
    } finally {
      if (ablation) disposeAblation(backend, ablation.ablation);
      engine?.dispose();
      await model.close();
      backend.destroy();
    }
    const files = await writeInspectFiles(
      opts.output,
      source.name,
      opts.plan ?? null,
      report,
      opts.force,
    );
    process.stdout.write(`${inspectTable(report)}\n`);
    log(
      `${files.length} files written to ${opts.output} (table.txt, inspect.json, separation.svg, pca-*.svg)`,
    );
    if (opts.dashboardPort !== undefined) {
      const dashboard = await startDashboard(
        inspectDashboardState(`inspect · ${source.name}`, report),
        opts.dashboardPort,
      );
      log(`dashboard: ${dashboard.url} (Ctrl-C to stop)`);
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
      await dashboard.close();
    }
  });
