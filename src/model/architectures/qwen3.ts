// Qwen3: Qwen2's layout plus RMSNorm of each query and key head (q_norm, k_norm) before rope;
// biases only with attention_bias; head_dim defaults to 128, not hidden_size / heads.
import { type ArchitectureFamily, LLAMA_RECIPE, LLAMA_TENSORS } from './family.js';

export const qwen3: ArchitectureFamily = {
  architecture: 'qwen3',
  modelTypes: ['qwen3'],
  defaults: {
    num_key_value_heads: 32,
    head_dim: 128,
    rms_norm_eps: 1e-6,
    tie_word_embeddings: false,
    max_position_embeddings: 32768,
    bos_token_id: null,
    eos_token_id: null,
    pad_token_id: null,
    rope_theta: 10000,
    activation: { key: 'hidden_act', value: 'silu' },
  },
  recipe: {
    ...LLAMA_RECIPE,
    qkNorm: true,
    bias: { qkv: 'attention_bias', o: 'attention_bias', mlp: false },
  },
  slidingWindow: { kind: 'use_sliding_window', defaultWindow: 4096, defaultMaxWindowLayers: 28 },
  rope: { kind: 'shared' },
  tensors: {
    ...LLAMA_TENSORS,
    layer: {
      ...LLAMA_TENSORS.layer,
      qNorm: 'self_attn.q_norm.weight',
      kNorm: 'self_attn.k_norm.weight',
    },
  },
};
