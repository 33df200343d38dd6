// Qwen3: Qwen2's layout plus RMSNorm of each query and key head (q_norm, k_norm) before rope;
// biases only with attention_bias; head_dim defaults to 128, not hidden_size / heads.
import { type ArchitectureFamily, LLAMA_RECIPE, LLAMA_TENSORS } from './family.js';
import { qwen2 } from './qwen2.js';

export const qwen3: ArchitectureFamily = {
  architecture: 'qwen3',
  modelTypes: ['qwen3'],
  // Qwen3Config's defaults are Qwen2Config's but for head_dim
  defaults: { ...qwen2.defaults, head_dim: 128 },
  recipe: {
    ...LLAMA_RECIPE,
    qkNorm: true,
    bias: { qkv: 'attention_bias', o: 'attention_bias', mlp: false },
  },
  slidingWindow: qwen2.slidingWindow,
  rope: qwen2.rope,
  tensors: {
    ...LLAMA_TENSORS,
    layer: {
      ...LLAMA_TENSORS.layer,
      qNorm: 'self_attn.q_norm.weight',
      kNorm: 'self_attn.k_norm.weight',
    },
  },
};
