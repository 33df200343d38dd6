// The study store's schema and every state change, written once for SQLite and PostgreSQL. Each
// change is one transaction, so a killed process loses at most the trial it was running. Trial
// states: pending → running → complete | failed; a running trial whose worker died goes back to
// pending (or to failed after too many attempts).

import type { Objective } from './pareto.js';
import type { Params, SearchSpace } from './space.js';
import type { SqlDriver, SqlQuery, SqlRow } from './sql-driver.js';
import type { TpeSettings } from './tpe.js';

export const SCHEMA_VERSION = 1;

/** Same DDL for both databases: TEXT holds JSON, BIGINT holds milliseconds since the epoch. */
const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS candor_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS candor_studies (
    name TEXT PRIMARY KEY,
    objectives TEXT NOT NULL,
    space TEXT NOT NULL,
    sampler TEXT NOT NULL,
    seed BIGINT NOT NULL,
    next_number INTEGER NOT NULL,
    created_at BIGINT NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS candor_trials (
    study TEXT NOT NULL REFERENCES candor_studies (name),
    number INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'complete', 'failed')),
    params TEXT NOT NULL,
    objective_values TEXT,
    user_attrs TEXT NOT NULL,
    failure TEXT,
    worker TEXT,
    attempts INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT,
    heartbeat_at BIGINT,
    PRIMARY KEY (study, number)
  )`,
  'CREATE INDEX IF NOT EXISTS candor_trials_by_state ON candor_trials (study, state, number)',
];

export type TrialState = 'pending' | 'running' | 'complete' | 'failed';

export interface StudyDefinition {
  name: string;
  objectives: Objective[];
  space: SearchSpace;
  sampler: TpeSettings;
  seed: number;
}

export interface Trial {
  number: number;
  state: TrialState;
  params: Params;
  /** one value per objective, once complete */
  values: number[] | null;
  userAttrs: Record<string, unknown>;
  /** why a failed trial failed */
  failure: string | null;
  /** host:pid:nonce of the process that runs (or last ran) it */
  worker: string | null;
  /** how many times it was started */
  attempts: number;
  /** milliseconds since the epoch */
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  heartbeatAt: number | null;
}

const TRIAL_COLUMNS =
  'number, state, params, objective_values, user_attrs, failure, worker, attempts, created_at, started_at, finished_at, heartbeat_at';

function numberOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

function trialFromRow(row: SqlRow): Trial {
  return {
    number: Number(row.number),
    state: row.state as TrialState,
    params: JSON.parse(row.params as string) as Params,
    values:
      row.objective_values === null
        ? null
        : (JSON.parse(row.objective_values as string) as number[]),
    userAttrs: JSON.parse(row.user_attrs as string) as Record<string, unknown>,
    failure: (row.failure as string | null) ?? null,
    worker: (row.worker as string | null) ?? null,
    attempts: Number(row.attempts),
    createdAt: Number(row.created_at),
    startedAt: numberOrNull(row.started_at),
    finishedAt: numberOrNull(row.finished_at),
    heartbeatAt: numberOrNull(row.heartbeat_at),
  };
}

export interface StaleRecovery {
  requeued: number[];
  failed: number[];
}

export class StudyStorage {
  private constructor(
    readonly driver: SqlDriver,
    readonly study: string,
  ) {}

  /** Row locks in PostgreSQL; SQLite's write transaction already holds the whole file. */
  private get lockRow(): string {
    return this.driver.dialect === 'postgres' ? ' FOR UPDATE' : '';
  }

  /**
   * Creates the schema if needed and the study if new; returns the stored definition (which wins
   * over `definition` for an existing study) and whether it was created now.
   */
  static async open(
    driver: SqlDriver,
    definition: StudyDefinition,
  ): Promise<{ storage: StudyStorage; stored: StudyDefinition; created: boolean }> {
    const storage = new StudyStorage(driver, definition.name);
    const result = await driver.transaction(true, async (query) => {
      // Concurrent first opens would race on CREATE TABLE in PostgreSQL: serialise them.
      if (driver.dialect === 'postgres') await query('SELECT pg_advisory_xact_lock(7423001)');
      // DDL on an existing store would take table locks that deadlock against workers busy in
      // a claim (CREATE INDEX IF NOT EXISTS still locks the table): only a new store runs it.
      const [present] = await query(
        driver.dialect === 'postgres'
          ? "SELECT (to_regclass('candor_trials') IS NOT NULL)::int AS n"
          : "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'candor_trials'",
      );
      if (Number(present.n) === 0) for (const ddl of SCHEMA) await query(ddl);
      await query(
        'INSERT INTO candor_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING',
        ['schema_version', String(SCHEMA_VERSION)],
      );
      const [meta] = await query('SELECT value FROM candor_meta WHERE key = $1', [
        'schema_version',
      ]);
      if (Number(meta.value) !== SCHEMA_VERSION) {
        throw new Error(
          `study store ${driver.location}: schema version ${meta.value}, this Candor reads ${SCHEMA_VERSION}; use a matching Candor or a new store`,
        );
      }
      const inserted = await query(
        `INSERT INTO candor_studies (name, objectives, space, sampler, seed, next_number, created_at)
         VALUES ($1, $2, $3, $4, $5, 0, $6) ON CONFLICT (name) DO NOTHING RETURNING name`,
        [
          definition.name,
          JSON.stringify(definition.objectives),
          JSON.stringify(definition.space),
          JSON.stringify(definition.sampler),
          definition.seed,
          Date.now(),
        ],
      );
      const [row] = await query('SELECT * FROM candor_studies WHERE name = $1', [definition.name]);
      const stored: StudyDefinition = {
        name: row.name as string,
        objectives: JSON.parse(row.objectives as string),
        space: JSON.parse(row.space as string),
        sampler: JSON.parse(row.sampler as string),
        seed: Number(row.seed),
      };
      return { stored, created: inserted.length === 1 };
    });
    return { storage, ...result };
  }

  /** Every study's stored definition, for opening one without knowing how it was created. */
  static async definitions(driver: SqlDriver): Promise<StudyDefinition[]> {
    return driver.transaction(false, async (query) => {
      try {
        const rows = await query('SELECT * FROM candor_studies ORDER BY created_at');
        return rows.map((row) => ({
          name: row.name as string,
          objectives: JSON.parse(row.objectives as string),
          space: JSON.parse(row.space as string),
          sampler: JSON.parse(row.sampler as string),
          seed: Number(row.seed),
        }));
      } catch {
        return []; // not a study store yet: no tables
      }
    });
  }

  async trials(): Promise<Trial[]> {
    return this.driver.transaction(false, (query) => this.readTrials(query));
  }

  private async readTrials(query: SqlQuery): Promise<Trial[]> {
    const rows = await query(
      `SELECT ${TRIAL_COLUMNS} FROM candor_trials WHERE study = $1 ORDER BY number`,
      [this.study],
    );
    return rows.map(trialFromRow);
  }

  /** Claims the oldest pending trial for `worker`; null when none is pending. */
  async claimPending(worker: string, now: number): Promise<Trial | null> {
    const skipLocked = this.driver.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
    return this.driver.transaction(true, async (query) => {
      const rows = await query(
        `UPDATE candor_trials SET state = 'running', worker = $2, started_at = $3, heartbeat_at = $3,
           attempts = attempts + 1
         WHERE study = $1 AND number = (
           SELECT number FROM candor_trials WHERE study = $1 AND state = 'pending'
           ORDER BY number LIMIT 1${skipLocked})
         RETURNING ${TRIAL_COLUMNS}`,
        [this.study, worker, now],
      );
      return rows.length === 1 ? trialFromRow(rows[0]) : null;
    });
  }

  /**
   * Reserves the next trial number, reads every trial, asks `propose` for the parameters and
   * stores the trial as running under `worker`, all in one transaction: the study row's lock makes
   * workers propose one at a time, each seeing the others' running trials. Null once `maxTrials`
   * numbers are used.
   */
  async createRunning(
    worker: string,
    now: number,
    maxTrials: number | null,
    propose: (number: number, trials: Trial[]) => Params,
  ): Promise<Trial | null> {
    return this.driver.transaction(true, async (query) => {
      const number = await this.reserveNumber(query, maxTrials);
      if (number === null) return null;
      const params = propose(number, await this.readTrials(query));
      const [row] = await query(
        `INSERT INTO candor_trials (study, number, state, params, user_attrs, worker, attempts,
           created_at, started_at, heartbeat_at)
         VALUES ($1, $2, 'running', $3, '{}', $4, 1, $5, $5, $5) RETURNING ${TRIAL_COLUMNS}`,
        [this.study, number, JSON.stringify(params), worker, now],
      );
      return trialFromRow(row);
    });
  }

  /** Adds a pending trial with given parameters (claimed before any new proposal). */
  async enqueue(params: Params, userAttrs: Record<string, unknown>, now: number): Promise<Trial> {
    return this.driver.transaction(true, async (query) => {
      const number = (await this.reserveNumber(query, null)) as number;
      const [row] = await query(
        `INSERT INTO candor_trials (study, number, state, params, user_attrs, attempts, created_at)
         VALUES ($1, $2, 'pending', $3, $4, 0, $5) RETURNING ${TRIAL_COLUMNS}`,
        [this.study, number, JSON.stringify(params), JSON.stringify(userAttrs), now],
      );
      return trialFromRow(row);
    });
  }

  private async reserveNumber(query: SqlQuery, maxTrials: number | null): Promise<number | null> {
    const [row] = await query(
      `SELECT next_number FROM candor_studies WHERE name = $1${this.lockRow}`,
      [this.study],
    );
    const number = Number(row.next_number);
    if (maxTrials !== null && number >= maxTrials) return null;
    await query('UPDATE candor_studies SET next_number = $2 WHERE name = $1', [
      this.study,
      number + 1,
    ]);
    return number;
  }

  /**
   * Finishes a trial that `worker` runs: complete with values, or failed with a reason. Throws when
   * the trial is not running under `worker` (e.g. it was re-queued after the worker seemed dead).
   */
  async finish(
    number: number,
    worker: string,
    outcome: { values: number[] } | { failure: string },
    userAttrs: Record<string, unknown>,
    now: number,
  ): Promise<Trial> {
    return this.driver.transaction(true, async (query) => {
      const [current] = await query(
        `SELECT ${TRIAL_COLUMNS} FROM candor_trials WHERE study = $1 AND number = $2${this.lockRow}`,
        [this.study, number],
      );
      if (!current) throw new Error(`study '${this.study}': trial ${number} does not exist`);
      const trial = trialFromRow(current);
      if (trial.state !== 'running' || trial.worker !== worker) {
        throw new Error(
          `study '${this.study}': trial ${number} is ${trial.state} under worker ${trial.worker ?? 'none'}, not running under this one (${worker}); it was re-queued or finished elsewhere, so drop this result`,
        );
      }
      const merged = { ...trial.userAttrs, ...userAttrs };
      const [row] = await query(
        `UPDATE candor_trials SET state = $3, objective_values = $4, failure = $5, user_attrs = $6,
           finished_at = $7
         WHERE study = $1 AND number = $2 RETURNING ${TRIAL_COLUMNS}`,
        [
          this.study,
          number,
          'values' in outcome ? 'complete' : 'failed',
          'values' in outcome ? JSON.stringify(outcome.values) : null,
          'failure' in outcome ? outcome.failure : null,
          JSON.stringify(merged),
          now,
        ],
      );
      return trialFromRow(row);
    });
  }

  /** Merges `attrs` into a trial's user attributes (any state). */
  async setUserAttrs(number: number, attrs: Record<string, unknown>): Promise<void> {
    await this.driver.transaction(true, async (query) => {
      const [row] = await query(
        `SELECT user_attrs FROM candor_trials WHERE study = $1 AND number = $2${this.lockRow}`,
        [this.study, number],
      );
      if (!row) throw new Error(`study '${this.study}': trial ${number} does not exist`);
      const merged = { ...JSON.parse(row.user_attrs as string), ...attrs };
      await query('UPDATE candor_trials SET user_attrs = $3 WHERE study = $1 AND number = $2', [
        this.study,
        number,
        JSON.stringify(merged),
      ]);
    });
  }

  /** Marks `worker`'s running trials as alive now. */
  async heartbeat(worker: string, now: number): Promise<void> {
    await this.driver.transaction(true, (query) =>
      query(
        `UPDATE candor_trials SET heartbeat_at = $3 WHERE study = $1 AND state = 'running' AND worker = $2`,
        [this.study, worker, now],
      ),
    );
  }

  /**
   * Running trials for which `isStale` holds go back to pending, or to failed once they were
   * started `maxAttempts` times (a trial that kills its worker must not loop forever).
   */
  async recoverStale(
    isStale: (trial: Trial) => boolean,
    maxAttempts: number,
    now: number,
  ): Promise<StaleRecovery> {
    const skipLocked = this.driver.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
    return this.driver.transaction(true, async (query) => {
      const rows = await query(
        `SELECT ${TRIAL_COLUMNS} FROM candor_trials WHERE study = $1 AND state = 'running'
         ORDER BY number${skipLocked}`,
        [this.study],
      );
      const recovery: StaleRecovery = { requeued: [], failed: [] };
      for (const trial of rows.map(trialFromRow).filter(isStale)) {
        if (trial.attempts >= maxAttempts) {
          await query(
            `UPDATE candor_trials SET state = 'failed', failure = $3, finished_at = $4
             WHERE study = $1 AND number = $2`,
            [
              this.study,
              trial.number,
              `interrupted ${trial.attempts} times (worker ${trial.worker} stopped mid-trial)`,
              now,
            ],
          );
          recovery.failed.push(trial.number);
        } else {
          await query(
            `UPDATE candor_trials SET state = 'pending', worker = NULL, started_at = NULL, heartbeat_at = NULL
             WHERE study = $1 AND number = $2`,
            [this.study, trial.number],
          );
          recovery.requeued.push(trial.number);
        }
      }
      return recovery;
    });
  }

  close(): Promise<void> {
    return this.driver.close();
  }
}
