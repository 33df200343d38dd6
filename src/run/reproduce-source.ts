// Where `candor reproduce` finds a reproduce.json and its directions: a local file (or the export
// folder holding it); a Hub model repo (`org/name`, or its page, blob or resolve URL on the Hub
// endpoint: HF_ENDPOINT, else huggingface.co), downloaded into the Hugging Face cache; or any
// http(s) URL of a reproduce.json, with the directions file resolved beside it. The original
// export's tensors stay where they are and are read by range only when a tensor differs.

import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { HubError, hubEndpoint, networkCause, resolveRepo } from '../hub/resolve.js';
import {
  exportFolderOf,
  exportUrlOf,
  httpExport,
  localExport,
  type OriginalExport,
} from './original-export.js';
import { DIRECTIONS_FILE, REPRODUCE_FILE, type ReproduceJson } from './reproduce.js';

export interface ReproductionSource {
  /** local path of reproduce.json, with its directions file beside it */
  file: string;
  original: OriginalExport;
  /** removes what was downloaded outside the Hub cache */
  dispose(): Promise<void>;
}

export interface SourceOptions {
  token?: string;
  /** Hub address; default HF_ENDPOINT, else https://huggingface.co */
  endpoint?: string;
  /** Hub cache; default HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub */
  cacheDir?: string;
}

/** Where upload puts reproduce.json in a repo (src/export/upload.ts); a repo root one also counts. */
const HUB_RECORD_PATHS = [`reproduce/${REPRODUCE_FILE}`, REPRODUCE_FILE];
/** `org/name` only: a bare name is more likely a misspelt file than a Hub id */
const REPO_ID = /^[\w.-]+\/[\w.-]+$/;

const nothingToDispose = async (): Promise<void> => {};

function localSource(path: string): ReproductionSource {
  const file = !statSync(path).isDirectory()
    ? path
    : [join(path, REPRODUCE_FILE), join(path, 'reproduce', REPRODUCE_FILE)].find((f) =>
        existsSync(f),
      );
  if (file === undefined) {
    throw new Error(`${path}: no ${REPRODUCE_FILE} in this folder nor in its reproduce/ folder`);
  }
  return { file, original: localExport(exportFolderOf(dirname(file))), dispose: nothingToDispose };
}

interface HubTarget {
  id: string;
  revision: string;
  /** path of reproduce.json in the repo; null: where upload puts it */
  path: string | null;
}

/** `org/name[/blob|resolve|tree/REV[/path]]` of a Hub URL's path, or null when it is not one. */
function hubTarget(pathname: string): HubTarget | null {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length < 2 || !REPO_ID.test(`${parts[0]}/${parts[1]}`)) return null;
  const id = `${parts[0]}/${parts[1]}`;
  if (parts.length === 2) return { id, revision: 'main', path: null };
  if (!['blob', 'resolve', 'tree'].includes(parts[2]) || parts.length < 4) return null;
  const rest = parts.slice(4).join('/');
  return {
    id,
    revision: parts[3],
    path: rest === '' ? null : rest.endsWith('.json') ? rest : `${rest}/${REPRODUCE_FILE}`,
  };
}

async function hubSource(
  target: HubTarget,
  opts: SourceOptions,
  endpoint: string,
): Promise<ReproductionSource> {
  let recordPath = '';
  const token = opts.token ?? process.env.HF_TOKEN;
  const repo = await resolveRepo(
    'model',
    target.id,
    { token, revision: target.revision, endpoint, cacheDir: opts.cacheDir },
    (paths) => {
      const found = (target.path ? [target.path] : HUB_RECORD_PATHS).find((p) => paths.includes(p));
      if (found === undefined) {
        throw new HubError(
          `${target.id}: no ${target.path ?? HUB_RECORD_PATHS[0]} at revision "${target.revision}" (only models saved and uploaded by Candor carry one)`,
        );
      }
      recordPath = found;
      const directions = posix.join(posix.dirname(found), DIRECTIONS_FILE);
      return paths.includes(directions) ? [found, directions] : [found];
    },
  );
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  const recordUrl = new URL(`${endpoint}/${target.id}/resolve/${repo.commit}/${recordPath}`);
  return {
    file: join(repo.dir, recordPath),
    original: httpExport(exportUrlOf(recordUrl), headers),
    dispose: nothingToDispose,
  };
}

async function download(url: URL, what: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    throw new Error(`${url.href}: could not fetch ${what} (${networkCause(err as Error)})`);
  }
  if (!res.ok) throw new Error(`${url.href}: could not fetch ${what} (HTTP ${res.status})`);
  return res.text();
}

/** A reproduce.json at any URL: it and its directions file into a temporary folder. */
async function urlSource(url: URL): Promise<ReproductionSource> {
  const text = await download(url, 'the reproduction record');
  let record: Partial<ReproduceJson>;
  try {
    record = JSON.parse(text) as Partial<ReproduceJson>;
  } catch {
    throw new Error(`${url.href}: not a candor reproduce.json (not JSON)`);
  }
  if (record?.format !== 'candor-reproduce') {
    throw new Error(`${url.href}: not a candor reproduce.json (format ${String(record?.format)})`);
  }
  const name = record.directions?.file ?? '';
  if (!/^[\w.-]+$/.test(name)) {
    throw new Error(`${url.href}: its directions file "${name}" is not a file name beside it`);
  }
  const directions = await download(new URL(name, url), 'the directions');
  const dir = await mkdtemp(join(tmpdir(), 'candor-reproduce-url-'));
  await writeFile(join(dir, REPRODUCE_FILE), text);
  await writeFile(join(dir, name), directions);
  return {
    file: join(dir, REPRODUCE_FILE),
    original: httpExport(exportUrlOf(url)),
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The reproduce.json that `arg` names (file, folder, Hub id, Hub URL or URL), ready to read. */
export async function openReproduction(
  arg: string,
  opts: SourceOptions = {},
): Promise<ReproductionSource> {
  if (existsSync(arg)) return localSource(arg);
  const endpoint = hubEndpoint(opts.endpoint);
  if (/^https?:\/\//i.test(arg)) {
    let url: URL;
    try {
      url = new URL(arg);
    } catch {
      throw new Error(`${arg}: not a valid URL`);
    }
    if (url.origin !== new URL(endpoint).origin) return urlSource(url);
    const target = hubTarget(url.pathname);
    if (target === null) {
      throw new Error(
        `${arg}: not a model repo URL (${endpoint}/ORG/NAME, optionally /blob/REVISION/PATH)`,
      );
    }
    return hubSource(target, opts, endpoint);
  }
  if (REPO_ID.test(arg))
    return hubSource({ id: arg, revision: 'main', path: null }, opts, endpoint);
  throw new Error(`${arg}: no such file or folder, and not a URL nor a Hub id (org/name)`);
}
