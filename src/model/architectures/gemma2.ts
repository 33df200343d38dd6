// Gemma 2: (1 + w) RMSNorms with sandwich norms around attention and MLP, embeddings scaled by
// sqrt(hidden_size), attention scale query_pre_attn_scalar^-0.5, tanh soft-capping of attention
// and final logits, gelu-tanh MLP, and sliding-window attention on every other layer (0, 2, …).
import { type ArchitectureFamily, LLAMA_TENSORS } from './family.js';

export const GEMMA_LAYER_TENSORS = {
  ...LLAMA_TENSORS.layer,
  postAttentionNorm: 'post_attention_layernorm.weight',
  preMlpNorm: 'pre_feedforward_layernorm.weight',
  postMlpNorm: 'post_feedforward_layernorm.weight',
};

export const gemma2: ArchitectureFamily = {
  architecture: 'gemma2',
  modelTypes: ['gemma2'],
  defaults: {
    num_key_value_heads: 4,
    head_dim: 256,
    rms_norm_eps: 1e-6,
    tie_word_embeddings: true,
    max_position_embeddings: 8192,
    bos_token_id: 2,
    eos_token_id: 1,
    pad_token_id: 0,
    rope_theta: 10000,
    activation: { key: 'hidden_activation', value: 'gelu_pytorch_tanh' },
  },
  recipe: {
    normWeightOffset: 1,
    qkNorm: false,
    sandwichNorms: true,
    scaledEmbeddings: true,
    queryPreAttnScalar: 256,
    softcapping: { attn: 50, final: 30 },
    bias: { qkv: 'attention_bias', o: 'attention_bias', mlp: false },
  },
  slidingWindow: { kind: 'pattern', defaultWindow: 4096, patternKey: null, defaultPattern: 2 },
  rope: { kind: 'shared' },
  tensors: { ...LLAMA_TENSORS, layer: GEMMA_LAYER_TENSORS },
};
