// config.json (+ generation_config.json) → ModelSpec, applying transformers' defaults and rules
// as each family declares them (src/model/architectures). Both config styles are read: older
// rope_theta + rope_scaling ({type|rope_type, ...}) and transformers 5's rope_parameters.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArchitectureFamily, BiasRule } from './architectures/family.js';
import { familyForModelType, supportedModelTypes } from './architectures/index.js';
import { ConfigReader } from './config-reader.js';
import { type RopeParameters, ropeSpec } from './rope.js';
import type { Activation, LayerSpec, ModelSpec, RopeSpec } from './spec.js';

export type LayerType = 'full_attention' | 'sliding_attention';

export interface ModelConfig {
  spec: ModelSpec;
  family: ArchitectureFamily;
}

const ACTIVATIONS: Record<string, Activation> = {
  silu: 'silu',
  swish: 'silu',
  gelu_pytorch_tanh: 'gelu_tanh',
  gelu_new: 'gelu_tanh',
  gelu_python_tanh: 'gelu_tanh',
};

/** Read `dir`/config.json and, if present, `dir`/generation_config.json. */
export async function readModelConfig(dir: string): Promise<ModelConfig> {
  const configPath = join(dir, 'config.json');
  let text: string;
  try {
    text = await readFile(configPath, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT'
        ? `${configPath}: not found; a model folder needs config.json (download the whole model repository)`
        : `${configPath}: cannot read (${code ?? e})`,
    );
  }
  const config = ConfigReader.parse(text, configPath);
  const generationPath = join(dir, 'generation_config.json');
  let generation: ConfigReader | null = null;
  try {
    generation = ConfigReader.parse(await readFile(generationPath, 'utf8'), generationPath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  return parseModelConfig(config, generation);
}

export function parseModelConfig(r: ConfigReader, generation: ConfigReader | null): ModelConfig {
  const modelType = r.has('model_type') ? r.string('model_type', '') : '';
  if (!modelType) {
    throw new Error(
      `${r.path}: missing required key "model_type" (one of ${supportedModelTypes().join(', ')})`,
    );
  }
  const family = familyForModelType(modelType);
  if (!family) {
    throw new Error(
      `${r.path}: model_type "${modelType}" is not supported (supported: ${supportedModelTypes().join(', ')})`,
    );
  }
  const d = family.defaults;
  const recipe = family.recipe;
  const hiddenSize = r.requiredInt('hidden_size');
  const numHeads = r.requiredInt('num_attention_heads');
  const numLayers = r.requiredInt('num_hidden_layers');
  const intermediateSize = r.requiredInt('intermediate_size');
  const vocabSize = r.requiredInt('vocab_size');
  const numKvHeads = r.intOrNull('num_key_value_heads', d.num_key_value_heads) ?? numHeads;
  const headDim = r.intOrNull('head_dim', d.head_dim) ?? Math.floor(hiddenSize / numHeads);
  if (numHeads % numKvHeads !== 0) {
    throw new Error(
      `${r.path}: num_attention_heads (${numHeads}) must be a multiple of num_key_value_heads (${numKvHeads})`,
    );
  }
  const activationName = r.string(d.activation.key, d.activation.value);
  const activation = ACTIVATIONS[activationName];
  if (!activation) {
    throw new Error(
      `${r.path}: ${d.activation.key} "${activationName}" is not supported (supported: ${Object.keys(ACTIVATIONS).join(', ')})`,
    );
  }
  if (r.bool('use_bidirectional_attention', false)) {
    throw new Error(
      `${r.path}: use_bidirectional_attention is true (an embedding model); Candor runs causal language models`,
    );
  }
  const bias = (rule: BiasRule): boolean =>
    typeof rule === 'boolean' ? rule : r.bool(rule, false);
  const maxPositions = r.int('max_position_embeddings', d.max_position_embeddings);
  const layerTypes = attentionLayerTypes(r, family, numLayers);
  const window = slidingWindowSize(r, family);
  const ropes = ropeSpecs(r, family, headDim, maxPositions);
  const layers: LayerSpec[] = layerTypes.map((type) => ({
    slidingWindow: type === 'sliding_attention' ? window : null,
    rope: ropes[type],
  }));
  const softcap = recipe.softcapping;
  const queryScalar =
    recipe.queryPreAttnScalar === null
      ? headDim
      : r.number('query_pre_attn_scalar', recipe.queryPreAttnScalar);
  const eos = generation?.tokenIds('eos_token_id') ?? r.tokenIds('eos_token_id');
  return {
    family,
    spec: {
      architecture: family.architecture,
      hiddenSize,
      numLayers,
      numHeads,
      numKvHeads,
      headDim,
      intermediateSize,
      vocabSize,
      rmsNormEps: r.number('rms_norm_eps', d.rms_norm_eps),
      normWeightOffset: recipe.normWeightOffset,
      activation,
      // transformers keeps the scale as a float32 tensor
      embeddingScale: recipe.scaledEmbeddings ? Math.fround(Math.sqrt(hiddenSize)) : 1,
      attentionScale: inverseSqrt(queryScalar),
      attentionLogitSoftcap: softcap
        ? r.numberOrNull('attn_logit_softcapping', softcap.attn)
        : null,
      finalLogitSoftcap: softcap ? r.numberOrNull('final_logit_softcapping', softcap.final) : null,
      qkNorm: recipe.qkNorm,
      sandwichNorms: recipe.sandwichNorms,
      attentionBias: bias(recipe.bias.qkv),
      outputBias: bias(recipe.bias.o),
      mlpBias: bias(recipe.bias.mlp),
      tieWordEmbeddings: r.bool('tie_word_embeddings', d.tie_word_embeddings),
      layers,
      eosTokenIds: eos ?? (d.eos_token_id === null ? [] : [d.eos_token_id]),
      bosTokenId: r.intOrNull('bos_token_id', d.bos_token_id),
      padTokenId: r.intOrNull('pad_token_id', d.pad_token_id),
      config: r.json,
    },
  };
}

/** Each layer's attention kind, by the family's rule (layer_types wins where transformers reads it). */
function attentionLayerTypes(
  r: ConfigReader,
  family: ArchitectureFamily,
  numLayers: number,
): LayerType[] {
  const rule = family.slidingWindow;
  const all = (t: LayerType): LayerType[] => Array(numLayers).fill(t);
  switch (rule.kind) {
    case 'none':
      return all('full_attention');
    case 'every_layer':
      return all(slidingWindowSize(r, family) === null ? 'full_attention' : 'sliding_attention');
    case 'use_sliding_window': {
      const given = declaredLayerTypes(r, numLayers);
      if (given) return given;
      const from = r.int('max_window_layers', rule.defaultMaxWindowLayers);
      const sliding = slidingWindowSize(r, family) !== null;
      return Array.from({ length: numLayers }, (_, i) =>
        sliding && i >= from ? 'sliding_attention' : 'full_attention',
      );
    }
    case 'pattern': {
      const given = declaredLayerTypes(r, numLayers);
      if (given) return given;
      const pattern = rule.patternKey
        ? r.int(rule.patternKey, rule.defaultPattern)
        : rule.defaultPattern;
      return Array.from({ length: numLayers }, (_, i) =>
        (i + 1) % pattern ? 'sliding_attention' : 'full_attention',
      );
    }
  }
}

function declaredLayerTypes(r: ConfigReader, numLayers: number): LayerType[] | null {
  if (!r.has('layer_types') || r.json.layer_types === null) return null;
  const v = r.json.layer_types;
  const ok =
    Array.isArray(v) &&
    v.length === numLayers &&
    v.every((t) => t === 'full_attention' || t === 'sliding_attention');
  if (!ok) {
    r.fail('layer_types', `a list of ${numLayers} "full_attention" / "sliding_attention" entries`);
  }
  return v as LayerType[];
}

/** The window of sliding layers (null: none), as transformers resolves sliding_window. */
function slidingWindowSize(r: ConfigReader, family: ArchitectureFamily): number | null {
  const rule = family.slidingWindow;
  switch (rule.kind) {
    case 'none':
      return null;
    case 'every_layer':
      return r.intOrNull('sliding_window', rule.defaultWindow);
    case 'use_sliding_window':
      return r.bool('use_sliding_window', false)
        ? r.intOrNull('sliding_window', rule.defaultWindow)
        : null;
    case 'pattern':
      return r.intOrNull('sliding_window', rule.defaultWindow);
  }
}

/** RopeSpec per layer type, after standardising rope parameters as transformers does. */
function ropeSpecs(
  r: ConfigReader,
  family: ArchitectureFamily,
  headDim: number,
  maxPositions: number,
): Record<LayerType, RopeSpec> {
  const partial = r.numberOrNull('partial_rotary_factor', null);
  const standardise = (raw: Record<string, unknown>, where: string, top: boolean) => {
    const p = { ...raw } as Record<string, unknown>;
    const aliases = family.rope.kind === 'shared' ? family.rope.typeAliases : undefined;
    let type = (p.rope_type ?? p.type ?? 'default') as string;
    type = aliases?.[type] ?? type;
    p.rope_type = type;
    if (partial !== null && p.partial_rotary_factor === undefined)
      p.partial_rotary_factor = partial;
    if (['llama3', 'yarn', 'longrope'].includes(type)) {
      // a top-level original_max_position_embeddings (always present for phi3) wins
      const topLevel =
        top && r.has('original_max_position_embeddings')
          ? r.int('original_max_position_embeddings', maxPositions)
          : top
            ? family.defaults.original_max_position_embeddings
            : undefined;
      p.original_max_position_embeddings =
        topLevel ?? p.original_max_position_embeddings ?? maxPositions;
    }
    if (typeof p.rope_theta !== 'number') {
      throw new Error(
        `${where}: "rope_theta" must be a number, got ${JSON.stringify(p.rope_theta)}`,
      );
    }
    return ropeSpec(p as unknown as RopeParameters, headDim, maxPositions, where);
  };
  if (family.rope.kind === 'shared') {
    // transformers: `rope_scaling or rope_parameters`
    const scaling = r.object('rope_scaling');
    const useScaling = scaling !== null && Object.keys(scaling).length > 0;
    const key = useScaling ? 'rope_scaling' : 'rope_parameters';
    const raw = { ...((useScaling ? scaling : r.object('rope_parameters')) ?? {}) };
    raw.rope_theta ??= r.number('rope_theta', family.defaults.rope_theta);
    const spec = standardise(raw, `${r.path} ${key}`, true);
    return { full_attention: spec, sliding_attention: spec };
  }
  const theta = family.rope.defaultTheta;
  const nested = r.object('rope_parameters') ?? {};
  const layerParams = (type: LayerType): Record<string, unknown> => {
    const v = nested[type];
    if (v !== undefined && v !== null && (typeof v !== 'object' || Array.isArray(v))) {
      r.fail('rope_parameters', `an object keyed by full_attention / sliding_attention`);
    }
    return { ...((v as Record<string, unknown> | null | undefined) ?? { rope_type: 'default' }) };
  };
  const full = layerParams('full_attention');
  const scaling = r.object('rope_scaling');
  if (scaling) Object.assign(full, scaling);
  full.rope_theta ??= r.number('rope_theta', theta.full_attention);
  const sliding = layerParams('sliding_attention');
  sliding.rope_theta ??= r.number('rope_local_base_freq', theta.sliding_attention);
  return {
    full_attention: standardise(full, `${r.path} rope_parameters.full_attention`, false),
    sliding_attention: standardise(sliding, `${r.path} rope_parameters.sliding_attention`, false),
  };
}

/**
 * x^-0.5 correctly rounded, which is what Python's `x ** -0.5` (glibc pow) gives for head dims
 * and query_pre_attn_scalar values (it misses rare near-halfway cases, the first integer is 1769);
 * V8's `**` and 1 / Math.sqrt(x) are one ULP off for a quarter of all inputs. Picks among 1/sqrt(x) and its neighbours with exact
 * integer arithmetic: t = x^-0.5 lies below the midpoint m of two doubles iff m²·x > 1.
 */
export function inverseSqrt(x: number): number {
  const y = 1 / Math.sqrt(x);
  const below = (a: number, b: number): boolean => {
    const [ma, ea] = exactParts(a);
    const [mb, eb] = exactParts(b);
    const e = Math.min(ea, eb);
    const m = (ma << BigInt(ea - e)) + (mb << BigInt(eb - e)); // a + b = m·2^e
    const [mx, ex] = exactParts(x);
    const k = 2 * (e - 1) + ex; // ((a+b)/2)²·x = m²·mx·2^k
    const lhs = m * m * mx;
    return k >= 0 ? lhs << BigInt(k) > 1n : lhs > 1n << BigInt(-k);
  };
  const down = neighbour(y, -1);
  const up = neighbour(y, 1);
  if (below(down, y)) return down;
  if (!below(y, up)) return up;
  return y;
}

/** A positive finite double as mantissa·2^exponent. */
function exactParts(d: number): [bigint, number] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, d);
  const bits = view.getBigUint64(0);
  const exp = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  return exp === 0 ? [frac, -1074] : [frac | (1n << 52n), exp - 1075];
}

function neighbour(d: number, step: 1 | -1): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, d);
  view.setBigUint64(0, view.getBigUint64(0) + BigInt(step));
  return view.getFloat64(0);
}
