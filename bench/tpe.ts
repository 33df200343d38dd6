// TPE quality benchmark: hypervolume after 100 evaluations, mean over 10 seeds, for Candor's
// multi-objective TPE against random search (and Optuna's TPE when CANDOR_OPTUNA_PYTHON names a
// Python with optuna). Records the tpe-* rows of bench/results.json and the "## TPE" section of
// bench/RESULTS.md.
//   npx tsx bench/tpe.ts [--seeds 10] [--evals 100] [--no-record]

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { hypervolume } from '../src/optimize/hypervolume.js';
import { lossVector } from '../src/optimize/pareto.js';
import { sampleUniform, spaceAxes } from '../src/optimize/space.js';
import { type Observation, OPTUNA_TPE_DEFAULTS, proposeParams } from '../src/optimize/tpe.js';
import { Rng } from '../src/util/random.js';
import { RUN_DATE, recordResults } from './results.js';
import { runOptuna } from './tpe-optuna.js';
import { type BenchProblem, problems } from './tpe-problems.js';

const { values: args } = parseArgs({
  options: {
    seeds: { type: 'string', default: '10' },
    evals: { type: 'string', default: '100' },
    'no-record': { type: 'boolean', default: false },
  },
});
const SEEDS = Number(args.seeds);
const EVALS = Number(args.evals);
const DEVICE = `${cpus()[0]?.model.trim() ?? 'CPU'}, 1 thread, Node ${process.versions.node}`;
const COMMAND = `npx tsx bench/tpe.ts --seeds ${SEEDS} --evals ${EVALS}`;
/** Optuna's TPESampler defaults, multivariate, for both TPEs (Heretic's 60 startup trials would leave 40 of 100). */
const SETTINGS = OPTUNA_TPE_DEFAULTS;
const python = process.env.CANDOR_OPTUNA_PYTHON;

type Sampler = 'tpe' | 'random';

function run(problem: BenchProblem, sampler: Sampler, seed: number): number[][] {
  const axes = spaceAxes(problem.space);
  const observations: Observation[] = [];
  for (let n = 0; n < EVALS; n++) {
    const rng = Rng.forStream(seed, n);
    const params =
      sampler === 'tpe'
        ? proposeParams(axes, problem.objectives, observations, rng, SETTINGS)
        : sampleUniform(axes, rng);
    observations.push({ number: n, params, values: problem.evaluate(params) });
  }
  return observations.map((o) => o.values as number[]);
}

function finalHypervolume(problem: BenchProblem, values: number[][]): number {
  return hypervolume(
    values.map((v) => lossVector(v, problem.objectives)),
    problem.reference,
  );
}

interface Summary {
  mean: number;
  sd: number;
  /** seconds per run */
  seconds: number;
}

function summarise(hvs: number[], seconds: number): Summary {
  const mean = hvs.reduce((s, v) => s + v, 0) / hvs.length;
  const sd = Math.sqrt(hvs.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, hvs.length - 1));
  return { mean, sd, seconds: seconds / hvs.length };
}

async function measure(
  problem: BenchProblem,
  sampler: Sampler | 'optuna',
): Promise<Summary & { version?: string }> {
  const hvs: number[] = [];
  let version: string | undefined;
  const start = performance.now();
  for (let seed = 0; seed < SEEDS; seed++) {
    let values: number[][];
    if (sampler === 'optuna') {
      const out = await runOptuna(python as string, problem, seed, EVALS, {
        startup: SETTINGS.nStartupTrials,
        candidates: SETTINGS.nEiCandidates,
      });
      values = out.values;
      version = out.version;
    } else {
      values = run(problem, sampler, seed);
    }
    hvs.push(finalHypervolume(problem, values));
  }
  return { ...summarise(hvs, (performance.now() - start) / 1000), version };
}

const fmt = (s: Summary) => `${s.mean.toFixed(3)} ± ${s.sd.toFixed(3)}`;

