// The dashboard's view of a study, read from the study store alone (so `candor dashboard STUDY`
// can show a study that another process is running): trials, the Pareto front, the layer
// kernel of the front's first trial, and optionally the per-layer separation of the directions.

import type { SeparationRow } from '../../ablate/diagnostics.js';
import type { Study } from '../../optimize/study.js';
import { sortedFront } from '../../run/select.js';
import type { DashboardState } from './server.js';

export async function studyDashboardState(
  study: Study,
  title: string,
  separation: readonly SeparationRow[] | null,
): Promise<DashboardState> {
  const objectives = study.definition.objectives;
  const names = objectives.map((o) => o.name);
  const display = [
    ...objectives.filter((o) => o.direction !== 'report'),
    ...objectives.filter((o) => o.direction === 'report'),
  ].map((o) => o.name);
  const trials = await study.trials();
  const frontTrials = await study.paretoFront();
  const front = new Set(frontTrials.map((t) => t.number));
  const best = sortedFront(frontTrials, objectives)[0];
  const kernel = best?.userAttrs.kernel as Record<string, number[]> | undefined;
  return {
    title,
    objectives: display,
    trials: trials.map((t) => ({
      number: t.number,
      state: t.state,
      values: t.values ? Object.fromEntries(names.map((n, i) => [n, t.values![i]])) : {},
      params: t.params as Record<string, number | string>,
      pareto: front.has(t.number),
    })),
    selected: best && kernel ? { number: best.number, kernel } : null,
    separation: (separation ?? []).map((r) => ({
      layer: r.state,
      cosine: r.cosine,
      norm: r.differenceNorm,
      score: r.silhouette ?? 0,
    })),
  };
}
