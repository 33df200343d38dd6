// What one architecture family declares (llama.cpp style, as data): transformers' config defaults,
// the flags of its block recipe, how it lays out sliding windows and rope, and its tensor names.
// src/model/config.ts interprets these; each family file only fills them in.
import type { Architecture, LayerWeights } from '../spec.js';

/** transformers' defaults for keys a config.json may leave out (from each configuration_*.py). */
export interface ConfigDefaults {
  /** null: num_attention_heads */
  num_key_value_heads: number | null;
  /** null: hidden_size / num_attention_heads */
  head_dim: number | null;
  rms_norm_eps: number;
  tie_word_embeddings: boolean;
  max_position_embeddings: number;
  bos_token_id: number | null;
  eos_token_id: number | null;
  pad_token_id: number | null;
  rope_theta: number;
  /** the activation config key and its default */
  activation: { key: 'hidden_act' | 'hidden_activation'; value: string };
  /** set when the config class always has this attribute (phi3: 4096); it then overrides rope's */
  original_max_position_embeddings?: number;
}

/** Optional biases: always/never, or read from a boolean config key (default false). */
export type BiasRule = boolean | 'attention_bias' | 'mlp_bias';

export interface BlockRecipe {
  /** 1 for Gemma's (1 + w) RMSNorm */
  normWeightOffset: 0 | 1;
  qkNorm: boolean;
  sandwichNorms: boolean;
  /** embeddings × sqrt(hidden_size) */
  scaledEmbeddings: boolean;
  /** Gemma: scale = query_pre_attn_scalar^-0.5 (default 256); others head_dim^-0.5 */
  queryPreAttnScalar: number | null;
  /** Gemma 2/3: defaults of attn_logit_softcapping and final_logit_softcapping; null: none */
  softcapping: { attn: number | null; final: number | null } | null;
  bias: { qkv: BiasRule; o: BiasRule; mlp: BiasRule };
}

/** How transformers decides which layers attend through a sliding window. */
export type SlidingWindowRule =
  | { kind: 'none' }
  /** mistral, phi3: config.sliding_window (if not null) applies to every layer */
  | { kind: 'every_layer'; defaultWindow: number | null }
  /** qwen2, qwen3: only with use_sliding_window; layer_types, else layers ≥ max_window_layers */
  | { kind: 'use_sliding_window'; defaultWindow: number; defaultMaxWindowLayers: number }
  /** gemma2, gemma3: layer_types, else every `pattern`-th layer is full (pattern from a key) */
  | {
      kind: 'pattern';
      defaultWindow: number;
      patternKey: string | null;
      defaultPattern: number;
    };

/**
 * shared: one rope for all layers from rope_parameters/rope_scaling + rope_theta.
 * per_layer_type: Gemma 3, nested {full_attention, sliding_attention}; old configs give the full
 * layers' theta as rope_theta and the sliding layers' as rope_local_base_freq.
 */
export type RopeLayout =
  | { kind: 'shared'; typeAliases?: Record<string, string> }
  | { kind: 'per_layer_type'; defaultTheta: { full_attention: number; sliding_attention: number } };

/** Slots of LayerWeights that hold a tensor read directly from the file. */
export type LayerSlot = keyof LayerWeights<unknown>;

/** A fused tensor split on load into consecutive row blocks, e.g. phi3's qkv_proj → q, k, v. */
export interface FusedTensor {
  name: string;
  parts: LayerSlot[];
}

/** HF tensor names; layer names are relative to `model.layers.{i}.`. */
export interface TensorNames {
  embedding: string;
  finalNorm: string;
  lmHead: string;
  layerPrefix: string;
  layer: Partial<Record<LayerSlot, string>>;
  fused: FusedTensor[];
}

export interface ArchitectureFamily {
  architecture: Architecture;
  /** config.json model_type values this family reads */
  modelTypes: string[];
  defaults: ConfigDefaults;
  recipe: BlockRecipe;
  slidingWindow: SlidingWindowRule;
  rope: RopeLayout;
  tensors: TensorNames;
}

/** The Llama layout every family starts from. */
export const LLAMA_TENSORS: TensorNames = {
  embedding: 'model.embed_tokens.weight',
  finalNorm: 'model.norm.weight',
  lmHead: 'lm_head.weight',
  layerPrefix: 'model.layers.',
  layer: {
    inputNorm: 'input_layernorm.weight',
    q: 'self_attn.q_proj.weight',
    k: 'self_attn.k_proj.weight',
    v: 'self_attn.v_proj.weight',
    o: 'self_attn.o_proj.weight',
    qBias: 'self_attn.q_proj.bias',
    kBias: 'self_attn.k_proj.bias',
    vBias: 'self_attn.v_proj.bias',
    oBias: 'self_attn.o_proj.bias',
    preMlpNorm: 'post_attention_layernorm.weight',
    gate: 'mlp.gate_proj.weight',
    up: 'mlp.up_proj.weight',
    down: 'mlp.down_proj.weight',
    gateBias: 'mlp.gate_proj.bias',
    upBias: 'mlp.up_proj.bias',
    downBias: 'mlp.down_proj.bias',
  },
  fused: [],
};

/** Llama's block: plain RMSNorm, no sandwich norms, no q/k norm, biases per config. */
export const LLAMA_RECIPE: BlockRecipe = {
  normWeightOffset: 0,
  qkNorm: false,
  sandwichNorms: false,
  scaledEmbeddings: false,
  queryPreAttnScalar: null,
  softcapping: null,
  bias: { qkv: false, o: false, mlp: false },
};
