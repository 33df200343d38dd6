// A study's objectives, loaded and initialised against one context (prompt sets, engine, judge):
// scores a trial's outputs in objective order, and says whether the refusal early exit stays exact.

import { loadObjectives } from './load.js';
import {
  earlyExitAllowed,
  type Objective,
  type ObjectiveContext,
  scoreObjectives,
  type TrialOutputs,
} from './objective.js';
import { DEFAULT_OBJECTIVES, type ObjectiveSpec } from './spec.js';

export type SharedContext = Omit<ObjectiveContext, 'options'>;

export class ObjectiveSession {
  private contexts: ObjectiveContext[] | null = null;

  private constructor(
    readonly objectives: Objective[],
    private readonly specs: readonly ObjectiveSpec[],
  ) {}

  /** Loads the objectives (default: refusals, kl); fails fast on unknown names and bad modules. */
  static async load(specs: readonly ObjectiveSpec[] | null): Promise<ObjectiveSession> {
    const list = specs ?? DEFAULT_OBJECTIVES;
    return new ObjectiveSession(await loadObjectives(list), list);
  }

  /** Gives every objective its context and runs its init step (once per study). */
  async init(shared: SharedContext): Promise<void> {
    const contexts = this.objectives.map((_, i) => ({
      ...shared,
      options: this.specs[i].options ?? {},
    }));
    for (const [i, o] of this.objectives.entries()) await o.init?.(contexts[i]);
    this.contexts = contexts;
  }

  get names(): string[] {
    return this.objectives.map((o) => o.name);
  }

  /** name and direction of each objective, as the study store keeps them */
  get definitions(): { name: string; direction: Objective['direction'] }[] {
    return this.objectives.map((o) => ({ name: o.name, direction: o.direction }));
  }

  /** the objectives reading whole responses (none: early exit keeps every value exact) */
  get wholeResponseReaders(): string[] {
    return earlyExitAllowed(this.objectives).readers;
  }

  score(outputs: TrialOutputs): Promise<number[]> {
    const contexts = this.contexts;
    if (!contexts) throw new Error('objectives: init() must run before score()');
    return scoreObjectives(this.objectives, (o) => contexts[this.objectives.indexOf(o)], outputs);
  }

  /** The optimised objectives first (the first two are the dashboard scatter's axes), then the rest. */
  get displayOrder(): string[] {
    const optimised = this.objectives.filter((o) => o.direction !== 'report');
    const reported = this.objectives.filter((o) => o.direction === 'report');
    return [...optimised, ...reported].map((o) => o.name);
  }

  /** values by objective name */
  named(values: readonly number[]): Record<string, number> {
    return Object.fromEntries(this.objectives.map((o, i) => [o.name, values[i]]));
  }
}
