// Profile files written for a test (mine.toml in a fresh temporary folder), and the check that a
// bad one fails in one line naming the file.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProfile } from '../../src/profile/profile.js';

export function profileFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'candor-profile-')), 'mine.toml');
  writeFileSync(path, text);
  return path;
}

/** Loading a profile of `text` fails with `error`, in one line that starts with the file. */
export function assertBadProfile(text: string, error: RegExp): void {
  const path = profileFile(text);
  assert.throws(
    () => loadProfile(path),
    (err: Error) => {
      assert.match(err.message, error);
      assert.ok(!err.message.includes('\n'), 'one line');
      assert.ok(err.message.startsWith(path), 'names the file');
      return true;
    },
  );
}
