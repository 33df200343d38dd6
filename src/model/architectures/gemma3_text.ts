// Gemma 3 (text): Gemma 2's block without soft-capping (unless configured) plus q/k norms; five
// sliding-window (local) layers per full (global) one; local layers rotate with
// rope_local_base_freq, global ones with rope_theta and optional (linear) scaling.
import { type ArchitectureFamily, LLAMA_TENSORS } from './family.js';
import { GEMMA_LAYER_TENSORS, gemma2 } from './gemma2.js';

export const gemma3_text: ArchitectureFamily = {
  architecture: 'gemma3_text',
  modelTypes: ['gemma3_text'],
  defaults: {
    ...gemma2.defaults,
    max_position_embeddings: 131072,
    rope_theta: 1_000_000,
  },
  recipe: { ...gemma2.recipe, qkNorm: true, softcapping: { attn: null, final: null } },
  slidingWindow: {
    kind: 'pattern',
    defaultWindow: 4096,
    patternKey: 'sliding_window_pattern',
    defaultPattern: 6,
  },
  rope: {
    kind: 'per_layer_type',
    defaultTheta: { full_attention: 1_000_000, sliding_attention: 10_000 },
  },
  tensors: {
    ...LLAMA_TENSORS,
    layer: {
      ...GEMMA_LAYER_TENSORS,
      qNorm: 'self_attn.q_norm.weight',
      kNorm: 'self_attn.k_norm.weight',
    },
  },
};
