// Objectives and Pareto dominance for any number of objectives: directions (minimise, maximise,
// report-only), conversion to loss vectors (everything minimised, report-only dropped), and
// nondominated sorting.

export type Direction = 'minimize' | 'maximize' | 'report';

export interface Objective {
  name: string;
  direction: Direction;
}

/** Checks a list of objectives: unique names, known directions, at least one optimised. */
export function checkObjectives(objectives: readonly Objective[]): void {
  if (objectives.length === 0) throw new Error('objectives: give at least one objective');
  const names = new Set<string>();
  for (const o of objectives) {
    if (!['minimize', 'maximize', 'report'].includes(o.direction)) {
      throw new Error(
        `objective '${o.name}': direction '${o.direction}' is not minimize|maximize|report`,
      );
    }
    if (names.has(o.name)) throw new Error(`objective '${o.name}' is listed twice; rename one`);
    names.add(o.name);
  }
  if (objectives.every((o) => o.direction === 'report')) {
    throw new Error('objectives: all are report-only; make at least one minimize or maximize');
  }
}

/** The optimised objectives of `values` as a loss vector (maximised ones negated). */
export function lossVector(values: readonly number[], objectives: readonly Objective[]): number[] {
  const loss: number[] = [];
  objectives.forEach((o, i) => {
    if (o.direction === 'minimize') loss.push(values[i]);
    else if (o.direction === 'maximize') loss.push(-values[i]);
  });
  return loss;
}

/** a dominates b: no worse in every loss, better in at least one. */
export function dominates(a: readonly number[], b: readonly number[]): boolean {
  let better = false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] > b[i]) return false;
    if (a[i] < b[i]) better = true;
  }
  return better;
}

/** Nondomination rank of each loss vector: 0 for the Pareto front, 1 for the front behind it, … */
export function nondominatedRanks(points: readonly (readonly number[])[]): number[] {
  const n = points.length;
  const dominatedBy = new Array<number>(n).fill(0);
  const dominating: number[][] = points.map(() => []);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (dominates(points[i], points[j])) {
        dominating[i].push(j);
        dominatedBy[j]++;
      } else if (dominates(points[j], points[i])) {
        dominating[j].push(i);
        dominatedBy[i]++;
      }
    }
  }
  const ranks = new Array<number>(n).fill(-1);
  let front = [...Array(n).keys()].filter((i) => dominatedBy[i] === 0);
  for (let rank = 0; front.length > 0; rank++) {
    const next: number[] = [];
    for (const i of front) {
      ranks[i] = rank;
      for (const j of dominating[i]) if (--dominatedBy[j] === 0) next.push(j);
    }
    front = next;
  }
  return ranks;
}

/** Indices of the nondominated loss vectors (equal vectors are all kept). */
export function paretoFrontIndices(points: readonly (readonly number[])[]): number[] {
  return points
    .map((p, i) => ({ p, i }))
    .filter(({ p }) => !points.some((q) => dominates(q, p)))
    .map(({ i }) => i);
}
