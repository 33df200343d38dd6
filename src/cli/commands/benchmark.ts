// `candor benchmark MODEL [--plan plan.json | --baseline ORIGINAL] --task NAME...`: capability
// benchmarks scored as lm-evaluation-harness scores them, for the original and the edited model
// (a plan applied at run time to the one loaded model, or a second model), with standard errors.

import { Command, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { checkPlanFitsModel, readPlanFile } from '../../ablate/plan-io.js';
import { compileAblation, disposeAblation } from '../../ablate/runtime.js';
import type { Backend } from '../../backend/backend.js';
import { BACKEND_CHOICES, selectBackend } from '../../backend/select.js';
import {
  formatResultsTable,
  type MetricRow,
  metricRows,
  resultsJson,
  resultsSvg,
} from '../../benchmark/report.js';
import { type ItemScores, type PreparedTask, prepareTask, scoreTask } from '../../benchmark/run.js';
import { loadTask, type TaskDefinition } from '../../benchmark/task.js';
import { resolveSettings } from '../../config/settings.js';
import { Engine } from '../../engine/engine.js';
import type { AblationChoice } from '../../engine/types.js';
import { openModel } from '../../model/open.js';
import { resolveModelDir } from '../../run/model-source.js';
import { loadTokenizer } from '../../tokenize/tokenizer.js';
import { startDashboard } from '../../ui/dashboard/server.js';

function wholeNumber(flag: string, min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`${flag} ${value} must be a whole number ≥ ${min}`);
    }
    return n;
  };
}

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** Scores every task on one model: without edit, and with `plan` when given. */
async function scoreModel(
  backend: Backend,
  modelArg: string,
  settings: { token: string | null; revision: string },
  defs: readonly TaskDefinition[],
  prepare: { limit: number | null; shots: number | null; seed: number },
  planPath: string | null,
  batchSize: number | undefined,
): Promise<{ tasks: PreparedTask[]; original: ItemScores[]; edited: ItemScores[] | null }> {
  const source = await resolveModelDir(modelArg, settings);
  const model = await openModel(source.dir);
  const tokenizer = await loadTokenizer(source.dir);
  let engine: Engine | null = null;
  let ablation: AblationChoice | undefined;
  try {
    const tasks: PreparedTask[] = [];
    for (const def of defs) {
      tasks.push(await prepareTask(def, tokenizer, model.spec.eosTokenIds, prepare));
    }
    engine = await Engine.load(backend, model);
    if (planPath) {
      const { plan } = await readPlanFile(planPath);
      checkPlanFitsModel(plan, model.spec.numLayers, model.spec.hiddenSize, planPath);
      ablation = { ablation: await compileAblation(backend, engine.weights, [plan]) };
    }
    const run = async (variant: string, choice: AblationChoice | undefined) => {
      const out: ItemScores[] = [];
      for (const task of tasks) {
        log(`${task.def.name}: ${task.items.length} items, ${variant}`);
        out.push(
          await scoreTask(engine as Engine, tokenizer, task, {
            ...(choice ? { ablation: choice } : {}),
            ...(batchSize ? { batchSize } : {}),
            onProgress: (done, total) => log(`${task.def.name} ${variant}: ${done}/${total}`),
          }),
        );
      }
      return out;
    };
    const original = await run(`${modelArg}`, undefined);
    const edited = ablation ? await run(`${modelArg} + ${planPath}`, ablation) : null;
    return { tasks, original, edited };
  } finally {
    if (ablation) disposeAblation(backend, ablation.ablation);
    engine?.dispose();
    await model.close();
  }
}

export const command = new Command('benchmark')
  .description(
    'capability benchmarks (multiple choice by log-likelihood, generation by exact match) of the original and the edited model',
  )
  .argument('<model>', 'Hugging Face model id or local folder (with --baseline: the edited model)')
  .requiredOption(
    '--task <name...>',
    'tasks: shipped names (mmlu, arc_easy, arc_challenge, hellaswag, winogrande, piqa, gsm8k), .json definitions or .jsonl of question/choices/answer',
  )
  .option('--plan <file>', 'plan.json applied to MODEL at run time: the edited model')
  .option('--baseline <model>', 'the original model; MODEL is then the edited one')
  .option(
    '--shots <n>',
    "few-shot examples per item (default: the task's)",
    wholeNumber('--shots', 0),
  )
  .option('--limit <n>', 'score the first n items of each task only', wholeNumber('--limit', 1))
  .option('--seed <n>', 'seed of the few-shot draw', wholeNumber('--seed', 0), 1234)
  .addOption(new Option('--backend <name>', 'where the models run').choices(BACKEND_CHOICES))
  .option(
    '--batch-size <n>',
    'sequences run at once (default: chosen from memory)',
    wholeNumber('--batch-size', 1),
  )
  .option('--json', 'print the results as one JSON object', false)
  .option(
    '--dashboard-port <port>',
    'also show the results on a local dashboard (until Ctrl-C)',
    wholeNumber('--dashboard-port', 0),
  )
  .option('--config <file>', 'settings file (default: ./candor.toml if present)')
  .action(async (modelArg, opts) => {
    if (opts.plan && opts.baseline) {
      throw new Error('benchmark: give --plan or --baseline, not both');
    }
    const flags: Record<string, unknown> = { backend: opts.backend };
    const s = resolveSettings({ configPath: opts.config ?? null, env: process.env, flags });
    const defs = await Promise.all(opts.task.map(loadTask));
    const prepare = { limit: opts.limit ?? null, shots: opts.shots ?? null, seed: opts.seed };
    const backend = await selectBackend(s.backend, log);
    let rows: MetricRow[] = [];
    try {
      const first = await scoreModel(
        backend,
        opts.baseline ?? modelArg,
        s,
        defs,
        prepare,
        opts.plan ?? null,
        opts.batchSize,
      );
      const edited = opts.baseline
        ? (await scoreModel(backend, modelArg, s, defs, prepare, null, opts.batchSize)).original
        : first.edited;
      rows = first.tasks.flatMap((task, i) =>
        metricRows(task.def.name, first.original[i], edited ? edited[i] : null),
      );
    } finally {
      backend.destroy();
    }
    const original = opts.baseline ?? modelArg;
    const editedName = opts.baseline ? modelArg : (opts.plan ?? null);
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(resultsJson(original, editedName, rows))}\n`);
    } else {
      process.stdout.write(
        `original: ${original}\nedited:   ${editedName ?? '-'}\n${formatResultsTable(rows)}\n`,
      );
    }
    if (opts.dashboardPort !== undefined) {
      const dashboard = await startDashboard(
        {
          title: `benchmark · ${original}`,
          objectives: [],
          trials: [],
          selected: null,
          separation: [],
          panels: [{ title: 'Capability benchmarks (± standard error)', svg: resultsSvg(rows) }],
        },
        opts.dashboardPort,
      );
      log(`dashboard: ${dashboard.url} (Ctrl-C to stop)`);
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
      await dashboard.close();
    }
  });