const rows: string[] = [];
const recorded: Parameters<typeof recordResults>[0] = [];
let optunaVersion: string | undefined;
for (const problem of problems) {
  const tpe = await measure(problem, 'tpe');
  const random = await measure(problem, 'random');
  const optuna = python ? await measure(problem, 'optuna') : null;
  if (optuna?.version) optunaVersion = optuna.version;
  const gain = ((tpe.mean - random.mean) / random.mean) * 100;
  process.stderr.write(
    `${problem.name}: TPE ${fmt(tpe)} (${tpe.seconds.toFixed(2)} s/run), random ${fmt(random)}` +
      (optuna ? `, Optuna ${fmt(optuna)} (${optuna.seconds.toFixed(2)} s/run)` : '') +
      `, +${gain.toFixed(1)} %\n`,
  );
  rows.push(
    `| ${problem.name} | ${fmt(tpe)} | ${fmt(random)} | ${optuna ? fmt(optuna) : 'not run'} | ${gain >= 0 ? '+' : ''}${gain.toFixed(1)} % | ${tpe.seconds.toFixed(2)} s |`,
  );
  recorded.push({
    name: `tpe-${problem.name}`,
    device: DEVICE,
    date: RUN_DATE,
    command: COMMAND,
    candor: Number(tpe.mean.toFixed(4)),
    peer: Number(random.mean.toFixed(4)),
    unit: 'hypervolume',
    higher_is_better: true,
    notes:
      `peer = random search (same seeds, same evaluations); mean over ${SEEDS} seeds of the hypervolume after ${EVALS} evaluations; ${problem.source}; TPE settings: Optuna's defaults, multivariate` +
      (optuna
        ? `; Optuna ${optunaVersion} TPESampler(multivariate=True) on the same problems: ${optuna.mean.toFixed(4)}`
        : ''),
  });
}

const section = `## TPE

Hypervolume after ${EVALS} evaluations (mean ± standard deviation over ${SEEDS} seeds; higher is
better), Candor's multi-objective TPE against random search and against Optuna's
TPESampler run on the very same problem code (Python ask/tell through a pipe). Both TPEs use
Optuna's defaults with \`multivariate=True\`: 10 random startup trials, 24 candidates, gamma
min(⌈0.1 n⌉, 25), prior weight 1, magic clip. Device: ${DEVICE}. Date ${RUN_DATE}.
Command: \`${COMMAND}\` (with \`CANDOR_OPTUNA_PYTHON=/path/to/python\` for the Optuna column${optunaVersion ? `; Optuna ${optunaVersion}` : ''}).

| problem | Candor TPE | random search | Optuna TPE | TPE vs random | Candor time per run |
|---|---|---|---|---|---|
${rows.join('\n')}

Problems and reference points: ${problems.map((p) => p.source).join('; ')}. The true fronts give
hypervolume 120.667 (ZDT1),
120.333 (ZDT2) and 1.331 − π/6 = 0.807 (DTLZ2). The synthetic problem is a stand-in for Candor's
surface (refusals fall once the ablation near a good layer passes a threshold; KL grows with the
squared weights), with noise fixed by the parameters. Times are wall-clock on a 2-core machine
shared with other jobs; Optuna's runs (not timed here) include starting Python.

Published figures for Optuna's TPE on these problems at this budget: none found. Optuna's own
multi-objective benchmarks (optuna/optuna PR #2688: WFG1–9, 250 trials; PR #3271: ZDT1/ZDT2 plots,
no table) and the MOTPE paper (Ozaki et al., JAIR 73, 2022: WFG problems) use other problems or give
plots only, hence the measured Optuna column above.
`;

if (!args['no-record']) {
  recordResults(recorded);
  const file = new URL('./RESULTS.md', import.meta.url);
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  // Replace only our section: from "## TPE" to the next "## " heading (or the end).
  const start = text.indexOf('\n## TPE\n');
  let updated: string;
  if (start < 0) {
    updated = `${text.trimEnd()}\n\n${section}`;
  } else {
    const next = text.indexOf('\n## ', start + 1);
    updated = `${text.slice(0, start + 1)}${section}${next < 0 ? '' : `\n${text.slice(next + 1)}`}`;
  }
  writeFileSync(file, updated);
  process.stderr.write(
    'recorded tpe-* rows in bench/results.json and the TPE section of bench/RESULTS.md\n',
  );
}
