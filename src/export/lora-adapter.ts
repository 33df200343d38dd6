// `candor export --format lora`: the plan as a PEFT LoRA adapter for the original weights
// (adapter_config.json + adapter_model.safetensors + model card), so it can be applied with
// PEFT elsewhere. Modes none and pre are exact at rank 1; full is a rank-k approximation whose
// relative Frobenius error per matrix is measured and reported.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { embeddingLoraFactors, type LoraFactors, writerLoraFactors } from '../ablate/lora.js';
import type { ComponentEdit } from '../ablate/plan.js';
import { checkPlanFitsModel } from '../ablate/plan-io.js';
import type { HostTensor } from '../backend/backend.js';
import { hostToF32 } from '../backend/cpu/dtype.js';
import { openCheckpoint } from '../model/checkpoint.js';
import { readModelConfig } from '../model/config.js';
import { pythonJsonDumps } from '../model/python-json.js';
import { type TensorSource, writeSafetensors } from '../model/safetensors.js';
import { editedTensorNames, moduleOf } from './edited-tensors.js';
import { type ExportOptions, writePlanAndCard } from './hf-folder.js';
import { writeFolder } from './output-folder.js';

export const ADAPTER_CONFIG_NAME = 'adapter_config.json';
export const ADAPTER_WEIGHTS_NAME = 'adapter_model.safetensors';
/** PEFT wraps the model twice (PeftModel → LoraModel), hence the doubled prefix of every key. */
export const PEFT_PREFIX = 'base_model.model.';

export interface LoraExportOptions extends ExportOptions {
  /** rank for mode full (none and pre are rank 1 and exact) */
  rank: number;
  seed: number;
}

export interface LoraExportReport {
  rank: number;
  /** relative Frobenius error per edited module (0: exact) */
  errors: { module: string; relativeError: number }[];
}

/** Factors padded with zero rows/columns to rank r (PEFT has one rank per adapter). */
function padded(
  f: LoraFactors,
  r: number,
  rows: number,
  cols: number,
): [Float32Array, Float32Array] {
  if (f.rank === r) return [f.A, f.B];
  const A = new Float32Array(r * cols);
  A.set(f.A);
  const B = new Float32Array(rows * r);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < f.rank; j++) B[i * r + j] = f.B[i * f.rank + j];
  return [A, B];
}

const f32 = (shape: number[], values: Float32Array): TensorSource => ({
  shape,
  dtype: 'f32',
  bytes: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
});

export async function exportLoraAdapter(opts: LoraExportOptions): Promise<LoraExportReport> {
  const { plan } = opts;
  const { spec, family } = await readModelConfig(opts.modelDir);
  const names = editedTensorNames(family.tensors);
  checkPlanFitsModel(plan, spec.numLayers, spec.hiddenSize, 'the plan');
  if (!(Number.isSafeInteger(opts.rank) && opts.rank >= 1)) {
    throw new Error(`--rank ${opts.rank} must be a whole number ≥ 1`);
  }
  if (plan.embedding && spec.tieWordEmbeddings) {
    throw new Error(
      'the plan edits the embeddings of a model with tied embeddings: merging a LoRA there also changes the output head; export the merged model instead (--format model), which unties them',
    );
  }
  const log = opts.log ?? (() => {});
  const r = plan.normalization === 'full' ? opts.rank : 1;
  const checkpoint = await openCheckpoint(opts.modelDir);
  const adapterTensors: [string, TensorSource][] = [];
  const errors: LoraExportReport['errors'] = [];
  const targets: string[] = [];
  try {
    const matrix = async (name: string): Promise<[HostTensor, Float32Array]> => {
      const t = await checkpoint.read(name);
      return [t, hostToF32(name, t)];
    };
    const writer = async (
      writerNames: { weight: string; bias: string | null },
      edit: ComponentEdit,
    ): Promise<void> => {
      const module = moduleOf(writerNames.weight);
      if (writerNames.bias && checkpoint.shardOf(writerNames.bias)) {
        throw new Error(
          `${module} has a bias, whose edit a LoRA adapter cannot carry; export the merged model instead (--format model)`,
        );
      }
      const [t, W] = await matrix(writerNames.weight);
      const [C, K] = t.shape;
      log(`factoring ${module}`);
      const f = writerLoraFactors(W, C, K, edit, plan.normalization, { rank: r, seed: opts.seed });
      const [A, B] = padded(f, r, C, K);
      adapterTensors.push([`${PEFT_PREFIX}${module}.lora_A.weight`, f32([r, K], A)]);
      adapterTensors.push([`${PEFT_PREFIX}${module}.lora_B.weight`, f32([C, r], B)]);
      errors.push({ module, relativeError: f.relativeError });
      targets.push(module);
    };
    for (const [i, layer] of plan.layers.entries()) {
      if (layer.attn) await writer(names.writer(i, 'attn'), layer.attn);
      if (layer.mlp) await writer(names.writer(i, 'mlp'), layer.mlp);
    }
    if (plan.embedding) {
      const module = moduleOf(names.embedding);
      const [t, E] = await matrix(names.embedding);
      const [V, C] = t.shape;
      const f = embeddingLoraFactors(E, V, C, plan.embedding);
      // PEFT's embedding LoRA: lora_embedding_A [r, V], lora_embedding_B [C, r], ΔE = (B·A)ᵀ
      const [A, B] = padded(f, r, C, V);
      adapterTensors.push([`${PEFT_PREFIX}${module}.lora_embedding_A`, f32([r, V], A)]);
      adapterTensors.push([`${PEFT_PREFIX}${module}.lora_embedding_B`, f32([C, r], B)]);
      errors.push({ module, relativeError: 0 });
      targets.push(module);
    }
  } finally {
    await checkpoint.close();
  }
  if (targets.length === 0) throw new Error('the plan edits nothing; there is no adapter to write');

  const config = {
    alpha_pattern: {},
    base_model_name_or_path: opts.sourceModel,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    layers_pattern: null,
    layers_to_transform: null,
    // alpha = r: PEFT scales B·A by alpha/r, so the adapter applies at full strength
    lora_alpha: r,
    lora_dropout: 0.0,
    modules_to_save: null,
    peft_type: 'LORA',
    r,
    rank_pattern: {},
    revision: null,
    // exact module names: PEFT matches a listed target when a module's name equals it
    target_modules: targets,
    task_type: 'CAUSAL_LM',
    use_dora: false,
    use_rslora: false,
  };
  const relative = errors.map((e) => e.relativeError);
  await writeFolder(opts.output, opts.force, async (dir) => {
    await writeSafetensors(join(dir, ADAPTER_WEIGHTS_NAME), adapterTensors, { format: 'pt' });
    await writeFile(
      join(dir, ADAPTER_CONFIG_NAME),
      `${pythonJsonDumps(config, { indent: 2, sortKeys: true })}\n`,
    );
    await writePlanAndCard(dir, opts, {
      kind: 'lora',
      lora: {
        rank: r,
        maxRelativeError: Math.max(...relative),
        meanRelativeError: relative.reduce((a, b) => a + b, 0) / relative.length,
      },
    });
  });
  return { rank: r, errors };
}
