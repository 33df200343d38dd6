// Model and dataset ids → local folders. A local folder is used as is; a Hub id is resolved to a
// commit, its needed files downloaded into the shared Hugging Face cache (resumable, with
// progress), and its snapshot folder returned. Offline (HF_HUB_OFFLINE=1, --offline, or the Hub
// unreachable) the cache alone answers, through the refs earlier online runs wrote.

import { existsSync, statSync } from 'node:fs';
import { copyFile, lstat, mkdir, readdir, stat, symlink } from 'node:fs/promises';
import { dirname, join, relative, resolve as resolvePath } from 'node:path';
import { datasetInfo, HubApiError, listFiles, modelInfo } from '@huggingface/hub';
import { cachedSnapshot, hubCacheDir, type RepoType, repoCacheFolder, writeRef } from './cache.js';
import { dataFilesForSplit, splitsOffered } from './dataset-files.js';
import { downloadBlob, HttpStatusError } from './download.js';
import { DownloadProgress } from './progress.js';

export interface HubOptions {
  /** access token; default HF_TOKEN */
  token?: string;
  /** branch, tag or commit; default 'main' */
  revision?: string;
  /** use only the cache; default HF_HUB_OFFLINE */
  offline?: boolean;
  /** default HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub */
  cacheDir?: string;
  /** Hub address; default HF_ENDPOINT, else https://huggingface.co */
  endpoint?: string;
  /** byte progress on stderr; default true */
  progress?: boolean;
  fetch?: typeof fetch;
}

export interface ResolvedRepo {
  /** folder holding the files (the snapshot folder for Hub repos) */
  dir: string;
  /** repo-relative paths of the selected files */
  files: string[];
  /** null for a local folder */
  commit: string | null;
  source: 'local' | 'cache' | 'hub';
}

/** An error that explains itself in one line; callers print `message` alone. */
export class HubError extends Error {
  override name = 'HubError';
}

const API_TIMEOUT_MS = 60_000;

interface Settings {
  token: string | undefined;
  revision: string;
  offline: boolean;
  cacheDir: string;
  endpoint: string;
  progress: boolean;
  fetch: typeof fetch;
}

function envFlag(value: string | undefined): boolean {
  return value !== undefined && ['1', 'true', 'yes', 'on'].includes(value.trim().toLowerCase());
}

/** The Hub's address without a trailing slash: the explicit one, else HF_ENDPOINT, else huggingface.co. */
export function hubEndpoint(explicit?: string): string {
  return (explicit ?? process.env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, '');
}

function settings(opts: HubOptions): Settings {
  const token = opts.token ?? process.env.HF_TOKEN ?? process.env.HUGGING_FACE_HUB_TOKEN;
  if (token !== undefined && token !== '' && !token.startsWith('hf_')) {
    throw new HubError('Hugging Face token: a token starts with "hf_"; check HF_TOKEN or --token');
  }
  return {
    token: token === '' ? undefined : token,
    revision: opts.revision ?? 'main',
    offline: opts.offline ?? envFlag(process.env.HF_HUB_OFFLINE),
    cacheDir: hubCacheDir(opts.cacheDir),
    endpoint: hubEndpoint(opts.endpoint),
    progress: opts.progress ?? true,
    fetch: opts.fetch ?? fetch,
  };
}

function isNetworkError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return true;
  return err instanceof TypeError && /fetch failed/i.test(err.message);
}

/** Why a fetch failed, in a word or two (ECONNREFUSED, ENOTFOUND, ...). */
export function networkCause(err: Error): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? err.message;
}

interface Context {
  type: RepoType;
  id: string;
  s: Settings;
  gated: boolean;
  /** X-Error-Code of the last failed Hub answer */
  errorCode: string | null;
}

function repoPage(c: Context): string {
  return `${c.s.endpoint}/${c.type === 'dataset' ? 'datasets/' : ''}${c.id}`;
}

function describe(err: unknown, c: Context): HubError {
  const status =
    err instanceof HubApiError
      ? err.statusCode
      : err instanceof HttpStatusError
        ? err.status
        : null;
  if (status === null) return new HubError(`${c.id}: ${(err as Error).message}`);
  const code = (err instanceof HttpStatusError ? err.errorCode : null) ?? c.errorCode;
  const page = repoPage(c);
  if (code === 'GatedRepo' || ((status === 401 || status === 403) && c.gated)) {
    return new HubError(
      c.s.token
        ? `${c.id} is gated and the token has no access: accept its conditions at ${page} with the token's account`
        : `${c.id} is gated: set HF_TOKEN or pass --token (a token of an account that accepted the conditions at ${page})`,
    );
  }
  if (code === 'RevisionNotFound') {
    return new HubError(
      `${c.id}: revision "${c.s.revision}" not found; pass a branch, tag or commit of ${page}`,
    );
  }
  // The Hub answers 401 for a missing repo to clients without a token (private repos look the same).
  if (code === 'RepoNotFound' || status === 404 || (status === 401 && !c.s.token)) {
    return new HubError(
      `${c.id}: not found at ${page}; check the id, or set HF_TOKEN / pass --token if it is private`,
    );
  }
  if (status === 401)
    return new HubError(`${c.id}: the Hub rejected the token (401); check HF_TOKEN or --token`);
  return new HubError(
    `${c.id}: Hub request failed with HTTP ${status} (${(err as Error).message})`,
  );
}

