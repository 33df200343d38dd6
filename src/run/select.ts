// Which finished trial to keep: the Pareto front in refusal order, and the rule behind
// `--select best` (the fewest refusals among trials whose KL stays within max_kl).

import type { Trial } from '../optimize/study.js';

/** Complete trials of the front, sorted by refusals, then KL. */
export function sortedFront(front: readonly Trial[]): Trial[] {
  return front
    .filter((t) => t.state === 'complete' && t.values)
    .sort((a, b) => a.values![0] - b.values![0] || a.values![1] - b.values![1]);
}

/**
 * 'best': among front trials with KL ≤ maxKl, the fewest refusals (then the lowest KL); if every
 * trial exceeds maxKl, the one with the lowest KL. A number picks that trial of the study.
 */
export function selectTrial(
  trials: readonly Trial[],
  front: readonly Trial[],
  choice: string,
  maxKl: number,
): Trial {
  if (choice === 'best') {
    const sorted = sortedFront(front);
    if (sorted.length === 0) throw new Error('no trial finished: nothing to select');
    return (
      sorted.find((t) => t.values![1] <= maxKl) ??
      [...sorted].sort((a, b) => a.values![1] - b.values![1])[0]
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
