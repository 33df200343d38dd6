// Uploads a saved folder (model or adapter, with its model card) to a Hugging Face Hub repo,
// creating the repo if needed. The endpoint follows HF_ENDPOINT, the token --token or HF_TOKEN.
// A folder with reproduce.json gets its reproduction files under reproduce/ in the repo and its
// model card tagged candor-reproducible.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createRepo, uploadFilesWithProgress, whoAmI } from '@huggingface/hub';
import { tagReproducible } from './model-card.js';

/** Files of a saved folder that go under reproduce/ in the repo. */
export const REPRODUCTION_FILES = ['reproduce.json', 'directions.json'];

export interface UploadOptions {
  token?: string;
  private?: boolean;
  log?: (line: string) => void;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** What the upload to `repoId` commits: repo path and content of every file of the folder. */
export function uploadEntries(
  folder: string,
  repoId: string,
): { path: string; content: URL | Blob }[] {
  const reproducible = existsSync(join(folder, 'reproduce.json'));
  return filesUnder(folder).map((path) => {
    const name = relative(folder, path);
    if (reproducible && REPRODUCTION_FILES.includes(name)) {
      return { path: `reproduce/${name}`, content: new URL(`file://${path}`) };
    }
    if (reproducible && name === 'README.md') {
      return {
        path: name,
        content: new Blob([tagReproducible(readFileSync(path, 'utf8'), repoId)]),
      };
    }
    return { path: name, content: new URL(`file://${path}`) };
  });
}

export async function uploadFolder(
  folder: string,
  repoId: string,
  opts: UploadOptions = {},
): Promise<void> {
  const accessToken = opts.token ?? process.env.HF_TOKEN;
  if (!accessToken) throw new Error(`upload to ${repoId}: no token; set HF_TOKEN or pass --token`);
  const hubUrl = process.env.HF_ENDPOINT ?? 'https://huggingface.co';
  const log = opts.log ?? (() => {});
  const user = await whoAmI({ accessToken, hubUrl });
  log(`uploading ${folder} to ${repoId} as ${user.name}`);
  const repo = { type: 'model' as const, name: repoId };
  try {
    await createRepo({ repo, accessToken, hubUrl, private: opts.private ?? false });
  } catch (err) {
    // an existing repo is fine: the upload adds a commit to it
    if (!/already exists|409/i.test((err as Error).message)) throw err;
  }
  const files = uploadEntries(folder, repoId);
  let last = -1;
  for await (const event of uploadFilesWithProgress({
    repo,
    accessToken,
    hubUrl,
    files,
    commitTitle: 'Upload from Candor',
  })) {
    if (event.event === 'fileProgress' && event.state === 'uploading') {
      const percent = Math.floor(event.progress * 100);
      if (percent >= last + 10) {
        log(`  ${event.path}: ${percent}%`);
        last = percent;
      }
    }
  }
  log(`uploaded: ${hubUrl}/${repoId}`);
}
