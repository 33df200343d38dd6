// Hypervolume of loss vectors (all minimised) against a reference point, for any number of
// objectives: a sweep in 2-D, slicing along the last objective above that. Plus the exclusive
// contribution of each point and greedy hypervolume subset selection, which MOTPE uses.

import { paretoFrontIndices } from './pareto.js';

/** Volume dominated by `points` and bounded by `reference` (points not below it count zero). */
export function hypervolume(
  points: readonly (readonly number[])[],
  reference: readonly number[],
): number {
  const inside = points.filter((p) => p.every((v, i) => v < reference[i]));
  if (inside.length === 0) return 0;
  const front = paretoFrontIndices(inside).map((i) => inside[i]);
  return volume(front, reference, reference.length);
}

/** Hypervolume over the first `d` coordinates; all points strictly below the reference there. */
function volume(
  points: readonly (readonly number[])[],
  reference: readonly number[],
  d: number,
): number {
  if (points.length === 0) return 0;
  if (d === 1) return reference[0] - Math.min(...points.map((p) => p[0]));
  if (d === 2) {
    const sorted = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let area = 0;
    let ceiling = reference[1];
    for (const [x, y] of sorted) {
      if (y < ceiling) {
        area += (reference[0] - x) * (ceiling - y);
        ceiling = y;
      }
    }
    return area;
  }
  // Slice along the last axis: between consecutive values z_k and z_{k+1} the dominated region is
  // the (d−1)-dimensional hypervolume of the points with z ≤ z_k.
  const axis = d - 1;
  const sorted = [...points].sort((a, b) => a[axis] - b[axis]);
  let total = 0;
  for (let k = 0; k < sorted.length; k++) {
    const top = k + 1 < sorted.length ? sorted[k + 1][axis] : reference[axis];
    const depth = top - sorted[k][axis];
    if (depth > 0) total += depth * volume(sorted.slice(0, k + 1), reference, axis);
  }
  return total;
}

/** Exclusive hypervolume of each point: HV(all) − HV(all but that point). */
export function hypervolumeContributions(
  points: readonly (readonly number[])[],
  reference: readonly number[],
): number[] {
  const whole = hypervolume(points, reference);
  return points.map(
    (_, i) =>
      whole -
      hypervolume(
        points.filter((__, j) => j !== i),
        reference,
      ),
  );
}

/**
 * Greedy hypervolume subset selection: `size` indices of `points`, each step adding the point that
 * raises the hypervolume most (ties: the lower index). A (1 − 1/e)-approximation of the best subset.
 */
export function greedyHypervolumeSubset(
  points: readonly (readonly number[])[],
  size: number,
  reference: readonly number[],
): number[] {
  const chosen: number[] = [];
  const remaining = new Set(points.keys());
  while (chosen.length < size && remaining.size > 0) {
    let best = -1;
    let bestVolume = Number.NEGATIVE_INFINITY;
    for (const i of remaining) {
      const v = hypervolume([...chosen.map((j) => points[j]), points[i]], reference);
      if (v > bestVolume) {
        best = i;
        bestVolume = v;
      }
    }
    chosen.push(best);
    remaining.delete(best);
  }
  return chosen;
}

/**
 * Optuna-style reference point for a set of losses: 10 % beyond the worst value on each axis
 * (on the far side of zero for negative values), a tiny positive number where the worst is 0.
 */
export function nadirReference(points: readonly (readonly number[])[]): number[] {
  const d = points[0].length;
  const ref: number[] = [];
  for (let i = 0; i < d; i++) {
    const worst = Math.max(...points.map((p) => p[i]));
    const r = Math.max(1.1 * worst, 0.9 * worst);
    ref.push(r === 0 ? 1e-12 : r);
  }
  return ref;
}
