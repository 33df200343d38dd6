// Objectives from their specs: built-ins are constructed, user modules are imported with dynamic
// import() (.js/.mjs anywhere; .ts only where a TypeScript loader such as tsx is active). A
// missing module, one that fails to load, or one without a score function is a one-line error.

import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { checkObjectives } from '../optimize/pareto.js';
import { builtinObjective } from './builtin.js';
import { OBJECTIVE_DIRECTIONS, type Objective, type ObjectiveDirection } from './objective.js';
import { builtinDirection, DEFAULT_OBJECTIVES, type ObjectiveSpec } from './spec.js';

/** What a user module exports: named exports, or one default-exported object. */
interface ObjectiveModule {
  name?: unknown;
  direction?: unknown;
  wholeResponses?: unknown;
  init?: unknown;
  score?: unknown;
}

async function loadModule(spec: ObjectiveSpec): Promise<Objective> {
  const path = spec.module as string;
  const label = spec.name ? `objective '${spec.name}' (${path})` : `objective module ${path}`;
  if (!existsSync(path)) throw new Error(`${label}: module not found`);
  let loaded: ObjectiveModule & { default?: unknown };
  try {
    loaded = (await import(pathToFileURL(path).href)) as ObjectiveModule & { default?: unknown };
  } catch (err) {
    const reason = (err as Error).message.split('\n')[0];
    throw new Error(`${label}: cannot load: ${reason}`);
  }
  const m: ObjectiveModule =
    loaded.score === undefined && typeof loaded.default === 'object' && loaded.default !== null
      ? (loaded.default as ObjectiveModule)
      : loaded;
  if (typeof m.score !== 'function') {
    throw new Error(
      `${label}: exports no score function (a module exports name, direction, init and score)`,
    );
  }
  if (m.init !== undefined && typeof m.init !== 'function') {
    throw new Error(`${label}: exports init, but not as a function`);
  }
  const name = spec.name ?? m.name;
  if (typeof name !== 'string' || name === '') {
    throw new Error(`${label}: exports no name; export one or set name in the profile`);
  }
  const direction = spec.direction ?? m.direction;
  if (!(OBJECTIVE_DIRECTIONS as readonly unknown[]).includes(direction)) {
    throw new Error(
      `objective '${name}': direction ${JSON.stringify(direction)} is not ${OBJECTIVE_DIRECTIONS.join('|')}; export one or set it in the profile`,
    );
  }
  const score = m.score as Objective['score'];
  const init = m.init as Objective['init'];
  return {
    name,
    direction: direction as ObjectiveDirection,
    wholeResponses: m.wholeResponses !== false,
    ...(init ? { init: (ctx) => init.call(m, ctx) } : {}),
    score: (ctx, out) => score.call(m, ctx, out),
  };
}

/** The study's objectives, in order; checked for unique names and at least one optimised. */
export async function loadObjectives(
  specs: readonly ObjectiveSpec[] = DEFAULT_OBJECTIVES,
): Promise<Objective[]> {
  const out: Objective[] = [];
  for (const spec of specs) {
    if (spec.module !== undefined) out.push(await loadModule(spec));
    else {
      const kind = spec.kind;
      if (!kind) throw new Error(`objective '${spec.name}': no kind and no module`);
      out.push(
        builtinObjective(kind, {
          name: spec.name ?? kind,
          direction: builtinDirection(spec),
          words: spec.words,
        }),
      );
    }
  }
  checkObjectives(out);
  return out;
}

/** name and direction of each objective, as the study store keeps them */
export function studyObjectives(
  objectives: readonly Objective[],
): { name: string; direction: ObjectiveDirection }[] {
  return objectives.map((o) => ({ name: o.name, direction: o.direction }));
}
