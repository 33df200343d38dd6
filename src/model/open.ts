// Open a Hugging Face model folder: config → ModelSpec, single or sharded safetensors checked
// against the tensors the architecture declares, and weights streamed one tensor at a time to a
// backend (fused phi3 tensors split into q/k/v and gate/up on the way).
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostTensor } from '../backend/backend.js';
import type { ArchitectureFamily, LayerSlot } from './architectures/family.js';
import { LLAMA_TENSORS } from './architectures/family.js';
import { readModelConfig } from './config.js';
import {
  openSafetensors,
  type SafetensorsFile,
  type SafetensorsTensorInfo,
} from './safetensors.js';
import {
  readSafetensorsIndex,
  SAFETENSORS_INDEX_NAME,
  SAFETENSORS_SINGLE_NAME,
} from './safetensors-shards.js';
import type { LayerWeights, ModelSpec, ModelWeights } from './spec.js';
import { type PlannedTensor, tensorPlan } from './tensor-layout.js';

export interface OpenModel {
  dir: string;
  spec: ModelSpec;
  /** the architecture family: its tensor names, for export */
  family: ArchitectureFamily;
  /** Upload every weight, one tensor in host memory at a time; tied lmHead is the embedding. */
  loadWeights<T>(upload: (name: string, t: HostTensor) => T): Promise<ModelWeights<T>>;
  /** every tensor name in the checkpoint, in file order */
  tensorNames(): string[];
  readTensor(name: string): Promise<HostTensor>;
  close(): Promise<void>;
}

const HOST_DTYPES = new Set(['F32', 'F16', 'BF16']);

export async function openModel(dir: string): Promise<OpenModel> {
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) {
    throw new Error(
      `${dir}: model folder not found (give a local folder or a Hugging Face model id)`,
    );
  }
  const { spec, family } = await readModelConfig(dir);
  const files = await openCheckpoint(dir);
  try {
    const located = new Map<string, { file: SafetensorsFile; info: SafetensorsTensorInfo }>();
    for (const file of files.values()) {
      for (const [name, tensorInfo] of file.tensors) located.set(name, { file, info: tensorInfo });
    }
    const plan = tensorPlan(spec, family);
    checkTensors(dir, plan, located, files.size > 1);
    const read = async (name: string): Promise<HostTensor> => {
      const at = located.get(name);
      if (!at) throw new Error(`${dir}: the checkpoint has no tensor "${name}"`);
      return at.file.read(name);
    };
    return {
      dir,
      spec,
      family,
      loadWeights: (upload) => loadWeights(spec, plan, read, upload),
      tensorNames: () => [...located.keys()],
      readTensor: read,
      close: async () => {
        for (const f of files.values()) await f.close();
      },
    };
  } catch (e) {
    for (const f of files.values()) await f.close();
    throw e;
  }
}

/** Open model.safetensors, or every shard named by model.safetensors.index.json. */
async function openCheckpoint(dir: string): Promise<Map<string, SafetensorsFile>> {
  const exists = async (name: string) => (await stat(join(dir, name)).catch(() => null)) !== null;
  const files = new Map<string, SafetensorsFile>();
  try {
    if (await exists(SAFETENSORS_INDEX_NAME)) {
      const index = await readSafetensorsIndex(dir);
      for (const shard of new Set(index.values())) {
        files.set(shard, await openSafetensors(join(dir, shard)));
      }
      for (const [name, shard] of index) {
        if (!files.get(shard)!.tensors.has(name)) {
          throw new Error(
            `${join(dir, SAFETENSORS_INDEX_NAME)}: lists "${name}" in ${shard}, which does not hold it; re-download the model`,
          );
        }
      }
    } else if (await exists(SAFETENSORS_SINGLE_NAME)) {
      files.set(SAFETENSORS_SINGLE_NAME, await openSafetensors(join(dir, SAFETENSORS_SINGLE_NAME)));
    } else {
      throw new Error(
        `${dir}: no ${SAFETENSORS_SINGLE_NAME} or ${SAFETENSORS_INDEX_NAME}; Candor reads safetensors checkpoints (convert .bin/.pth weights with transformers' save_pretrained)`,
      );
    }
  } catch (e) {
    for (const f of files.values()) await f.close();
    throw e;
  }
  return files;
}

function checkTensors(
  dir: string,
  plan: PlannedTensor[],
  located: Map<string, { file: SafetensorsFile; info: SafetensorsTensorInfo }>,
  sharded: boolean,
): void {
  const where = join(dir, sharded ? SAFETENSORS_INDEX_NAME : SAFETENSORS_SINGLE_NAME);
  for (const t of plan) {
    const at = located.get(t.name);
    if (!at) {
      throw new Error(
        `${where}: missing tensor "${t.name}" (shape [${t.shape}] expected from config.json); is the download complete?`,
      );
    }
    if (at.info.shape.join() !== t.shape.join()) {
      throw new Error(
        `${at.file.path}: tensor "${t.name}" has shape [${at.info.shape}], config.json implies [${t.shape}]; config and weights do not belong together`,
      );
    }
    if (!HOST_DTYPES.has(at.info.dtype)) {
      throw new Error(
        `${at.file.path}: tensor "${t.name}" is ${at.info.dtype}; Candor reads BF16, F16 and F32 weights (quantised checkpoints are not supported)`,
      );
    }
  }
}

async function loadWeights<T>(
  spec: ModelSpec,
  plan: PlannedTensor[],
  read: (name: string) => Promise<HostTensor>,
  upload: (name: string, t: HostTensor) => T,
): Promise<ModelWeights<T>> {
  const model: Partial<Record<'embedding' | 'finalNorm' | 'lmHead', T>> = {};
  const layers: Partial<LayerWeights<T>>[] = Array.from({ length: spec.numLayers }, () => ({}));
  for (const t of plan) {
    const host = await read(t.name);
    const dest = t.destination;
    if (dest.kind === 'model') {
      model[dest.field] = upload(t.name, host);
      continue;
    }
    if (dest.parts.length === 1) {
      layers[dest.layer][dest.parts[0].slot] = upload(t.name, host);
      continue;
    }
    // a fused tensor: consecutive row blocks, named as the unfused (Llama) tensors would be
    const rowBytes = host.bytes.byteLength / host.shape[0];
    let row = 0;
    for (const { slot, rows } of dest.parts) {
      const part: HostTensor = {
        shape: [rows, ...host.shape.slice(1)],
        dtype: host.dtype,
        bytes: host.bytes.slice(row * rowBytes, (row + rows) * rowBytes),
      };
      layers[dest.layer][slot] = upload(splitName(t.name, slot), part);
      row += rows;
    }
  }
  return {
    embedding: model.embedding!,
    layers: layers as LayerWeights<T>[],
    finalNorm: model.finalNorm!,
    lmHead: spec.tieWordEmbeddings ? model.embedding! : model.lmHead!,
  };
}

/** model.layers.3.self_attn.qkv_proj.weight, slot k → model.layers.3.self_attn.k_proj.weight */
function splitName(fusedName: string, slot: LayerSlot): string {
  const layerPrefix = /^(.*\.\d+\.)/.exec(fusedName)?.[1] ?? '';
  return layerPrefix + LLAMA_TENSORS.layer[slot];
}
