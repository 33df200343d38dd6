// Safe outputs: a folder is filled under a temporary name beside its target and renamed into
// place only when complete; a file is written the same way. An existing target is replaced only
// with `force`, so an interrupted export never leaves a half-written model behind.

import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function refuseExisting(path: string): Error {
  return new Error(`${path} already exists; pass --force to replace it, or choose another output`);
}

/** Move an existing target aside, put `temp` in its place, then delete the old one. */
async function replace(temp: string, target: string, force: boolean): Promise<void> {
  if (!(await exists(target))) {
    await rename(temp, target);
    return;
  }
  if (!force) throw refuseExisting(target);
  const old = `${temp}.old`;
  await rename(target, old);
  await rename(temp, target);
  await rm(old, { recursive: true, force: true });
}

function tempName(target: string): string {
  return join(
    dirname(target),
    `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
}

/** Fill a new folder through `fill(tempDir)`, then rename it to `target`. */
export async function writeFolder(
  target: string,
  force: boolean,
  fill: (dir: string) => Promise<void>,
): Promise<void> {
  const path = resolve(target);
  if (!force && (await exists(path))) throw refuseExisting(path);
  await mkdir(dirname(path), { recursive: true });
  const temp = tempName(path);
  await mkdir(temp);
  try {
    await fill(temp);
    await replace(temp, path, force);
  } catch (e) {
    await rm(temp, { recursive: true, force: true });
    throw e;
  }
}

/** Write one file through a temporary name beside it. */
export async function writeFileSafely(
  target: string,
  data: string | Uint8Array,
  force: boolean,
): Promise<void> {
  const path = resolve(target);
  if (!force && (await exists(path))) throw refuseExisting(path);
  await mkdir(dirname(path), { recursive: true });
  const temp = tempName(path);
  try {
    await writeFile(temp, data);
    await replace(temp, path, force);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
}
