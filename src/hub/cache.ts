// The Hugging Face cache layout, shared with Python's huggingface_hub:
//   <cache>/models--org--name/{blobs/<etag>, snapshots/<commit>/<path> → ../../blobs/<etag>,
//   refs/<revision> = commit}; datasets under datasets--org--name. Also where the cache is
// (HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub) and lookups without network.

import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { getHFHubCachePath, getRepoFolderName } from '@huggingface/hub';

export type RepoType = 'model' | 'dataset';

export const COMMIT_HASH = /^[0-9a-f]{40}$/;

/** The cache folder: the explicit one, else HF_HUB_CACHE / HF_HOME / XDG_CACHE_HOME / ~/.cache. */
export function hubCacheDir(explicit?: string): string {
  return explicit ?? getHFHubCachePath();
}

/** <cache>/models--org--name (or datasets--org--name). */
export function repoCacheFolder(cacheDir: string, type: RepoType, id: string): string {
  return join(cacheDir, getRepoFolderName({ type, name: id }));
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The commit a ref (branch or tag) pointed to when last resolved online, or null. */
export function readRef(repoFolder: string, revision: string): string | null {
  try {
    const commit = readFileSync(join(repoFolder, 'refs', revision), 'utf8').trim();
    return COMMIT_HASH.test(commit) ? commit : null;
  } catch {
    return null;
  }
}

/** Records revision → commit, as huggingface_hub does (the JS library does not write refs). */
export function writeRef(repoFolder: string, revision: string, commit: string): void {
  if (revision === commit) return;
  const path = join(repoFolder, 'refs', revision);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, commit);
  renameSync(tmp, path);
}

export interface CachedSnapshot {
  commit: string;
  dir: string;
}

/** The cached snapshot for a revision (a commit, or a ref written by an earlier online run). */
export function cachedSnapshot(repoFolder: string, revision: string): CachedSnapshot | null {
  const commit = COMMIT_HASH.test(revision) ? revision : readRef(repoFolder, revision);
  if (commit === null) return null;
  const dir = join(repoFolder, 'snapshots', commit);
  return isDirectory(dir) ? { commit, dir } : null;
}
