// `candor export` (format model): a complete Hugging Face folder with the plan baked into the
// weights. Shards keep their names, dtypes, metadata and tensor names; tensors the plan does not
// touch are copied byte for byte. Config, tokenizer and generation files come along, plus the
// plan and a model card. Everything is written to a temporary folder and renamed at the end.
//
// Tied embeddings: an embedding edit must not reach the output head (the run-time edit acts on
// the embedding output only), so such a model is untied on export: `lm_head.weight` keeps the
// original table, the edited table becomes `model.embed_tokens.weight`, and config.json gets
// `tie_word_embeddings: false`. The folder grows by one V×C matrix.

import { copyFile, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bakeEmbedding, bakeWriter } from '../ablate/bake.js';
import type { AblationPlan, ComponentEdit, PlanMetrics } from '../ablate/plan.js';
import { checkPlanFitsModel, planToJson } from '../ablate/plan-io.js';
import type { HostTensor } from '../backend/backend.js';
import { type Checkpoint, openCheckpoint } from '../model/checkpoint.js';
import { readModelConfig } from '../model/config.js';
import { pythonJsonDumps } from '../model/python-json.js';
import { type TensorSource, tensorByteLength, writeSafetensors } from '../model/safetensors.js';
import { SAFETENSORS_INDEX_NAME } from '../model/safetensors-shards.js';
import { type EditedTensorNames, editedTensorNames } from './edited-tensors.js';
import { type ModelCardInfo, modelCard } from './model-card.js';
import { writeFolder } from './output-folder.js';

export interface ExportOptions {
  modelDir: string;
  plan: AblationPlan;
  output: string;
  force: boolean;
  /** Hub id or path of the original, for the model card */
  sourceModel: string;
  /** sourceModel is a Hub id (not a local path) */
  sourceOnHub: boolean;
  metrics?: PlanMetrics;
  provenance?: Record<string, unknown>;
  log?: (line: string) => void;
}

/** Weight files and the model card are produced here; every other top-level file is copied. */
const NOT_COPIED =
  /\.(safetensors|bin|pt|pth|ckpt|h5|msgpack|gguf|onnx)$|^README\.md$|^config\.json$|\.index\.json$/;

/** The plan's edits by tensor name: a producer of the baked tensor for each edited tensor. */
function bakedProducers(
  checkpoint: Checkpoint,
  names: EditedTensorNames,
  plan: AblationPlan,
): Map<string, () => Promise<HostTensor>> {
  const producers = new Map<string, () => Promise<HostTensor>>();
  const writer = (tensors: { weight: string; bias: string | null }, edit: ComponentEdit): void => {
    const weightName = tensors.weight;
    const biasName = tensors.bias;
    if (!checkpoint.shardOf(weightName)) {
      throw new Error(
        `${checkpoint.dir}: the plan edits '${weightName}', which the checkpoint lacks`,
      );
    }
    const hasBias = biasName !== null && checkpoint.shardOf(biasName) !== undefined;
    // weight and bias come from one bake: whichever is asked for first computes both, and the
    // result is dropped once both are taken (so at most one baked matrix is held at a time)
    let baked: Promise<{ weight: HostTensor; bias: HostTensor | null }> | null = null;
    let pending = hasBias ? 2 : 1;
    const take = async <K extends 'weight' | 'bias'>(key: K) => {
      baked ??= (async () => {
        const weight = await checkpoint.read(weightName);
        const bias = hasBias ? await checkpoint.read(biasName as string) : null;
        return bakeWriter(weightName, weight, bias, edit, plan.normalization);
      })();
      const result = (await baked)[key] as HostTensor;
      if (--pending === 0) baked = null;
      return result;
    };
    producers.set(weightName, () => take('weight'));
    if (hasBias) producers.set(biasName as string, () => take('bias'));
  };
  plan.layers.forEach((layer, i) => {
    if (layer.attn) writer(names.writer(i, 'attn'), layer.attn);
    if (layer.mlp) writer(names.writer(i, 'mlp'), layer.mlp);
  });
  if (plan.embedding) {
    const name = names.embedding;
    const edit = plan.embedding;
    producers.set(name, async () => bakeEmbedding(name, await checkpoint.read(name), edit));
  }
  return producers;
}

/** candor-plan.json and the model card (README.md), shared by model and adapter exports. */
export async function writePlanAndCard(
  dir: string,
  opts: ExportOptions,
  card: Pick<ModelCardInfo, 'kind' | 'notes' | 'lora'>,
): Promise<void> {
  const { plan, provenance, metrics } = opts;
  const planJson = planToJson(plan, { provenance, metrics });
  await writeFile(join(dir, 'candor-plan.json'), `${JSON.stringify(planJson)}\n`);
  const info = {
    sourceModel: opts.sourceModel,
    sourceOnHub: opts.sourceOnHub,
    plan,
    metrics,
    provenance,
  };
  await writeFile(join(dir, 'README.md'), modelCard({ ...info, ...card }));
}

