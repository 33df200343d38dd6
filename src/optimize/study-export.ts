// Exports a study for people and other tools: JSON (everything, including the definition and the
// Pareto front) and CSV (one row per trial: objectives, parameters, timing, state).

import type { StudyDefinition, Trial } from './study-storage.js';

export interface StudyJson {
  format: 'candor-study';
  version: 1;
  name: string;
  objectives: StudyDefinition['objectives'];
  space: StudyDefinition['space'];
  sampler: StudyDefinition['sampler'];
  seed: number;
  /** trial numbers of the Pareto front, in front order */
  pareto_front: number[];
  trials: {
    number: number;
    state: Trial['state'];
    params: Trial['params'];
    values: Record<string, number> | null;
    user_attrs: Record<string, unknown>;
    failure: string | null;
    worker: string | null;
    attempts: number;
    created_at: string;
    started_at: string | null;
    finished_at: string | null;
    duration_s: number | null;
  }[];
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function durationSeconds(t: Trial): number | null {
  return t.startedAt !== null && t.finishedAt !== null ? (t.finishedAt - t.startedAt) / 1000 : null;
}

export function studyJson(
  definition: StudyDefinition,
  trials: readonly Trial[],
  front: readonly Trial[],
): StudyJson {
  return {
    format: 'candor-study',
    version: 1,
    name: definition.name,
    objectives: definition.objectives,
    space: definition.space,
    sampler: definition.sampler,
    seed: definition.seed,
    pareto_front: front.map((t) => t.number),
    trials: trials.map((t) => ({
      number: t.number,
      state: t.state,
      params: t.params,
      values:
        t.values === null
          ? null
          : Object.fromEntries(definition.objectives.map((o, i) => [o.name, t.values![i]])),
      user_attrs: t.userAttrs,
      failure: t.failure,
      worker: t.worker,
      attempts: t.attempts,
      created_at: iso(t.createdAt) as string,
      started_at: iso(t.startedAt),
      finished_at: iso(t.finishedAt),
      duration_s: durationSeconds(t),
    })),
  };
}

/** RFC 4180 field: quoted when it holds a comma, quote or line break. */
function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text =
    typeof value === 'string'
      ? value
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function studyCsv(
  definition: StudyDefinition,
  trials: readonly Trial[],
  front: readonly Trial[],
): string {
  const onFront = new Set(front.map((t) => t.number));
  const paramNames = Object.keys(definition.space);
  const header = [
    'number',
    'state',
    ...definition.objectives.map((o) => o.name),
    ...paramNames,
    'pareto',
    'attempts',
    'worker',
    'created_at',
    'started_at',
    'finished_at',
    'duration_s',
    'failure',
    'user_attrs',
  ];
  const rows = trials.map((t) => [
    t.number,
    t.state,
    ...definition.objectives.map((_, i) => (t.values === null ? null : t.values[i])),
    ...paramNames.map((p) => t.params[p]),
    onFront.has(t.number),
    t.attempts,
    t.worker,
    iso(t.createdAt),
    iso(t.startedAt),
    iso(t.finishedAt),
    durationSeconds(t),
    t.failure,
    t.userAttrs,
  ]);
  return `${[header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n')}\r\n`;
}
