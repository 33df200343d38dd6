// SQLite behind the SqlDriver surface (better-sqlite3): one file per study, WAL journal and a
// full sync per commit, so a killed process loses nothing committed and readers never block.

import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import {
  SerialQueue,
  type SqlDriver,
  type SqlQuery,
  type SqlRow,
  type SqlValue,
} from './sql-driver.js';

/** $1, $2, … → @p1, @p2, … (better-sqlite3 binds numbered parameters only by name). */
function namedParameters(sql: string): string {
  return sql.replace(/\$(\d+)/g, '@p$1');
}

export async function openSqliteDriver(path: string): Promise<SqlDriver> {
  const file = resolve(path);
  mkdirSync(dirname(file), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(file, { timeout: 30_000 });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
  } catch (err) {
    throw new Error(
      `study file ${file}: cannot open as SQLite (${(err as Error).message}); check the path, or delete a damaged file`,
    );
  }
  const statements = new Map<string, Database.Statement>();
  const query: SqlQuery = async (sql, params = []) => {
    let stmt = statements.get(sql);
    if (!stmt) {
      stmt = db.prepare(namedParameters(sql));
      statements.set(sql, stmt);
    }
    const bound: Record<string, SqlValue> = {};
    params.forEach((v, i) => {
      bound[`p${i + 1}`] = v;
    });
    if (stmt.reader) return stmt.all(bound) as SqlRow[];
    stmt.run(bound);
    return [];
  };
  const queue = new SerialQueue();
  return {
    dialect: 'sqlite',
    location: file,
    transaction: (write, fn) =>
      queue.run(async () => {
        db.exec(write ? 'BEGIN IMMEDIATE' : 'BEGIN');
        try {
          const result = await fn(query);
          db.exec('COMMIT');
          return result;
        } catch (err) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw err;
        }
      }),
    close: () => queue.run(async () => void db.close()),
  };
}
