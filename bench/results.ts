// Records benchmark rows in bench/results.json: one row per (name, device), the newest wins.
// Every figure carries its peer, device, date and command (see ../shared/STYLE.md).

import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

export interface BenchRow {
  name: string;
  device: string;
  /** YYYY-MM-DD */
  date: string;
  command: string;
  candor: number;
  /** the peer measured in the same run (null where no peer exists) */
  peer: number | null;
  unit: string;
  higher_is_better: boolean;
  /** what the peer is, and anything a reader needs to trust the number */
  notes?: string;
}

const FILE = new URL('./results.json', import.meta.url);

/** The run's date (UTC), or BENCH_DATE where the machine's clock is not to be trusted. */
export const RUN_DATE = process.env.BENCH_DATE ?? new Date().toISOString().slice(0, 10);

export function readResults(): BenchRow[] {
  return existsSync(FILE) ? (JSON.parse(readFileSync(FILE, 'utf8')) as BenchRow[]) : [];
}

export function recordResults(rows: BenchRow[]): void {
  const kept = readResults().filter(
    (old) => !rows.some((row) => row.name === old.name && row.device === old.device),
  );
  const all = [...kept, ...rows].sort((a, b) => a.name.localeCompare(b.name));
  const tmp = new URL('./results.json.tmp', import.meta.url);
  writeFileSync(tmp, `${JSON.stringify(all, null, 2)}\n`);
  renameSync(tmp, FILE);
}
