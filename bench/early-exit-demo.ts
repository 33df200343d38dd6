// What early exit (src/judge/early-exit.ts) saves per trial on the bundled demo model, whose
// refusals are real, on the CPU backend: the original model and four ablation plans from weak to
// strong, each scored with early exit on and off. Prompts, response prefix, batch size,
// directions and judge come from src/run/auto-run.ts with `npx candor`'s demo settings.
//   npx tsx bench/early-exit-demo.ts [--runs 3] [--record]

import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import type { AblationPlan } from '../src/ablate/plan.js';
import { compileAblation, disposeAblation } from '../src/ablate/runtime.js';
import { selectBackend } from '../src/backend/select.js';
import { DEMO_DEFAULTS, DEMO_MODEL } from '../src/cli/commands/run.js';
import { Engine } from '../src/engine/engine.js';
import { openModel } from '../src/model/open.js';
import { resolveProfiledSettings } from '../src/profile/profile.js';
import { measureRunDirections, prepareJudging, runEvaluator } from '../src/run/auto-run.js';
import type { TrialEvaluator, TrialScores } from '../src/run/trial-evaluator.js';
import { trialPlan } from '../src/run/trial-plan.js';
import { loadTokenizer } from '../src/tokenize/tokenizer.js';
import { Progress } from '../src/ui/progress.js';
import { textTable } from '../src/util/table.js';
import { type BenchRow, RUN_DATE, recordResults } from './results.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, record: { type: 'boolean', default: false } },
});
const RUNS = Number(values.runs);
if (!(Number.isInteger(RUNS) && RUNS >= 1))
  throw new Error(`--runs ${values.runs}: want an integer ≥ 1`);
const COMMAND = 'npx tsx bench/early-exit-demo.ts --record';
/**
 * Heretic's direction_index 2 (hidden state 3), one of the states whose direction removes every
 * refusal of the demo model (models/demo/README.md).
 */
const DIRECTION_INDEX = 2;
/** Flat kernels on every layer; on the demo, refusals fall from the original's to none between 0.45 and 0.8. */
const WEIGHTS = [0.45, 0.6, 0.7, 1];

const { settings: s, profile } = resolveProfiledSettings(
  { configPath: null, env: {}, flags: { backend: 'cpu' } },
  DEMO_DEFAULTS,
);
const progress = new Progress();
const model = await openModel(DEMO_MODEL);
const tokenizer = await loadTokenizer(DEMO_MODEL);
const engine = await Engine.load(await selectBackend(s.backend), model);
await model.close();
const judging = await prepareJudging(engine, tokenizer, s, profile, progress);
progress.stage('refusal directions');
const report = await measureRunDirections(engine, judging, s);
const means = { harmful: report.harmful.means, harmless: report.harmless.means };
const baseline = await engine.nextTokenLogProbs(judging.harmlessEval, {
  batchSize: judging.batchSize,
});
const withEarlyExit = runEvaluator(engine, judging, baseline, s, true);
const withoutEarlyExit = runEvaluator(engine, judging, baseline, s, false);

const last = engine.spec.numLayers - 1;
function flatPlan(weight: number): AblationPlan {
  const component = {
    max_weight: weight,
    max_weight_position: last / 2,
    min_weight: 1, // a fraction of max_weight: the same weight at every layer
    min_weight_distance: last,
  };
  const params: Record<string, number | string> = {
    direction_scope: 'global',
    direction_index: DIRECTION_INDEX,
  };
  for (const name of ['attn', 'mlp'])
    for (const [key, value] of Object.entries(component)) params[`${name}.${key}`] = value;
  return trialPlan('heretic', params, report.directions, means, s.normalization);
}
const trials: { label: string; plan: AblationPlan | null }[] = [
  { label: 'original', plan: null },
  ...WEIGHTS.map((w) => ({ label: `flat ${w}`, plan: flatPlan(w) })),
];

