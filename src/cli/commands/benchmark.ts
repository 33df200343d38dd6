// `candor benchmark MODEL [--plan plan.json | --baseline ORIGINAL] --task NAME...`: capability
// benchmarks scored as lm-evaluation-harness scores them, for the original and the edited model
// (a plan applied at run time to the one loaded model, or a second model), with standard errors.

import { Command } from '@commander-js/extra-typings';
import { withAblation } from '../../ablate/runtime.js';
import type { Backend } from '../../backend/backend.js';
import {
  formatResultsTable,
  type MetricRow,
  metricRows,
  resultsJson,
  resultsSvg,
} from '../../benchmark/report.js';
import { type ItemScores, type PreparedTask, prepareTask, scoreTask } from '../../benchmark/run.js';
import { loadTask, type TaskDefinition } from '../../benchmark/task.js';
import type { AblationChoice } from '../../engine/types.js';
import { startDashboard } from '../../ui/dashboard/server.js';
import {
  backendOption,
  batchSizeOption,
  commandSettings,
  configOption,
  log,
  readPlanFor,
  withBackend,
  withEngine,
  withNamedModel,
} from '../model-options.js';
import { wholeNumber } from '../parse.js';

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
  return withNamedModel(modelArg, settings, async (opened) => {
    const { model, tokenizer } = opened;
    const tasks: PreparedTask[] = [];
    for (const def of defs) {
      tasks.push(await prepareTask(def, tokenizer, model.spec.eosTokenIds, prepare));
    }
    return withEngine(backend, opened, async (engine) => {
      const plan = planPath ? await readPlanFor(planPath, model.spec) : null;
      const run = async (variant: string, choice: AblationChoice | undefined) => {
        const out: ItemScores[] = [];
        for (const task of tasks) {
          log(`${task.def.name}: ${task.items.length} items, ${variant}`);
          out.push(
            await scoreTask(engine, tokenizer, task, {
              ...(choice ? { ablation: choice } : {}),
              ...(batchSize ? { batchSize } : {}),
              onProgress: (done, total) => log(`${task.def.name} ${variant}: ${done}/${total}`),
            }),
          );
        }
        return out;
      };
      return withAblation(backend, engine.weights, plan, async (ablation) => {
        const original = await run(`${modelArg}`, undefined);
        const edited = ablation ? await run(`${modelArg} + ${planPath}`, { ablation }) : null;
        return { tasks, original, edited };
      });
    });
  });
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
  .addOption(backendOption('where the models run'))
  .addOption(batchSizeOption('sequences run at once (default: chosen from memory)'))
  .option('--json', 'print the results as one JSON object', false)
  .option(
    '--dashboard-port <port>',
    'also show the results on a local dashboard (until Ctrl-C)',
    wholeNumber('--dashboard-port', 0),
  )
  .addOption(configOption())
  .action(async (modelArg, opts) => {
    if (opts.plan && opts.baseline) {
      throw new Error('benchmark: give --plan or --baseline, not both');
    }
    const flags: Record<string, unknown> = { backend: opts.backend };
    const s = commandSettings(opts.config, flags);
    const defs = await Promise.all(opts.task.map(loadTask));
    const prepare = { limit: opts.limit ?? null, shots: opts.shots ?? null, seed: opts.seed };
    const rows: MetricRow[] = await withBackend(s.backend, async (backend) => {
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
      return first.tasks.flatMap((task, i) =>
        metricRows(task.def.name, first.original[i], edited ? edited[i] : null),
      );
    });
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
