// The small SQL surface the study store needs, so one storage module serves SQLite and
// PostgreSQL: parameterised queries ($1, $2, …) and serialised transactions.

import { openPostgresDriver } from './postgres-driver.js';
import { openSqliteDriver } from './sqlite-driver.js';

export type SqlValue = string | number | null;
export type SqlRow = Record<string, unknown>;

export interface SqlDriver {
  readonly dialect: 'sqlite' | 'postgres';
  /** where the data lives, for messages (a file path, or the URL without its password) */
  readonly location: string;
  /**
   * Runs `fn` in a transaction (write: takes the write lock at once, so concurrent writers queue
   * instead of failing), committing when it resolves and rolling back when it throws. Calls on one
   * driver run one at a time; `query` may only be called from inside `fn`.
   */
  transaction<T>(write: boolean, fn: (query: SqlQuery) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export type SqlQuery = (sql: string, params?: readonly SqlValue[]) => Promise<SqlRow[]>;

/** True when `storage` names a PostgreSQL database rather than a SQLite file. */
export function isPostgresUrl(storage: string): boolean {
  return /^postgres(ql)?:\/\//.test(storage);
}

export function openSqlDriver(storage: string): Promise<SqlDriver> {
  return isPostgresUrl(storage) ? openPostgresDriver(storage) : openSqliteDriver(storage);
}

/** Runs calls one after another (a promise-chain mutex). */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
