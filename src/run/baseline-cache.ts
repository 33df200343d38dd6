// The original model's first-token log-probabilities on the harmless evaluation prompts,
// computed once per study and kept on disk beside the study store, keyed by a hash of the
// model and the prompts so a changed prompt set never reuses stale numbers.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

const MAGIC = 'CANDOR-BASELINE-1';

export function baselineKey(modelIdentity: string, prompts: readonly number[][]): string {
  const hash = createHash('sha256').update(modelIdentity);
  for (const p of prompts) hash.update(Int32Array.from(p)).update('|');
  return hash.digest('hex');
}

/** Cached rows, or null when the file is missing or was made for other inputs. */
export function readBaseline(path: string, key: string, vocab: number): Float32Array[] | null {
  if (!existsSync(path)) return null;
  const bytes = readFileSync(path);
  const newline = bytes.indexOf(10);
  if (newline < 0) return null;
  const header = JSON.parse(bytes.subarray(0, newline).toString('utf8')) as {
    magic: string;
    key: string;
    rows: number;
    vocab: number;
  };
  if (header.magic !== MAGIC || header.key !== key || header.vocab !== vocab) return null;
  const body = bytes.subarray(newline + 1);
  if (body.length !== header.rows * vocab * 4) return null;
  // Copy out of the Buffer: its byte offset need not be 4-aligned.
  const all = new Float32Array(new Uint8Array(body).buffer);
  return Array.from({ length: header.rows }, (_, i) => all.subarray(i * vocab, (i + 1) * vocab));
}

export function writeBaseline(path: string, key: string, rows: readonly Float32Array[]): void {
  const vocab = rows[0]?.length ?? 0;
  const header = Buffer.from(
    `${JSON.stringify({ magic: MAGIC, key, rows: rows.length, vocab })}\n`,
  );
  const body = new Float32Array(rows.length * vocab);
  for (const [i, row] of rows.entries()) body.set(row, i * vocab);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, Buffer.concat([header, Buffer.from(body.buffer)]));
  renameSync(tmp, path);
}
