// A study: the optimiser's public face. Opens (or resumes) a study in a SQLite file or a
// PostgreSQL database, proposes trials with multi-objective TPE (ask / askBatch), records results
// (tell), keeps running trials alive with heartbeats, and gives the Pareto front and exports.

import { randomBytes, randomInt } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../util/random.js';
import { checkObjectives, lossVector, type Objective, paretoFrontIndices } from './pareto.js';
import { type Axis, checkParams, type Params, type SearchSpace, spaceAxes } from './space.js';
import { isPostgresUrl, openSqlDriver, type SqlDriver } from './sql-driver.js';
import { type StudyJson, studyCsv, studyJson } from './study-export.js';
import {
  type StaleRecovery,
  type StudyDefinition,
  StudyStorage,
  type Trial,
} from './study-storage.js';
import { type Observation, proposeParams, type TpeSettings, tpeSettings } from './tpe.js';

export type { Trial, TrialState } from './study-storage.js';

export interface StudyOptions {
  /** a SQLite file path, or a postgresql:// URL shared by several workers */
  storage: string;
  name: string;
  /** objectives in the order `tell` gives their values */
  objectives: Objective[];
  space: SearchSpace;
  /** TPE settings; defaults are Heretic's (60 random startup trials, 128 candidates) */
  sampler?: Partial<TpeSettings>;
  /** fixes every proposal; a new study without one draws a seed and stores it */
  seed?: number;
  /** `ask` returns null once this many trial numbers are used (shared by all workers) */
  maxTrials?: number;
  /** a running trial without a heartbeat for this long counts as abandoned (default 600 s) */
  staleAfterSeconds?: number;
  /** an abandoned trial is re-queued until it was started this often, then failed (default 2) */
  maxAttempts?: number;
}

/** What `open` found: a new study, or the state of the one it resumes. */
export interface ResumeReport {
  created: boolean;
  complete: number;
  failed: number;
  pending: number;
  /** interrupted trials put back in the queue (their parameters run again) */
  requeued: number[];
  /** interrupted trials given up on after maxAttempts starts */
  abandoned: number[];
}

/** The SQLite file of study `name` next to an output folder. */
export function defaultStudyPath(outputDir: string, name: string): string {
  return join(outputDir, `${name.replace(/[^A-Za-z0-9._-]+/g, '_')}.candor-study.sqlite`);
}

/** This process's worker id: host:pid:nonce (the nonce tells two handles of one process apart). */
function newWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** JSON with object keys sorted, so equal settings compare equal whatever their key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

function describeDifference(
  stored: StudyDefinition,
  given: StudyDefinition,
  seedGiven: boolean,
): string | null {
  const keys: (keyof StudyDefinition)[] = ['objectives', 'space', 'sampler'];
  for (const key of keys) {
    if (canonicalJson(stored[key]) !== canonicalJson(given[key])) return key;
  }
  return seedGiven && stored.seed !== given.seed ? 'seed' : null;
}

/**
 * Opens an existing study by name (or the store's only study) with the definition it was
 * created with: for viewers such as `candor dashboard`, which know nothing of its settings.
 */
export async function openStoredStudy(storage: string, name: string | null): Promise<Study> {
  const driver = await openSqlDriver(storage);
  let definitions: StudyDefinition[];
  try {
    definitions = await StudyStorage.definitions(driver);
  } finally {
    await driver.close();
  }
  if (definitions.length === 0) throw new Error(`${storage}: no study in this store`);
  const chosen = name === null ? definitions : definitions.filter((d) => d.name === name);
  if (chosen.length !== 1) {
    throw new Error(
      `${storage}: ${name === null ? 'holds several studies' : `no study '${name}'`}; pass --study with one of ${definitions.map((d) => d.name).join(', ')}`,
    );
  }
  const d = chosen[0];
  return Study.open({
    storage,
    name: d.name,
    objectives: d.objectives,
    space: d.space,
    sampler: d.sampler,
    seed: d.seed,
  });
}

export class Study {
  private readonly axes: Axis[];
  private heartbeatTimer: NodeJS.Timeout | null = null;

  private constructor(
    readonly definition: StudyDefinition,
    readonly resume: ResumeReport,
    private readonly storage: StudyStorage,
    readonly worker: string,
    private readonly maxTrials: number | null,
    private readonly staleAfterMs: number,
    private readonly maxAttempts: number,
    private readonly isStale: (trial: Trial) => boolean,
  ) {
    this.axes = spaceAxes(definition.space);
  }

