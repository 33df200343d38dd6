// What the search optimises: an Objective turns one trial's outputs (the judged responses, the
// KL per baseline prompt, and the engine for further log-probabilities) into one number. The
// built-ins (objectives/builtin.ts) and user modules (objectives/load.ts) share this interface.

import type { Engine } from '../engine/engine.js';
import type { AblationChoice } from '../engine/types.js';
import type { RefusalMarkers } from '../judge/markers.js';

/** minimise, maximise, or only record the value (it never steers the search) */
export type ObjectiveDirection = 'minimize' | 'maximize' | 'report';

export interface ObjectivePrompt {
  /** the prompt as sent (profile prefix and suffix included) */
  text: string;
  topic?: string;
  /** reference facts a full answer contains */
  facts?: string[];
}

/** What an objective may read, the same for every trial of a study. */
export interface ObjectiveContext {
  /** the evaluation sets: `behaviour` is judged (responses), `baseline` gives the KL */
  prompts: { behaviour: ObjectivePrompt[]; baseline: ObjectivePrompt[] };
  /** the same prompts chat-encoded as the engine sees them (response prefix included) */
  encoded: { behaviour: number[][]; baseline: number[][] };
  /** the loaded model: `engine.continuationLogProbs(...)`, `engine.nextTokenLogProbs(...)` */
  engine: Engine;
  /** token ids → text, as the judges read responses */
  decode: (ids: readonly number[]) => string;
  /** the profile's marker list (judge.markers) */
  markers: RefusalMarkers;
  /** the `options` table of this objective in the profile (empty when none) */
  options: Record<string, unknown>;
}

export interface ObjectiveResponse {
  text: string;
  /** generated token ids, without the final EOS */
  ids: number[];
  /** whether the markers matched (Heretic's refusal verdict) */
  refusal: boolean;
}

/** One trial's outputs (or the original model's, when `ablation` is undefined). */
export interface TrialOutputs {
  /** one per `behaviour` prompt, greedy */
  responses: ObjectiveResponse[];
  /** KL(original ‖ trial) of the first response token, one per `baseline` prompt */
  kl: ArrayLike<number>;
  /**
   * pass as `{ ablation }` to engine calls to measure the trial's model (it picks the trial's
   * plan where several trials share one compiled ablation); undefined: original
   */
  ablation: AblationChoice | undefined;
}

export interface Objective {
  /** unique within a study; names the value in the study store, dashboard and reports */
  name: string;
  direction: ObjectiveDirection;
  /**
   * Whether `score` reads whole responses. When any objective does, the refusal early exit (which
   * stops a response once its marker verdict is settled) is switched off. Default true.
   */
  wholeResponses?: boolean;
  /** once per study, before the first trial */
  init?(ctx: ObjectiveContext): void | Promise<void>;
  /** one finite number for one trial */
  score(ctx: ObjectiveContext, outputs: TrialOutputs): number | Promise<number>;
}

export const OBJECTIVE_DIRECTIONS: readonly ObjectiveDirection[] = [
  'minimize',
  'maximize',
  'report',
];

/** The objectives' values for one trial, in order; a non-finite value is an error naming it. */
export async function scoreObjectives(
  objectives: readonly Objective[],
  ctx: (o: Objective) => ObjectiveContext,
  outputs: TrialOutputs,
): Promise<number[]> {
  const values: number[] = [];
  for (const o of objectives) {
    const v = await o.score(ctx(o), outputs);
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new Error(`objective '${o.name}': score returned ${String(v)}, not a finite number`);
    }
    values.push(v);
  }
  return values;
}

/** Whether the refusal early exit keeps every objective's value exact. */
export function earlyExitAllowed(objectives: readonly Objective[]): {
  allowed: boolean;
  readers: string[];
} {
  const readers = objectives.filter((o) => o.wholeResponses !== false).map((o) => o.name);
  return { allowed: readers.length === 0, readers };
}
