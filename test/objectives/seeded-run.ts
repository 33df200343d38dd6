// Helpers shared by the seed and reproduction tests: an unattended seeded run on the CPU
// backend, and the sha256 of an export's safetensors files.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { candor } from '../helpers/cli.js';

/** Pinned export hashes hold on this platform only: floating point may round otherwise elsewhere. */
export const PINNED_PLATFORM = 'linux-x64';
export const onPinnedPlatform = `${process.platform}-${process.arch}` === PINNED_PLATFORM;

/** `candor run MODEL --yes --backend=cpu` into DIR/out (its study beside it); the output folder. */
export function seededRun(
  dir: string,
  model: string,
  extra: string[],
  env: NodeJS.ProcessEnv = process.env,
): string {
  const output = join(dir, 'out');
  const r = candor(
    ['run', model, '--yes', '--backend=cpu', '--batch-size=8', `--output=${output}`, ...extra],
    { env },
  );
  assert.equal(r.code, 0, r.stderr);
  return output;
}

/** sha256 of every safetensors file of an export folder */
export function shards(folder: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(folder).sort()) {
    if (name.endsWith('.safetensors')) {
      out[name] = createHash('sha256')
        .update(readFileSync(join(folder, name)))
        .digest('hex');
    }
  }
  return out;
}
