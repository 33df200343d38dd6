// PostgreSQL behind the SqlDriver surface (pg): one connection per study handle, so several
// processes or machines share a study; row locks (FOR UPDATE SKIP LOCKED) keep their claims apart.

import pg from 'pg';
import { SerialQueue, type SqlDriver, type SqlQuery, type SqlRow } from './sql-driver.js';

/** The URL with any password replaced, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

export async function openPostgresDriver(url: string): Promise<SqlDriver> {
  const location = redactUrl(url);
  const client = new pg.Client({ connectionString: url, application_name: 'candor' });
  // A dropped connection must fail the next call, not crash the process.
  client.on('error', (err) =>
    process.stderr.write(`candor: PostgreSQL ${location}: ${err.message}\n`),
  );
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `--storage ${location}: cannot connect to PostgreSQL (${(err as Error).message}); start the server (scripts/postgres-start.sh) or fix the URL`,
    );
  }
  const query: SqlQuery = async (sql, params = []) =>
    (await client.query(sql, params as unknown[])).rows as SqlRow[];
  const queue = new SerialQueue();
  return {
    dialect: 'postgres',
    location,
    transaction: (_write, fn) =>
      queue.run(async () => {
        await client.query('BEGIN');
        try {
          const result = await fn(query);
          await client.query('COMMIT');
          return result;
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
      }),
    close: () => queue.run(() => client.end()),
  };
}
