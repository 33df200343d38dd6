// ModelSpec: everything the engine needs to know about an architecture, normalised from
// config.json. Architecture differences are data here, never branches copied across files.
//
// Shape legend used across Candor (llm.c style), in every kernel signature and doc line:
//   T tokens in a batch (rows)   C hidden size        V vocabulary
//   H query heads                K key/value heads    D head dim
//   F MLP intermediate size      L layers             S sequences in a batch
//   P cache positions per seq    R selected rows      N/K generic matmul out/in

export type Architecture =
  | 'llama'
  | 'mistral'
  | 'qwen2'
  | 'qwen3'
  | 'gemma2'
  | 'gemma3_text'
  | 'phi3';

export type Activation = 'silu' | 'gelu_tanh';

/** Rotary embedding of one layer kind; inverse frequencies already include any scaling. */
export interface RopeSpec {
  /** inverse frequency per rotary pair, length rotaryDim/2 */
  invFreq: Float32Array;
  /** number of leading head dims that rotate (D for full rotary, less for partial) */
  rotaryDim: number;
  /** multiplier applied to cos and sin (1 unless a scaling scheme such as YaRN/longrope asks) */
  attentionFactor: number;
}

export interface LayerSpec {
  /** null: full causal attention; W: token i sees j with i - W < j <= i (transformers' rule) */
  slidingWindow: number | null;
  rope: RopeSpec;
}

export interface ModelSpec {
  architecture: Architecture;
  hiddenSize: number; // C
  numLayers: number; // L
  numHeads: number; // H
  numKvHeads: number; // K
  headDim: number; // D
  intermediateSize: number; // F
  vocabSize: number; // V
  rmsNormEps: number;
  /** 1 for Gemma's (1 + w) RMSNorm weight, 0 otherwise */
  normWeightOffset: 0 | 1;
  activation: Activation;
  /** embeddings are multiplied by this (Gemma: sqrt(C)); 1 otherwise */
  embeddingScale: number;
  /** attention logits scale, usually D^-0.5 (Gemma: query_pre_attn_scalar^-0.5) */
  attentionScale: number;
  attentionLogitSoftcap: number | null;
  finalLogitSoftcap: number | null;
  /** RMSNorm on q and k per head before rope (qwen3, gemma3) */
  qkNorm: boolean;
  /** Gemma 2/3: extra norms after attention and after the MLP, before the residual add */
  sandwichNorms: boolean;
  attentionBias: boolean; // q/k/v biases (qwen2)
  outputBias: boolean; // o_proj bias (llama attention_bias=true)
  mlpBias: boolean;
  tieWordEmbeddings: boolean;
  layers: LayerSpec[];
  /** token ids that end generation (generation_config.json eos_token_id, else config's) */
  eosTokenIds: number[];
  bosTokenId: number | null;
  padTokenId: number | null;
  /** the raw config.json, for export and model cards */
  config: Record<string, unknown>;
}

/** Names of one layer's weights in the loaded model (after splitting any fused tensors). */
export interface LayerWeights<T> {
  inputNorm: T; // [C]
  q: T; // [H*D, C]
  k: T; // [K*D, C]
  v: T; // [K*D, C]
  o: T; // [C, H*D]  writes the residual stream: ablated component "attn"
  qBias?: T;
  kBias?: T;
  vBias?: T;
  oBias?: T;
  qNorm?: T; // [D]
  kNorm?: T; // [D]
  postAttentionNorm?: T; // [C] sandwich norm after attention (Gemma)
  preMlpNorm: T; // [C] (Llama's post_attention_layernorm)
  postMlpNorm?: T; // [C] sandwich norm after the MLP (Gemma)
  gate: T; // [F, C]
  up: T; // [F, C]
  down: T; // [C, F]  writes the residual stream: ablated component "mlp"
  gateBias?: T;
  upBias?: T;
  downBias?: T;
}

export interface ModelWeights<T> {
  embedding: T; // [V, C]
  layers: LayerWeights<T>[];
  finalNorm: T; // [C]
  lmHead: T; // [V, C] (the embedding when tied)
}

type Projection =
  | 'q'
  | 'k'
  | 'v'
  | 'qBias'
  | 'kBias'
  | 'vBias'
  | 'gate'
  | 'up'
  | 'gateBias'
  | 'upBias';

/**
 * A layer as the engine runs it: the projections that read the same input are one matrix each,
 * so one linear (one pass over the input, one launch) computes them.
 */
export interface EngineLayerWeights<T> extends Omit<LayerWeights<T>, Projection> {
  qkv: T; // [H*D + 2*K*D, C]: rows of q, then k, then v
  qkvBias?: T;
  gateUp: T; // [2F, C]: rows of gate, then up
  gateUpBias?: T;
}

export interface EngineWeights<T> extends Omit<ModelWeights<T>, 'layers'> {
  layers: EngineLayerWeights<T>[];
}
