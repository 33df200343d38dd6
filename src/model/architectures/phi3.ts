// Phi-3 / Phi-3.5 / Phi-4-mini: Llama's block with fused qkv_proj (rows q, then k, then v) and
// gate_up_proj (rows gate, then up), split on load; partial rotary (partial_rotary_factor);
// LongRoPE (old names "su", "yarn"); a non-null sliding_window applies to every layer.
import { type ArchitectureFamily, LLAMA_RECIPE, LLAMA_TENSORS } from './family.js';

export const phi3: ArchitectureFamily = {
  architecture: 'phi3',
  modelTypes: ['phi3'],
  defaults: {
    num_key_value_heads: null,
    head_dim: null,
    rms_norm_eps: 1e-5,
    tie_word_embeddings: false,
    max_position_embeddings: 4096,
    bos_token_id: 1,
    eos_token_id: 32000,
    pad_token_id: 32000,
    rope_theta: 10000,
    activation: { key: 'hidden_act', value: 'silu' },
    original_max_position_embeddings: 4096,
  },
  recipe: LLAMA_RECIPE,
  slidingWindow: { kind: 'every_layer', defaultWindow: null },
  rope: { kind: 'shared', typeAliases: { su: 'longrope', yarn: 'longrope' } },
  tensors: {
    ...LLAMA_TENSORS,
    layer: {
      inputNorm: 'input_layernorm.weight',
      o: 'self_attn.o_proj.weight',
      preMlpNorm: 'post_attention_layernorm.weight',
      down: 'mlp.down_proj.weight',
    },
    fused: [
      { name: 'self_attn.qkv_proj.weight', parts: ['q', 'k', 'v'] },
      { name: 'mlp.gate_up_proj.weight', parts: ['gate', 'up'] },
    ],
  },
};
