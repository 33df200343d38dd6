// Mistral: Llama's block with no biases; a non-null sliding_window (default 4096 when the key is
// absent, as transformers has it) applies to every layer.
import { type ArchitectureFamily, LLAMA_RECIPE, LLAMA_TENSORS } from './family.js';

export const mistral: ArchitectureFamily = {
  architecture: 'mistral',
  modelTypes: ['mistral'],
  defaults: {
    num_key_value_heads: 8,
    head_dim: null,
    rms_norm_eps: 1e-6,
    tie_word_embeddings: false,
    max_position_embeddings: 4096 * 32,
    bos_token_id: 1,
    eos_token_id: 2,
    pad_token_id: null,
    rope_theta: 10000,
    activation: { key: 'hidden_act', value: 'silu' },
  },
  recipe: LLAMA_RECIPE,
  slidingWindow: { kind: 'every_layer', defaultWindow: 4096 },
  rope: { kind: 'shared' },
  tensors: LLAMA_TENSORS,
};
