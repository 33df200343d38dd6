// Where the model of a run comes from: a local folder or a Hub snapshot, with the identity
// that keys cached baselines and model cards (Hub id and commit, or the local files' sizes and
// modification times).

import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { RunSettings } from '../config/settings.js';
import { resolveModelRepo } from '../hub/resolve.js';

export interface ModelSource {
  /** folder holding config.json, tokenizer and weights */
  dir: string;
  /** Hub id, or the folder path as given */
  name: string;
  onHub: boolean;
  /** Hub commit, null for a local folder */
  commit: string | null;
  /** a string that changes whenever the model's files change */
  identity: string;
}

export async function resolveModelDir(
  modelArg: string,
  s: Pick<RunSettings, 'token' | 'revision'>,
): Promise<ModelSource> {
  const repo = await resolveModelRepo(modelArg, {
    token: s.token ?? undefined,
    revision: s.revision,
  });
  const onHub = repo.source !== 'local';
  let identity: string;
  if (repo.commit) {
    identity = `${modelArg}@${repo.commit}`;
  } else {
    const hash = createHash('sha256').update(repo.dir);
    for (const file of repo.files) {
      const st = statSync(join(repo.dir, file));
      hash.update(`${file}:${st.size}:${st.mtimeMs}\n`);
    }
    identity = `local:${hash.digest('hex')}`;
  }
  return { dir: repo.dir, name: modelArg, onHub, commit: repo.commit, identity };
}