  get name(): string {
    return this.definition.name;
  }

  /** Where the study lives (file path, or URL without password). */
  get location(): string {
    return this.storage.driver.location;
  }

  static async open(options: StudyOptions): Promise<Study> {
    if (!options.name) throw new Error('study name is empty: give --study NAME');
    checkObjectives(options.objectives);
    spaceAxes(options.space);
    const staleAfterSeconds = options.staleAfterSeconds ?? 600;
    const maxAttempts = options.maxAttempts ?? 2;
    if (!(staleAfterSeconds > 0)) {
      throw new Error(`staleAfterSeconds ${staleAfterSeconds}: must be positive`);
    }
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
      throw new Error(`maxAttempts ${maxAttempts}: must be an integer ≥ 1`);
    }
    const given: StudyDefinition = {
      name: options.name,
      objectives: options.objectives.map((o) => ({ name: o.name, direction: o.direction })),
      space: options.space,
      sampler: tpeSettings(options.sampler),
      seed: options.seed ?? randomInt(2 ** 47),
    };
    Rng.forStream(given.seed); // validates the seed

    const driver = await openSqlDriver(options.storage);
    try {
      return await Study.resumeOn(driver, options, given, staleAfterSeconds * 1000, maxAttempts);
    } catch (err) {
      await driver.close();
      throw err;
    }
  }

  private static async resumeOn(
    driver: SqlDriver,
    options: StudyOptions,
    given: StudyDefinition,
    staleAfterMs: number,
    maxAttempts: number,
  ): Promise<Study> {
    const opened = await StudyStorage.open(driver, given);
    const difference = describeDifference(opened.stored, given, options.seed !== undefined);
    if (difference) {
      throw new Error(
        `study '${options.name}' in ${driver.location} was created with a different ${difference}; use a new study name, or the settings it was created with`,
      );
    }
    const worker = newWorkerId();
    const localProcesses = !isPostgresUrl(options.storage);
    const isStale = (trial: Trial): boolean => {
      if (trial.worker === worker) return false;
      const parts = (trial.worker ?? '').split(':');
      const pid = Number(parts[parts.length - 2]);
      // A study file is used on one machine, so a vanished pid is a dead worker; across machines
      // (PostgreSQL) only a missing heartbeat can tell.
      if (localProcesses && parts.slice(0, -2).join(':') === hostname() && !processIsAlive(pid)) {
        return true;
      }
      return Date.now() - (trial.heartbeatAt ?? trial.startedAt ?? 0) > staleAfterMs;
    };
    const recovery = await opened.storage.recoverStale(isStale, maxAttempts, Date.now());
    const trials = await opened.storage.trials();
    return new Study(
      opened.stored,
      {
        created: opened.created,
        complete: trials.filter((t) => t.state === 'complete').length,
        failed: trials.filter((t) => t.state === 'failed').length,
        pending: trials.filter((t) => t.state === 'pending').length,
        requeued: recovery.requeued,
        abandoned: recovery.failed,
      },
      opened.storage,
      worker,
      options.maxTrials ?? null,
      staleAfterMs,
      maxAttempts,
      isStale,
    );
  }

  /** One line for the user: what was resumed, or null for a new study. */
  resumeMessage(): string | null {
    const r = this.resume;
    if (r.created) return null;
    const done = r.complete + r.failed;
    const parts = [
      done === 0
        ? `continuing study '${this.name}' (${this.location}): no trials finished yet`
        : `resuming study '${this.name}' (${this.location}): ${done} trials done (${r.complete} complete, ${r.failed} failed)`,
    ];
    if (r.requeued.length > 0) parts.push(`re-queued interrupted trial ${r.requeued.join(', ')}`);
    if (r.abandoned.length > 0)
      parts.push(
        `gave up on trial ${r.abandoned.join(', ')} after ${this.maxAttempts} interrupted starts`,
      );
    if (r.pending > 0) parts.push(`${r.pending} pending`);
    return parts.join('; ');
  }

  /** Re-queues trials abandoned by dead workers since `open` (called before each proposal). */
  private recover(): Promise<StaleRecovery> {
    return this.storage.recoverStale(this.isStale, this.maxAttempts, Date.now());
  }

  /**
   * The next trial to run, now marked running under this worker: a pending one (enqueued or
   * re-queued) if any, else a new TPE proposal. Null once `maxTrials` is reached.
   */
  async ask(): Promise<Trial | null> {
    await this.recover();
    const now = Date.now();
    const trial =
      (await this.storage.claimPending(this.worker, now)) ??
      (await this.storage.createRunning(this.worker, now, this.maxTrials, (number, trials) =>
        this.propose(number, trials),
      ));
    if (trial) this.startHeartbeat();
    return trial;
  }

  /** `n` trials to run in parallel; each proposal treats the ones before it as running. */
  async askBatch(n: number): Promise<Trial[]> {
    const out: Trial[] = [];
    for (let i = 0; i < n; i++) {
      const trial = await this.ask();
      if (!trial) break;
      out.push(trial);
    }
    return out;
  }

  private propose(number: number, trials: readonly Trial[]): Params {
    const observations: Observation[] = [];
    for (const t of trials) {
      if (t.state === 'complete')
        observations.push({ number: t.number, params: t.params, values: t.values });
      else if (t.state === 'running' || t.state === 'pending') {
        observations.push({ number: t.number, params: t.params, values: null });
      }
    }
    const rng = Rng.forStream(this.definition.seed, number);
    return proposeParams(
      this.axes,
      this.definition.objectives,
      observations,
      rng,
      this.definition.sampler,
    );
  }

  /** Adds a trial with given parameters (e.g. a known good setting); `ask` hands it out first. */
  async enqueue(params: Params, userAttrs: Record<string, unknown> = {}): Promise<Trial> {
    checkParams(this.definition.space, params);
    return this.storage.enqueue(params, userAttrs, Date.now());
  }

  /**
   * Records a running trial's outcome: one finite value per objective, or 'failed' (with a
   * reason). User attributes (JSON) are merged into the trial's.
   */
  async tell(
    number: number,
    result: readonly number[] | 'failed',
    options: { userAttrs?: Record<string, unknown>; reason?: string } = {},
  ): Promise<Trial> {
    let outcome: { values: number[] } | { failure: string };
    if (result === 'failed') {
      outcome = { failure: options.reason ?? 'failed' };
    } else {
      const expected = this.definition.objectives.length;
      if (
        result.length !== expected ||
        result.some((v) => typeof v !== 'number' || !Number.isFinite(v))
      ) {
        throw new Error(
          `study '${this.name}' trial ${number}: values ${JSON.stringify(result)} must be ${expected} finite numbers (${this.definition.objectives.map((o) => o.name).join(', ')}); tell 'failed' instead`,
        );
      }
      outcome = { values: [...result] };
    }
    return this.storage.finish(number, this.worker, outcome, options.userAttrs ?? {}, Date.now());
  }

  async setUserAttrs(number: number, attrs: Record<string, unknown>): Promise<void> {
    await this.storage.setUserAttrs(number, attrs);
  }

  /** Every trial of the study, from every worker, by number. */
  trials(): Promise<Trial[]> {
    return this.storage.trials();
  }

  /** Complete trials no other complete trial dominates (report-only objectives ignored). */
  async paretoFront(): Promise<Trial[]> {
    return paretoFrontOf(await this.trials(), this.definition.objectives);
  }

  async exportJson(): Promise<StudyJson> {
    const trials = await this.trials();
    return studyJson(this.definition, trials, paretoFrontOf(trials, this.definition.objectives));
  }

  async exportCsv(): Promise<string> {
    const trials = await this.trials();
    return studyCsv(this.definition, trials, paretoFrontOf(trials, this.definition.objectives));
  }

  private startHeartbeat(): void {
    if (this.heartbeatTimer) return;
    const period = Math.max(1000, this.staleAfterMs / 4);
    this.heartbeatTimer = setInterval(() => {
      this.storage.heartbeat(this.worker, Date.now()).catch((err: Error) => {
        process.stderr.write(`candor: study '${this.name}' heartbeat failed: ${err.message}\n`);
      });
    }, period);
    this.heartbeatTimer.unref();
  }

  async close(): Promise<void> {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
    await this.storage.close();
  }
}

/** Pareto-optimal complete trials, ordered by the first optimised objective. */
export function paretoFrontOf(trials: readonly Trial[], objectives: readonly Objective[]): Trial[] {
  const complete = trials.filter((t) => t.state === 'complete' && t.values !== null);
  const losses = complete.map((t) => lossVector(t.values as number[], objectives));
  return paretoFrontIndices(losses)
    .sort((a, b) => losses[a][0] - losses[b][0] || complete[a].number - complete[b].number)
    .map((i) => complete[i]);
}
