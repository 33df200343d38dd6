// Sharded safetensors checkpoints: writing `model-0000i-of-0000n.safetensors` plus
// `model.safetensors.index.json` exactly as transformers' `save_pretrained` splits and indexes
// them, and reading an index back into a tensor → file map.
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pythonJsonDumps } from './python-json.js';
import { type TensorSource, tensorByteLength, writeSafetensors } from './safetensors.js';

export const SAFETENSORS_INDEX_NAME = 'model.safetensors.index.json';
export const SAFETENSORS_SINGLE_NAME = 'model.safetensors';

export interface ShardedWriteOptions {
  /** bytes per shard; a larger tensor gets a shard of its own (transformers' rule). Default 5 GB */
  maxShardSize?: number;
  /** header metadata of every shard; transformers writes {format: 'pt'} */
  metadata?: Record<string, string>;
}

export interface SafetensorsIndex {
  metadata: { total_parameters: number; total_size: number };
  weight_map: Record<string, string>;
}

/**
 * Split tensors (in the order given, as a state dict) into shards and write them into `dir`.
 * One shard: `model.safetensors` and no index, like transformers. Returns the file names written.
 */
export async function writeShardedSafetensors(
  dir: string,
  tensors: readonly (readonly [string, TensorSource])[],
  opts: ShardedWriteOptions = {},
): Promise<string[]> {
  const maxShardSize = opts.maxShardSize ?? 5_000_000_000;
  const metadata = opts.metadata ?? { format: 'pt' };
  const shards = splitIntoShards(tensors, maxShardSize);
  const names =
    shards.length === 1
      ? [SAFETENSORS_SINGLE_NAME]
      : shards.map((_, i) => `model-${pad5(i + 1)}-of-${pad5(shards.length)}.safetensors`);
  for (let i = 0; i < shards.length; i++) {
    await writeSafetensors(join(dir, names[i]), shards[i], metadata);
  }
  if (shards.length === 1) return names;
  const index: SafetensorsIndex = {
    metadata: {
      total_parameters: tensors.reduce((n, [, t]) => n + t.shape.reduce((a, b) => a * b, 1), 0),
      total_size: tensors.reduce((n, [, t]) => n + tensorByteLength(t), 0),
    },
    weight_map: Object.fromEntries(shards.flatMap((s, i) => s.map(([name]) => [name, names[i]]))),
  };
  const path = join(dir, SAFETENSORS_INDEX_NAME);
  const temp = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(temp, pythonJsonDumps(index, { indent: 2, sortKeys: true }) + '\n');
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
  return [...names, SAFETENSORS_INDEX_NAME];
}

/** huggingface_hub's split_state_dict_into_shards_factory, without shared storages. */
function splitIntoShards(
  tensors: readonly (readonly [string, TensorSource])[],
  maxShardSize: number,
): (readonly [string, TensorSource])[][] {
  const shards: (readonly [string, TensorSource])[][] = [];
  let current: (readonly [string, TensorSource])[] = [];
  let currentSize = 0;
  for (const entry of tensors) {
    const size = tensorByteLength(entry[1]);
    if (size > maxShardSize) {
      shards.push([entry]);
      continue;
    }
    if (currentSize + size > maxShardSize) {
      shards.push(current);
      current = [];
      currentSize = 0;
    }
    current.push(entry);
    currentSize += size;
  }
  if (current.length > 0 || shards.length === 0) shards.push(current);
  return shards;
}

function pad5(n: number): string {
  return String(n).padStart(5, '0');
}

/** Read `model.safetensors.index.json` in `dir`: tensor name → shard file name. */
export async function readSafetensorsIndex(dir: string): Promise<Map<string, string>> {
  const path = join(dir, SAFETENSORS_INDEX_NAME);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: cannot read (${(e as Error).message})`);
  }
  const map = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) {
    throw new Error(`${path}: no "weight_map" object; re-download the model's index file`);
  }
  const out = new Map<string, string>();
  for (const [name, file] of Object.entries(map)) {
    if (typeof file !== 'string' || file.includes('/') || file.includes('\\')) {
      throw new Error(
        `${path}: weight_map["${name}"] must be a file name, got ${JSON.stringify(file)}`,
      );
    }
    out.set(name, file);
  }
  return out;
}
