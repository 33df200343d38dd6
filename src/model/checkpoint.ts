// A model folder's safetensors checkpoint: model.safetensors, or every shard named by
// model.safetensors.index.json (checked against the shards' headers); which shard holds which
// tensor, and the index text. The loader reads tensors from it; export rewrites it shard by shard.

import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostTensor } from '../backend/backend.js';
import { openSafetensors, type SafetensorsFile } from './safetensors.js';
import {
  readSafetensorsIndex,
  SAFETENSORS_INDEX_NAME,
  SAFETENSORS_SINGLE_NAME,
} from './safetensors-shards.js';

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
  const exists = async (name: string) => (await stat(join(dir, name)).catch(() => null)) !== null;
  let index: Map<string, string> | null = null;
  let indexText: string | null = null;
  if (await exists(SAFETENSORS_INDEX_NAME)) {
    indexText = await readFile(join(dir, SAFETENSORS_INDEX_NAME), 'utf8');
    index = await readSafetensorsIndex(dir);
  } else if (!(await exists(SAFETENSORS_SINGLE_NAME))) {
    throw new Error(
      `${dir}: no ${SAFETENSORS_SINGLE_NAME} or ${SAFETENSORS_INDEX_NAME}; Candor reads safetensors checkpoints (convert .bin/.pth weights with transformers' save_pretrained)`,
    );
  }
  const names = index ? [...new Set(index.values())] : [SAFETENSORS_SINGLE_NAME];
  const shards = new Map<string, SafetensorsFile>();
  const owner = new Map<string, string>();
  try {
    for (const name of names) {
      const file = await openSafetensors(join(dir, name));
      shards.set(name, file);
      for (const tensor of file.tensors.keys()) owner.set(tensor, name);
    }
    for (const [tensor, shard] of index ?? []) {
      if (!shards.get(shard)!.tensors.has(tensor)) {
        throw new Error(
          `${join(dir, SAFETENSORS_INDEX_NAME)}: lists "${tensor}" in ${shard}, which does not hold it; re-download the model`,
        );
      }
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
