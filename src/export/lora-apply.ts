// Merges a PEFT LoRA adapter folder into host weights: W ← W + (alpha/r)·B·A for linear
// modules, E ← E + (alpha/r)·(B·A)ᵀ for embeddings, in f64 and rounded once to the stored
// dtype. Lets Candor evaluate an adapter (its own or anyone's) without Python.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeF32 } from '../ablate/store-dtype.js';
import type { HostTensor } from '../backend/backend.js';
import { hostToF32 } from '../backend/cpu/dtype.js';
import { openSafetensors } from '../model/safetensors.js';
import { ADAPTER_CONFIG_NAME, ADAPTER_WEIGHTS_NAME, PEFT_PREFIX } from './lora-adapter.js';

interface AdapterPair {
  A?: HostTensor;
  B?: HostTensor;
  embedding: boolean;
}

/** alpha/r (or alpha/√r for rsLoRA) from adapter_config.json, refusing what we cannot merge. */
async function adapterScaling(dir: string): Promise<number> {
  const path = join(dir, ADAPTER_CONFIG_NAME);
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: cannot read the adapter config (${(e as Error).message})`);
  }
  if (config.peft_type !== 'LORA') {
    throw new Error(
      `${path}: peft_type is ${JSON.stringify(config.peft_type)}; only LORA adapters can be merged`,
    );
  }
  for (const key of ['use_dora', 'fan_in_fan_out'] as const) {
    if (config[key] === true)
      throw new Error(`${path}: ${key} is true; Candor merges plain LoRA only`);
  }
  for (const key of ['rank_pattern', 'alpha_pattern'] as const) {
    const v = config[key];
    if (v && typeof v === 'object' && Object.keys(v).length > 0) {
      throw new Error(
        `${path}: ${key} is set; Candor merges adapters with one rank and alpha only`,
      );
    }
  }
  const r = config.r;
  const alpha = config.lora_alpha;
  if (typeof r !== 'number' || !(r > 0) || typeof alpha !== 'number') {
    throw new Error(
      `${path}: needs numeric "r" (> 0) and "lora_alpha", got r=${r}, lora_alpha=${alpha}`,
    );
  }
  return config.use_rslora === true ? alpha / Math.sqrt(r) : alpha / r;
}

/**
 * The merged tensors of the modules the adapter touches, keyed by base tensor name (e.g.
 * `model.layers.3.mlp.down_proj.weight`); `read` gives the original tensor of that name.
 */
export async function mergeLoraAdapter(
  adapterDir: string,
  read: (name: string) => Promise<HostTensor>,
): Promise<Map<string, HostTensor>> {
  const scaling = await adapterScaling(adapterDir);
  const file = await openSafetensors(join(adapterDir, ADAPTER_WEIGHTS_NAME));
  const pairs = new Map<string, AdapterPair>();
  try {
    for (const key of file.tensors.keys()) {
      const m = /^(.*)\.(lora_A\.weight|lora_B\.weight|lora_embedding_A|lora_embedding_B)$/.exec(
        key,
      );
      if (!m?.[1].startsWith(PEFT_PREFIX)) {
        throw new Error(
          `${file.path}: unexpected tensor '${key}' (not a LoRA A/B of a base_model.model.* module)`,
        );
      }
      const module = m[1].slice(PEFT_PREFIX.length);
      const pair = pairs.get(module) ?? { embedding: m[2].startsWith('lora_embedding') };
      const t = await file.read(key);
      if (/_A(\.weight)?$/.test(m[2])) pair.A = t;
      else pair.B = t;
      pairs.set(module, pair);
    }
  } finally {
    await file.close();
  }
  const merged = new Map<string, HostTensor>();
  for (const [module, pair] of pairs) {
    if (!pair.A || !pair.B)
      throw new Error(`${file.path}: '${module}' has only one of its A and B factors`);
    const name = `${module}.weight`;
    const base = await read(name);
    const W = hostToF32(name, base);
    const A = hostToF32(`${module} A`, pair.A);
    const B = hostToF32(`${module} B`, pair.B);
    const [r, inner] = pair.A.shape;
    const [outer, rB] = pair.B.shape;
    // linear: ΔW [out, in] = B·A; embedding: ΔE [V, C] = (B·A)ᵀ with A [r, V], B [C, r]
    const [rows, cols] = pair.embedding ? [inner, outer] : [outer, inner];
    if (rB !== r || base.shape[0] !== rows || base.shape[1] !== cols) {
      throw new Error(
        `${file.path}: '${module}' factors A [${pair.A.shape}], B [${pair.B.shape}] do not fit the base tensor [${base.shape}]`,
      );
    }
    const out = new Float32Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        let delta = 0;
        for (let k = 0; k < r; k++) {
          delta += pair.embedding
            ? B[j * r + k] * A[k * inner + i]
            : B[i * r + k] * A[k * inner + j];
        }
        out[i * cols + j] = W[i * cols + j] + scaling * delta;
      }
    }
    merged.set(name, { shape: [rows, cols], dtype: base.dtype, bytes: encodeF32(out, base.dtype) });
  }
  return merged;
}
