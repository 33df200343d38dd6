// Optuna's TPESampler as a measured peer for bench/tpe.ts: a Python process (with optuna
// installed, named by CANDOR_OPTUNA_PYTHON) proposes parameters through ask/tell, and Node
// evaluates them with the very same problem code, so both samplers see identical objectives.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Params } from '../src/optimize/space.js';
import type { BenchProblem } from './tpe-problems.js';

/** The Python side: reads one job line, then answers each params line it prints with values. */
const SCRIPT = `
import json, sys
import optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
job = json.loads(sys.stdin.readline())
def distribution(spec):
    if spec["kind"] == "float":
        return optuna.distributions.FloatDistribution(spec["low"], spec["high"], log=spec.get("log", False), step=spec.get("step"))
    if spec["kind"] == "int":
        return optuna.distributions.IntDistribution(spec["low"], spec["high"], log=spec.get("log", False), step=spec.get("step", 1))
    return optuna.distributions.CategoricalDistribution(spec["choices"])
space = {name: distribution(spec) for name, spec in job["space"].items()}
sampler = optuna.samplers.TPESampler(seed=job["seed"], multivariate=True, n_startup_trials=job["startup"], n_ei_candidates=job["candidates"])
study = optuna.create_study(directions=job["directions"], sampler=sampler)
for _ in range(job["evals"]):
    trial = study.ask(space)
    print(json.dumps(trial.params), flush=True)
    study.tell(trial, json.loads(sys.stdin.readline()))
print(json.dumps({"optuna": optuna.__version__}), flush=True)
`;

export interface OptunaRun {
  values: number[][];
  version: string;
}

/** Runs Optuna's TPE (multivariate) on `problem` for `evals` evaluations. */
export async function runOptuna(
  python: string,
  problem: BenchProblem,
  seed: number,
  evals: number,
  settings: { startup: number; candidates: number },
): Promise<OptunaRun> {
  const child = spawn(python, ['-c', SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  child.stdin.write(
    `${JSON.stringify({
      space: problem.space,
      directions: problem.objectives.map((o) => o.direction),
      seed,
      evals,
      startup: settings.startup,
      candidates: settings.candidates,
    })}\n`,
  );
  const values: number[][] = [];
  let version = '';
  for await (const line of createInterface({ input: child.stdout })) {
    const message = JSON.parse(line) as Params | { optuna: string };
    if (values.length === evals) {
      version = (message as { optuna: string }).optuna;
      break;
    }
    const v = problem.evaluate(message as Params);
    values.push(v);
    child.stdin.write(`${JSON.stringify(v)}\n`);
  }
  child.stdin.end();
  const code = await exited;
  if (code !== 0 || values.length !== evals) {
    throw new Error(
      `CANDOR_OPTUNA_PYTHON=${python}: Optuna run failed (exit ${code}): ${stderr.trim().split('\n').pop()}; install optuna in that Python or unset the variable`,
    );
  }
  return { values, version };
}
