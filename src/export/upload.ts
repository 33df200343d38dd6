// Uploads a saved folder (model or adapter, with its model card) to a Hugging Face Hub repo,
// creating the repo if needed. The endpoint follows HF_ENDPOINT, the token --token or HF_TOKEN.

import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createRepo, uploadFilesWithProgress, whoAmI } from '@huggingface/hub';

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
  const files = filesUnder(folder).map((path) => ({
    path: relative(folder, path),
    content: new URL(`file://${path}`),
  }));
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
