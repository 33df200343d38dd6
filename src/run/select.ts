// Which finished trial to keep: the Pareto front in objective order, and the rule behind
// `--select best`. When `kl` is an objective: the first in front order (best first objective,
// ties by the next) whose KL stays within max_kl, else the lowest KL. Without `kl`: the first
// in front order, i.e. the first optimised objective's best on the Pareto front.

import type { Objective } from '../optimize/pareto.js';
import { lossVector } from '../optimize/pareto.js';
import type { Trial } from '../optimize/study.js';

/** Heretic's pair, the objectives of a study whose profile lists none. */
export const DEFAULT_SELECT_OBJECTIVES: readonly Objective[] = [
  { name: 'refusals', direction: 'minimize' },
  { name: 'kl', direction: 'minimize' },
];

function compareLoss(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** Complete trials of the front, best first: by the optimised objectives in order (default: refusals, then KL). */
export function sortedFront(
  front: readonly Trial[],
  objectives: readonly Objective[] = DEFAULT_SELECT_OBJECTIVES,
): Trial[] {
  return front
    .filter((t) => t.state === 'complete' && t.values)
    .map((t) => ({ t, loss: lossVector(t.values!, objectives) }))
    .sort((a, b) => compareLoss(a.loss, b.loss) || a.t.number - b.t.number)
    .map(({ t }) => t);
}

/**
 * 'best': see the file header (default objectives: among front trials with KL ≤ maxKl, the fewest
 * refusals, then the lowest KL; if every trial exceeds maxKl, the lowest KL). A number picks that
 * trial of the study.
 */
export function selectTrial(
  trials: readonly Trial[],
  front: readonly Trial[],
  choice: string,
  maxKl: number,
  objectives: readonly Objective[] = DEFAULT_SELECT_OBJECTIVES,
): Trial {
  if (choice === 'best') {
    const sorted = sortedFront(front, objectives);
    if (sorted.length === 0) throw new Error('no trial finished: nothing to select');
    const kl = objectives.findIndex((o) => o.name === 'kl');
    if (kl < 0) return sorted[0];
    return (
      sorted.find((t) => t.values![kl] <= maxKl) ??
      [...sorted].sort((a, b) => a.values![kl] - b.values![kl])[0]
    );
  }
  const number = Number(choice);
  if (!Number.isInteger(number))
    throw new Error(`--select must be 'best' or a trial number, got '${choice}'`);
  const trial = trials.find((t) => t.number === number);
  if (!trial) throw new Error(`--select ${number}: the study has no trial ${number}`);
  if (trial.state !== 'complete')
    throw new Error(`--select ${number}: trial ${number} is ${trial.state}, not complete`);
  return trial;
}
