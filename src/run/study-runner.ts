// The search loop: ask the study for a batch of trials, turn their parameters into plans, apply
// them at run time in one engine batch, score them, tell the study. Every trial of a batch is in
// the store before the next batch starts, so an interrupted run resumes where it stopped.

import type { AblationPlan } from '../ablate/plan.js';
import { compileAblation, disposeAblation } from '../ablate/runtime.js';
import type { Backend } from '../backend/backend.js';
import type { Engine } from '../engine/engine.js';
import type { ObjectiveSession } from '../objectives/session.js';
import { lossVector, type Objective } from '../optimize/pareto.js';
import type { Params } from '../optimize/space.js';
import type { Study, Trial } from '../optimize/study.js';
import type { Progress, TrialReport } from '../ui/progress.js';
import type { TrialEvaluator } from './trial-evaluator.js';
import { planKernel } from './trial-plan.js';

/** Objectives of a refusal study (a profile without [[objectives]]), in the order trials report them. */
export const REFUSAL_OBJECTIVES = [
  { name: 'refusals', direction: 'minimize' as const },
  { name: 'kl', direction: 'minimize' as const },
];

/** Most trials a batch when trials_per_batch is auto (TPE proposes a batch's trials blind to each other). */
const AUTO_MOST_TRIALS = 8;

/**
 * The trials_per_batch setting on this backend. Auto: 1 on the CPU, which gains nothing from
 * wider batches; on a GPU as many trials as fit `maxRows` rows of `prompts` evaluation prompts
 * each (on an H100, 8B model, 100 prompts: 3.22, 2.94, 2.61 s a trial at 3, 4, 5 a batch).
 */
export function resolveTrialsPerBatch(
  setting: number | 'auto',
  backend: Backend['name'],
  prompts: number,
  maxRows: number,
): number {
  if (setting !== 'auto') return setting;
  if (backend === 'cpu') return 1;
  return Math.max(1, Math.min(AUTO_MOST_TRIALS, Math.floor(maxRows / Math.max(1, prompts))));
}

export interface StudyRunnerOptions {
  study: Study;
  engine: Engine;
  evaluator: TrialEvaluator;
  plan: (params: Params) => AblationPlan;
  progress: Progress;
  /** what each trial is scored on; default: refusals and KL straight from the evaluator */
  objectives?: ObjectiveSession;
  /** most new tokens of a response (for the early-exit savings report) */
  maxResponseTokens: number;
  /** trials wanted in the study in all (finished ones from earlier runs count) */
  totalTrials: number;
  /** trials evaluated together, each on its own copy of the prompts (default 1) */
  trialsPerBatch?: number;
  /** called after every finished trial (dashboard) */
  onTrial?: (trial: Trial) => void;
  /** set by Ctrl-C: the loop stops before asking for another batch */
  stopRequested: () => boolean;
}

function named(
  objectives: readonly Objective[],
  values: readonly number[],
): Record<string, number> {
  return Object.fromEntries(objectives.map((o, i) => [o.name, values[i]]));
}

/** The best trial so far: lexicographically smallest loss (optimised objectives in order). */
function bestOf(trials: readonly Trial[], objectives: readonly Objective[]): TrialReport | null {
  let best: { trial: Trial; loss: number[] } | null = null;
  for (const t of trials) {
    if (t.state !== 'complete' || !t.values) continue;
    const loss = lossVector(t.values, objectives);
    const i = best ? loss.findIndex((v, k) => v !== best!.loss[k]) : 0;
    if (!best || (i >= 0 && loss[i] < best.loss[i])) best = { trial: t, loss };
  }
  return best?.trial.values
    ? { number: best.trial.number, values: named(objectives, best.trial.values), seconds: 0 }
    : null;
}

/** Runs trials until the study holds `totalTrials` finished ones or a stop is requested. */
export async function runStudy(options: StudyRunnerOptions): Promise<void> {
  const { study, engine, evaluator, progress } = options;
  const objectives: Objective[] = options.objectives?.definitions ?? REFUSAL_OBJECTIVES;
  let trials = await study.trials();
  const finished = () =>
    trials.filter((t) => t.state === 'complete' || t.state === 'failed').length;
  const perBatch = options.trialsPerBatch ?? 1;
  if (!(Number.isInteger(perBatch) && perBatch >= 1)) {
    throw new Error(`trials per batch ${perBatch}: must be an integer ≥ 1 (--trials-per-batch)`);
  }
  let secondsPerTrial = Number.NaN;
  let timed = 0;
  let tokensSaved = 0;
  let tokensWorst = 0;
  while (finished() < options.totalTrials && !options.stopRequested()) {
    const batch = await study.askBatch(Math.min(perBatch, options.totalTrials - finished()));
    if (batch.length === 0) break;
    const started = performance.now();
    /** asked and not yet told: failed if anything throws */
    const open = new Set(batch.map((t) => t.number));
    let ablation = null;
    try {
      const plans = batch.map((t) => options.plan(t.params));
      ablation = await compileAblation(engine.backend, engine.weights, plans);
      const scores = await evaluator.scoreEach(ablation);
      const values: number[][] = [];
      for (const [k, s] of scores.entries()) {
        values.push(
          options.objectives
            ? await options.objectives.score({
                responses: s.responses,
                kl: s.klPerPrompt,
                ablation: { ablation, plan: k },
              })
            : [s.refusals, s.kl],
        );
      }
      const seconds = (performance.now() - started) / 1000 / batch.length;
      for (const [k, trial] of batch.entries()) {
        const s = scores[k];
        tokensSaved += s.tokensSaved;
        tokensWorst += options.maxResponseTokens * s.responses.length;
        const done = await study.tell(trial.number, values[k], {
          userAttrs: {
            seconds,
            refusals: s.refusals,
            kl: s.kl,
            tokens_saved: s.tokensSaved,
            sample_responses: s.responses.slice(0, 3).map((r) => r.text),
            // per-layer weights, so the dashboard can draw the kernel from the store alone
            kernel: planKernel(plans[k]),
          },
        });
        open.delete(trial.number);
        timed++;
        secondsPerTrial = Number.isNaN(secondsPerTrial)
          ? seconds
          : secondsPerTrial + (seconds - secondsPerTrial) / timed;
        trials = await study.trials();
        progress.trial(
          { number: trial.number, values: named(objectives, values[k]), seconds },
          finished(),
          options.totalTrials,
          bestOf(trials, objectives),
          secondsPerTrial,
        );
        options.onTrial?.(done);
      }
      // The CPU backend computes without ever waiting on I/O, so signals (Ctrl-C) and the
      // dashboard's requests are only served if the loop hands the event loop a turn.
      await new Promise((resolve) => setImmediate(resolve));
    } catch (err) {
      for (const number of open) {
        await study.tell(number, 'failed', { reason: (err as Error).message });
      }
      throw err;
    } finally {
      if (ablation) disposeAblation(engine.backend, ablation);
    }
  }
  if (tokensSaved > 0) {
    progress.info(
      // an upper bound: a stopped response might have ended (EOS) before the limit anyway
      `early exit stopped responses ${tokensSaved} tokens short of the limit in these trials (at most ${((100 * tokensSaved) / tokensWorst).toFixed(0)} % of ${tokensWorst} response tokens saved)`,
    );
  }
}
