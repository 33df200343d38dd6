// A model folder's safetensors checkpoint as files, not just tensors: which shard holds which
// tensor, each shard's header metadata, and the index. Export rewrites it shard by shard.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostTensor } from '../backend/backend.js';
import { openSafetensors, type SafetensorsFile } from '../model/safetensors.js';
import {
  readSafetensorsIndex,
  SAFETENSORS_INDEX_NAME,
  SAFETENSORS_SINGLE_NAME,
} from '../model/safetensors-shards.js';

export interface Checkpoint {
  dir: string;
  /** shard file name → open file, in index order (one entry for a single-file model) */
  shards: Map<string, SafetensorsFile>;
  /** the index JSON text as stored, or null for a single-file model */
  indexText: string | null;
  /** the shard file name holding `tensor`, or undefined */
  shardOf(tensor: string): string | undefined;
  read(tensor: string): Promise<HostTensor>;
  close(): Promise<void>;
}

export async function openCheckpoint(dir: string): Promise<Checkpoint> {
  let index: Map<string, string> | null = null;
  let indexText: string | null = null;
  try {
    indexText = await readFile(join(dir, SAFETENSORS_INDEX_NAME), 'utf8');
  } catch {
    // no index: a single model.safetensors
  }
  if (indexText !== null) index = await readSafetensorsIndex(dir);
  const names = index ? [...new Set(index.values())] : [SAFETENSORS_SINGLE_NAME];
  const shards = new Map<string, SafetensorsFile>();
  const owner = new Map<string, string>();
  try {
    for (const name of names) {
      const file = await openSafetensors(join(dir, name));
      shards.set(name, file);
      for (const tensor of file.tensors.keys()) owner.set(tensor, name);
    }
  } catch (e) {
    for (const f of shards.values()) await f.close();
    throw e;
  }
  return {
    dir,
    shards,
    indexText,
    shardOf: (tensor) => owner.get(tensor),
    read: (tensor) => {
      const shard = owner.get(tensor);
      if (!shard) throw new Error(`${dir}: no tensor named '${tensor}' in the checkpoint`);
      return (shards.get(shard) as SafetensorsFile).read(tensor);
    },
    close: async () => {
      for (const f of shards.values()) await f.close();
    },
  };
}