/** Records the X-Error-Code of failed answers and bounds API calls in time. */
function observingFetch(c: Context): typeof fetch {
  return async (input, init) => {
    const res = await c.s.fetch(input, {
      ...init,
      signal: init?.signal ?? AbortSignal.timeout(API_TIMEOUT_MS),
    });
    if (!res.ok) c.errorCode = res.headers.get('x-error-code');
    return res;
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** snapshots/<commit>/<file> → ../../blobs/<etag>, relative like huggingface_hub; a copy where links fail. */
async function linkBlob(blob: string, pointer: string): Promise<void> {
  await mkdir(dirname(pointer), { recursive: true });
  try {
    await lstat(pointer);
    return;
  } catch {
    // not there yet
  }
  try {
    await symlink(relative(dirname(pointer), blob), pointer);
  } catch {
    await copyFile(blob, pointer);
  }
}

async function listFolder(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await listFolder(dir, path)));
    else out.push(path);
  }
  return out.sort();
}

function fromCache(
  c: Context,
  reason: string,
  select: (paths: string[]) => string[],
): Promise<ResolvedRepo> {
  const folder = repoCacheFolder(c.s.cacheDir, c.type, c.id);
  const snapshot = cachedSnapshot(folder, c.s.revision);
  if (snapshot === null) {
    throw new HubError(
      `${c.id}: ${reason}, and revision "${c.s.revision}" is not in the cache ${c.s.cacheDir}; run once online to download it`,
    );
  }
  return listFolder(snapshot.dir).then((paths) => {
    try {
      return {
        dir: snapshot.dir,
        files: select(paths),
        commit: snapshot.commit,
        source: 'cache' as const,
      };
    } catch (err) {
      // the cache may hold only part of the repo: say which copy was searched, and why
      throw new HubError(
        `${(err as Error).message} in the cached snapshot ${snapshot.dir} (${reason})`,
      );
    }
  });
}

interface ListedFile {
  path: string;
  size: number;
  etag: string;
  sha256?: string;
}

async function download(c: Context, commit: string, files: ListedFile[]): Promise<string> {
  const folder = repoCacheFolder(c.s.cacheDir, c.type, c.id);
  const snapshot = join(folder, 'snapshots', commit);
  const missing: ListedFile[] = [];
  for (const f of files) {
    const pointer = join(snapshot, f.path);
    if (await exists(pointer)) continue;
    const blob = join(folder, 'blobs', f.etag);
    if (await exists(blob)) await linkBlob(blob, pointer);
    else missing.push(f);
  }
  await mkdir(join(folder, 'blobs'), { recursive: true });
  await mkdir(snapshot, { recursive: true });
  if (missing.length === 0) return snapshot;

  const total = missing.reduce((n, f) => n + f.size, 0);
  const progress = new DownloadProgress(c.id, total, c.s.progress ? process.stderr : null);
  const repoPath = c.type === 'dataset' ? `datasets/${c.id}` : c.id;
  for (const f of missing) {
    const blob = join(folder, 'blobs', f.etag);
    const url = `${c.s.endpoint}/${repoPath}/resolve/${commit}/${f.path.split('/').map(encodeURIComponent).join('/')}`;
    try {
      await downloadBlob({
        url,
        token: c.s.token,
        blobPath: blob,
        size: f.size,
        sha256: f.sha256,
        file: f.path,
        fetch: c.s.fetch,
        progress,
      });
    } catch (err) {
      if (err instanceof HttpStatusError) throw describe(err, c);
      if (isNetworkError(err)) {
        throw new HubError(
          `${c.id}: ${f.path}: could not reach ${c.s.endpoint} (${networkCause(err as Error)}); run again to resume`,
        );
      }
      throw new HubError(`${c.id}: ${(err as Error).message}`);
    }
    await linkBlob(blob, join(snapshot, f.path));
  }
  progress.finish();
  return snapshot;
}

