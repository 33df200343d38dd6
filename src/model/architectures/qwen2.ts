// Qwen2 / Qwen2.5: Llama's block with q/k/v biases (always; o_proj has none). Sliding windows
// only with use_sliding_window: on the layers layer_types marks, else from max_window_layers on.
import { type ArchitectureFamily, LLAMA_RECIPE, LLAMA_TENSORS } from './family.js';

export const qwen2: ArchitectureFamily = {
  architecture: 'qwen2',
  modelTypes: ['qwen2'],
  defaults: {
    num_key_value_heads: 32,
    head_dim: null,
    rms_norm_eps: 1e-6,
    tie_word_embeddings: false,
    max_position_embeddings: 32768,
    bos_token_id: null,
    eos_token_id: null,
    pad_token_id: null,
    rope_theta: 10000,
    activation: { key: 'hidden_act', value: 'silu' },
  },
  recipe: { ...LLAMA_RECIPE, bias: { qkv: true, o: false, mlp: false } },
  slidingWindow: { kind: 'use_sliding_window', defaultWindow: 4096, defaultMaxWindowLayers: 28 },
  rope: { kind: 'shared' },
  tensors: LLAMA_TENSORS,
};
