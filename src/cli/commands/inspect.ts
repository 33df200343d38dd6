// `candor inspect MODEL --output DIR [--plan plan.json]`: residual analysis of harmful vs harmless
// prompts per layer (table on stdout; inspect.json, table.txt and SVG projections in DIR), with
// the plan's effect when given, and optionally on the dashboard with a layer slider.

import { Command } from '@commander-js/extra-typings';
import { withAblation } from '../../ablate/runtime.js';
import {
  type InspectReport,
  inspectPanels,
  inspectResiduals,
  inspectTable,
  writeInspectFiles,
} from '../../inspect/inspect.js';
import { type DashboardState, startDashboard } from '../../ui/dashboard/server.js';
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
  readPlanFor,
  residualBatchSize,
  systemPromptOption,
  withModelEngine,
} from '../model-options.js';
import { wholeNumber } from '../parse.js';

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
  .addOption(harmfulPromptsOption())
  .addOption(harmlessPromptsOption())
  .addOption(systemPromptOption())
  .option(
    '--samples <n>',
    'prompts per set kept for the scores and plots',
    wholeNumber('--samples', 2),
    64,
  )
  .addOption(backendOption())
  .addOption(batchSizeOption('prompts per forward batch (0: automatic)', 0))
  .option(
    '--dashboard-port <port>',
    'also show the plots on a local dashboard (until Ctrl-C)',
    wholeNumber('--dashboard-port', 0),
  )
  .addOption(configOption())
  .option('--force', 'replace existing files in the output folder', false)
  .action(async (modelArg, opts) => {
    const s = commandSettings(opts.config, directionFlags(opts));
    const report = await withModelEngine(modelArg, s, async ({ model, tokenizer }, engine) => {
      const plan = opts.plan ? await readPlanFor(opts.plan, model.spec) : null;
      const { harmful, harmless } = await directionPrompts(s, tokenizer);
      return withAblation(engine.backend, engine.weights, plan, (ablation) =>
        inspectResiduals(engine, harmful, harmless, {
          samples: opts.samples,
          batchSize: residualBatchSize(s),
          ...(ablation ? { ablation: { ablation } } : {}),
          onProgress: log,
        }),
      );
    });
    const files = await writeInspectFiles(
      opts.output,
      modelArg,
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
        inspectDashboardState(`inspect · ${modelArg}`, report),
        opts.dashboardPort,
      );
      log(`dashboard: ${dashboard.url} (Ctrl-C to stop)`);
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
      await dashboard.close();
    }
  });
