// Llama (1, 2, 3.x): the base recipe. attention_bias adds q/k/v/o biases, mlp_bias adds MLP
// biases; Llama 3.1+ rope scaling (rope_type "llama3") lives in the shared rope parameters.
import { type ArchitectureFamily, LLAMA_RECIPE, LLAMA_TENSORS } from './family.js';

export const llama: ArchitectureFamily = {
  architecture: 'llama',
  modelTypes: ['llama'],
  defaults: {
    num_key_value_heads: null,
    head_dim: null,
    rms_norm_eps: 1e-6,
    tie_word_embeddings: false,
    max_position_embeddings: 2048,
    bos_token_id: 1,
    eos_token_id: 2,
    pad_token_id: null,
    rope_theta: 10000,
    activation: { key: 'hidden_act', value: 'silu' },
  },
  recipe: {
    ...LLAMA_RECIPE,
    bias: { qkv: 'attention_bias', o: 'attention_bias', mlp: 'mlp_bias' },
  },
  slidingWindow: { kind: 'none' },
  rope: { kind: 'shared' },
  tensors: LLAMA_TENSORS,
};