/** Write the baked model folder; returns notes for the log (e.g. untied embeddings). */
export async function exportHfFolder(opts: ExportOptions): Promise<{ notes: string[] }> {
  const { plan } = opts;
  const { spec, family } = await readModelConfig(opts.modelDir);
  checkPlanFitsModel(plan, spec.numLayers, spec.hiddenSize, 'the plan');
  const names = editedTensorNames(family.tensors);
  const log = opts.log ?? (() => {});
  const checkpoint = await openCheckpoint(opts.modelDir);
  const notes: string[] = [];
  try {
    const producers = bakedProducers(checkpoint, names, plan);
    const embeddingName = names.embedding;
    const untie = plan.embedding !== null && spec.tieWordEmbeddings;
    const addHead = untie && !checkpoint.shardOf(names.lmHead);
    if (untie) {
      notes.push(
        'The embeddings were tied; the embedding edit must not change the output head, so the export unties them (lm_head.weight keeps the original table; tie_word_embeddings: false).',
      );
    }
    const headShard = addHead ? (checkpoint.shardOf(embeddingName) as string) : null;
    let addedHead: { shape: number[]; dtype: HostTensor['dtype'] } | null = null;

    await writeFolder(opts.output, opts.force, async (dir) => {
      for (const [shardName, file] of checkpoint.shards) {
        const entries: [string, TensorSource][] = [...file.tensors].map(([name, info]) => {
          const produce = producers.get(name);
          const source: TensorSource = {
            shape: [...info.shape],
            dtype: hostDtype(file.path, name, info.dtype),
            bytes: produce
              ? async () => {
                  log(`baking ${name}`);
                  return (await produce()).bytes;
                }
              : async () => (await file.read(name)).bytes,
          };
          return [name, source];
        });
        if (shardName === headShard) {
          const info = file.tensors.get(embeddingName) as { shape: number[]; dtype: string };
          addedHead = {
            shape: [...info.shape],
            dtype: hostDtype(file.path, embeddingName, info.dtype),
          };
          entries.push([
            names.lmHead,
            { ...addedHead, bytes: async () => (await checkpoint.read(embeddingName)).bytes },
          ]);
        }
        await writeSafetensors(join(dir, shardName), entries, file.metadata ?? undefined);
      }
      if (checkpoint.indexText !== null) {
        await writeFile(
          join(dir, SAFETENSORS_INDEX_NAME),
          addedHead && headShard
            ? indexWithHead(checkpoint.indexText, names.lmHead, headShard, addedHead)
            : checkpoint.indexText,
        );
      }
      const configText = await readFile(join(opts.modelDir, 'config.json'), 'utf8');
      await writeFile(join(dir, 'config.json'), untie ? untiedConfig(configText) : configText);
      for (const name of await readdir(opts.modelDir)) {
        if (name.startsWith('.') || NOT_COPIED.test(name)) continue;
        const from = join(opts.modelDir, name);
        if ((await stat(from)).isFile()) await copyFile(from, join(dir, name));
      }
      await writePlanAndCard(dir, opts, { kind: 'model', notes });
    });
  } finally {
    await checkpoint.close();
  }
  return { notes };
}

function hostDtype(path: string, name: string, dtype: string): HostTensor['dtype'] {
  const map: Record<string, HostTensor['dtype']> = { F32: 'f32', F16: 'f16', BF16: 'bf16' };
  const d = map[dtype];
  if (!d)
    throw new Error(
      `${path}: tensor '${name}' is ${dtype}; Candor exports BF16, F16 and F32 checkpoints`,
    );
  return d;
}

/** config.json with tie_word_embeddings false, in transformers' own JSON layout. */
function untiedConfig(text: string): string {
  const config = JSON.parse(text) as Record<string, unknown>;
  config.tie_word_embeddings = false;
  return `${pythonJsonDumps(config, { indent: 2, sortKeys: true })}\n`;
}

/** The index with the output head added to `shard` and the totals grown accordingly. */
function indexWithHead(
  text: string,
  headName: string,
  shard: string,
  head: { shape: number[]; dtype: HostTensor['dtype'] },
): string {
  const index = JSON.parse(text) as {
    metadata?: Record<string, number>;
    weight_map: Record<string, string>;
  };
  index.weight_map[headName] = shard;
  const metadata = index.metadata ?? {};
  if (typeof metadata.total_size === 'number') metadata.total_size += tensorByteLength(head);
  if (typeof metadata.total_parameters === 'number') {
    metadata.total_parameters += head.shape.reduce((a, b) => a * b, 1);
  }
  index.metadata = metadata;
  return `${pythonJsonDumps(index, { indent: 2, sortKeys: true })}\n`;
}