/** Resolves a Hub repo to a snapshot folder holding the files `select` picks from its paths. */
export async function resolveRepo(
  type: RepoType,
  id: string,
  opts: HubOptions,
  select: (paths: string[]) => string[],
): Promise<ResolvedRepo> {
  const c: Context = { type, id, s: settings(opts), gated: false, errorCode: null };
  if (c.s.offline) return fromCache(c, 'offline (HF_HUB_OFFLINE or --offline)', select);

  const f = observingFetch(c);
  const common = { hubUrl: c.s.endpoint, accessToken: c.s.token, fetch: f, revision: c.s.revision };
  let commit: string;
  try {
    const info =
      type === 'model'
        ? await modelInfo({ ...common, name: id, additionalFields: ['sha'] })
        : await datasetInfo({ ...common, name: id, additionalFields: ['sha'] });
    commit = info.sha as string;
    c.gated = Boolean(info.gated);
  } catch (err) {
    if (!isNetworkError(err)) throw describe(err, c);
    const reason = `could not reach ${c.s.endpoint} (${networkCause(err as Error)})`;
    const cached = await fromCache(c, reason, select);
    process.stderr.write(`${id}: ${reason}; using the cached snapshot ${cached.commit}\n`);
    return cached;
  }
  writeRef(repoCacheFolder(c.s.cacheDir, type, id), c.s.revision, commit);

  const listed: ListedFile[] = [];
  try {
    for await (const e of listFiles({
      ...common,
      repo: { type, name: id },
      recursive: true,
      revision: commit,
    })) {
      if (e.type !== 'file') continue;
      const etag = e.lfs?.oid ?? e.oid;
      if (etag === undefined)
        throw new HubError(`${id}: the Hub listed ${e.path} without an oid; cannot cache it`);
      listed.push({ path: e.path, size: e.size, etag, sha256: e.lfs?.oid });
    }
  } catch (err) {
    throw err instanceof HubError ? err : describe(err, c);
  }
  const wanted = new Set(select(listed.map((e) => e.path)));
  const dir = await download(
    c,
    commit,
    listed.filter((e) => wanted.has(e.path)),
  );
  return { dir, files: [...wanted].sort(), commit, source: 'hub' };
}

// Top-level files a model needs: config, tokenizer, chat template, safetensors weights, card.
const MODEL_FILE = /^[^/]+\.(json|safetensors|jinja|model|tiktoken|txt)$|^README\.md$/;

function selectModelFiles(id: string): (paths: string[]) => string[] {
  return (paths) => {
    const wanted = paths.filter((p) => MODEL_FILE.test(p));
    if (!wanted.some((p) => p.endsWith('.safetensors'))) {
      throw new HubError(
        `${id}: no .safetensors weights at the top of the repo (Candor reads safetensors only); pick a repo that has them`,
      );
    }
    return wanted;
  };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** A Hub id: `name` or `org/name` of letters, digits, `-`, `_`, `.`. */
export const HUB_ID = /^[\w.-]+(\/[\w.-]+)?$/;

/** A model folder: `idOrPath` itself when it is a folder, else the Hub snapshot of that id. */
export async function resolveModel(idOrPath: string, opts: HubOptions = {}): Promise<string> {
  return (await resolveModelRepo(idOrPath, opts)).dir;
}

export async function resolveModelRepo(
  idOrPath: string,
  opts: HubOptions = {},
): Promise<ResolvedRepo> {
  if (isDirectory(idOrPath)) {
    const dir = resolvePath(idOrPath);
    return { dir, files: await listFolder(dir), commit: null, source: 'local' };
  }
  if (!HUB_ID.test(idOrPath) || existsSync(idOrPath)) {
    throw new HubError(`${idOrPath}: not a model folder nor a Hub id (org/name); check the path`);
  }
  return resolveRepo('model', idOrPath, opts, selectModelFiles(idOrPath));
}

export interface ResolvedDataset extends ResolvedRepo {
  /** absolute paths of the split's data files, in shard order */
  splitFiles: string[];
}

/** The data files of one split of a Hub dataset, downloaded into (or found in) the cache. */
export async function resolveDataset(
  id: string,
  split: string,
  opts: HubOptions = {},
): Promise<ResolvedDataset> {
  const repo = await resolveRepo('dataset', id, opts, (paths) => {
    const files = dataFilesForSplit(paths, split);
    if (files.length === 0) {
      const offered = splitsOffered(paths);
      throw new HubError(
        `${id}: no data files for split "${split}"${offered.length ? ` (it has: ${offered.join(', ')})` : ' (no .parquet, .jsonl, .json, .csv or .txt files)'}`,
      );
    }
    return files;
  });
  return { ...repo, splitFiles: repo.files.map((f) => join(repo.dir, f)) };
}