/** One trial as the study runner times it: compile its plan, score, dispose. */
async function timedTrial(
  evaluator: TrialEvaluator,
  plan: AblationPlan | null,
): Promise<{ scores: TrialScores; seconds: number }> {
  const started = performance.now();
  const ablation = plan ? await compileAblation(engine.backend, engine.weights, [plan]) : null;
  try {
    const scores = await evaluator.score(ablation);
    return { scores, seconds: (performance.now() - started) / 1000 };
  } finally {
    if (ablation) disposeAblation(engine.backend, ablation);
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const tokens = (scores: TrialScores): number =>
  scores.responses.reduce((n, r) => n + r.ids.length, 0);

interface Measured {
  label: string;
  refusals: number;
  tokensOn: number;
  tokensOff: number;
  /** the evaluator's tokensSaved: against max_response_tokens a stopped prompt */
  runnerSaved: number;
  secondsOn: number;
  secondsOff: number;
}
const measured: Measured[] = [];
progress.stage(
  `${trials.length} trials × ${RUNS} runs, early exit on and off (batch size ${judging.batchSize})`,
);
for (const trial of trials) {
  const on: { scores: TrialScores; seconds: number }[] = [];
  const off: typeof on = [];
  for (let r = 0; r < RUNS; r++) {
    // alternate which side goes first, so drift in the machine's load falls on both
    if (r % 2 === 0) {
      on.push(await timedTrial(withEarlyExit, trial.plan));
      off.push(await timedTrial(withoutEarlyExit, trial.plan));
    } else {
      off.push(await timedTrial(withoutEarlyExit, trial.plan));
      on.push(await timedTrial(withEarlyExit, trial.plan));
    }
    const a = on[r].scores.responses;
    const b = off[r].scores.responses;
    const changed = a.findIndex((x, i) => x.refusal !== b[i].refusal);
    if (changed >= 0 || on[r].scores.refusals !== off[r].scores.refusals) {
      throw new Error(
        `early exit changed a verdict: trial ${trial.label}, run ${r + 1}, prompt ${changed} (${on[r].scores.refusals} refusals with early exit, ${off[r].scores.refusals} without)`,
      );
    }
  }
  const row: Measured = {
    label: trial.label,
    refusals: on[0].scores.refusals,
    tokensOn: tokens(on[0].scores),
    tokensOff: tokens(off[0].scores),
    runnerSaved: on[0].scores.tokensSaved,
    secondsOn: median(on.map((x) => x.seconds)),
    secondsOff: median(off.map((x) => x.seconds)),
  };
  measured.push(row);
  progress.info(
    `${row.label}: ${row.refusals} refusals, ${row.tokensOff} → ${row.tokensOn} response tokens, ${row.secondsOff.toFixed(1)} → ${row.secondsOn.toFixed(1)} s`,
  );
}

const prompts = judging.harmfulEval.length;
const sum = (key: keyof Measured): number => measured.reduce((n, m) => n + (m[key] as number), 0);
const percent = (part: number, whole: number): string => `${((100 * part) / whole).toFixed(1)} %`;
const total: Measured = {
  label: 'all',
  refusals: sum('refusals'),
  tokensOn: sum('tokensOn'),
  tokensOff: sum('tokensOff'),
  runnerSaved: sum('runnerSaved'),
  secondsOn: sum('secondsOn') / measured.length,
  secondsOff: sum('secondsOff') / measured.length,
};
const worst = (n: number): number => n * prompts * s.max_response_tokens;
const lines = textTable(
  [
    'trial',
    'refusals',
    'tokens without',
    'tokens with',
    'saved',
    "runner's count",
    's without',
    's with',
    'time saved',
  ],
  [...measured, total].map((m) => {
    const trialCount = m === total ? measured.length : 1;
    return [
      m.label,
      `${m.refusals}/${prompts * trialCount}`,
      String(m.tokensOff),
      String(m.tokensOn),
      percent(m.tokensOff - m.tokensOn, m.tokensOff),
      `${m.runnerSaved}/${worst(trialCount)}`,
      m.secondsOff.toFixed(2),
      m.secondsOn.toFixed(2),
      percent(m.secondsOff - m.secondsOn, m.secondsOff),
    ];
  }),
  1,
);
process.stdout.write(`${lines.join('\n')}\n`);

const tokensSavedPercent = (100 * (total.tokensOff - total.tokensOn)) / total.tokensOff;
const device = `${cpus()[0].model}, ${cpus().length} cores shared (Candor CPU backend), Node ${process.versions.node}`;
const trialsText = `the original model and ${WEIGHTS.length} flat ablation plans (weights ${WEIGHTS.join(', ')}, direction_index ${DIRECTION_INDEX}): ${total.refusals} refusals in ${measured.length * prompts} responses`;
const rows: BenchRow[] = [
  {
    name: 'early-exit-demo-tokens',
    device,
    date: RUN_DATE,
    command: COMMAND,
    candor: tokensSavedPercent,
    peer: 0,
    unit: '% of response tokens',
    higher_is_better: true,
    notes: `response tokens not generated with early exit (${total.tokensOff} → ${total.tokensOn}) over ${trialsText}; demo model, ${prompts} censored eval prompts, greedy, at most ${s.max_response_tokens} tokens, EOS ends a response on both sides; peer: the same trials without early exit (every token generated, as Heretic), 0 %. The runner's "early exit saved N of M" counts against ${s.max_response_tokens} tokens a prompt: ${total.runnerSaved} of ${worst(measured.length)} here`,
  },
  {
    name: 'early-exit-demo-trial',
    device,
    date: RUN_DATE,
    command: COMMAND,
    candor: total.secondsOn,
    peer: total.secondsOff,
    unit: 's',
    higher_is_better: false,
    notes: `seconds a trial with early exit, mean over ${trialsText}, each the median of ${RUNS} runs: plan compiled, ${prompts} greedy responses, first-token KL on ${judging.harmlessEval.length} harmless prompts; batch size ${judging.batchSize} (measured as the run does); peer: the same trials without early exit`,
  },
];
if (values.record) recordResults(rows);
engine.dispose();
