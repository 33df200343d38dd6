// Open a Hugging Face model folder: config → ModelSpec, single or sharded safetensors checked
// against the tensors the architecture declares, and weights streamed one tensor at a time to a
// backend (fused phi3 tensors split into q/k/v and gate/up on the way).
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostTensor, WeightStream } from '../backend/backend.js';
import { rowsOf } from '../backend/weight-stream.js';
import type { ArchitectureFamily, LayerSlot } from './architectures/family.js';
import { LLAMA_TENSORS } from './architectures/family.js';
import { openCheckpoint } from './checkpoint.js';
import { readModelConfig } from './config.js';
import type { SafetensorsFile, SafetensorsTensorInfo } from './safetensors.js';
import { SAFETENSORS_INDEX_NAME, SAFETENSORS_SINGLE_NAME } from './safetensors-shards.js';
import type { LayerWeights, ModelSpec, ModelWeights } from './spec.js';
import { type PlannedTensor, tensorPlan } from './tensor-layout.js';

export interface OpenModel {
  dir: string;
  spec: ModelSpec;
  /** the architecture family: its tensor names, for export */
  family: ArchitectureFamily;
  /**
   * Upload every weight, read on demand by the uploader (two tensors in flight at a time); tied
   * lmHead is the embedding.
   */
  loadWeights<T>(upload: (name: string, t: WeightStream) => Promise<T>): Promise<ModelWeights<T>>;
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
  const checkpoint = await openCheckpoint(dir);
  const files = checkpoint.shards;
  try {
    const located = new Map<string, { file: SafetensorsFile; info: SafetensorsTensorInfo }>();
    for (const file of files.values()) {
      for (const [name, tensorInfo] of file.tensors) located.set(name, { file, info: tensorInfo });
    }
    const plan = tensorPlan(spec, family);
    checkTensors(dir, plan, located, files.size > 1);
    const fileOf = (name: string): SafetensorsFile => {
      const at = located.get(name);
      if (!at) throw new Error(`${dir}: the checkpoint has no tensor "${name}"`);
      return at.file;
    };
    const read = async (name: string): Promise<HostTensor> => fileOf(name).read(name);
    return {
      dir,
      spec,
      family,
      loadWeights: (upload) => loadWeights(spec, plan, (name) => fileOf(name).stream(name), upload),
      tensorNames: () => [...located.keys()],
      readTensor: read,
      close: () => checkpoint.close(),
    };
  } catch (e) {
    await checkpoint.close();
    throw e;
  }
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
  stream: (name: string) => WeightStream,
  upload: (name: string, t: WeightStream) => Promise<T>,
): Promise<ModelWeights<T>> {
  const model: Partial<Record<'embedding' | 'finalNorm' | 'lmHead', T>> = {};
  const layers: Partial<LayerWeights<T>>[] = Array.from({ length: spec.numLayers }, () => ({}));
  async function place(t: PlannedTensor, s: WeightStream): Promise<void> {
    const dest = t.destination;
    if (dest.kind === 'model') {
      model[dest.field] = await upload(t.name, s);
      return;
    }
    if (dest.parts.length === 1) {
      layers[dest.layer][dest.parts[0].slot] = await upload(t.name, s);
      return;
    }
    // a fused tensor: consecutive row blocks, named as the unfused (Llama) tensors would be
    let first = 0;
    const parts = dest.parts.map(({ slot, rows }) => {
      const part = rowsOf(s, first, rows);
      first += rows;
      return upload(splitName(t.name, slot), part).then((w) => {
        layers[dest.layer][slot] = w;
      });
    });
    await Promise.all(parts);
  }
  // the next tensor is read while this one uploads
  let previous: Promise<void> = Promise.resolve();
  for (const t of plan) {
    const current = place(t, stream(t.name));
    current.catch(() => {}); // awaited below; an earlier failure is the one to report
    await previous;
    previous = current;
  }
  await previous;
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
