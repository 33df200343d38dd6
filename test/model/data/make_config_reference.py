# Writes config-reference.json: hand-written config.json variants for every architecture and
# config style, and what transformers makes of each (head dims, windows, rope inverse frequencies
# as float32 bit patterns, biases, norms, tensor names and shapes), for test/model/config.test.ts.
# Run: /work/venv/bin/python test/model/data/make_config_reference.py
import json
import os
import struct
import tempfile

import torch
import transformers
from transformers import AutoConfig, AutoModelForCausalLM

here = os.path.dirname(os.path.abspath(__file__))


def small(**kw):
    # few layers keep the tensor lists short; dims stay realistic where rope depends on them
    base = {"vocab_size": 256, "intermediate_size": 96, "num_hidden_layers": 4}
    base.update(kw)
    return base


phi35_short = [1.0 + 0.05 * i for i in range(48)]
phi35_long = [1.0 + 0.5 * i for i in range(48)]
phi4_short = [1.0 + 0.01 * i for i in range(48)]

CASES = {
    # Llama 3.2 1B style: old rope_scaling with rope_type llama3, tied embeddings, explicit head_dim
    "llama3-old-style": small(
        model_type="llama", hidden_size=2048, num_attention_heads=32, num_key_value_heads=8,
        head_dim=64, rope_theta=500000.0, max_position_embeddings=131072, tie_word_embeddings=True,
        rms_norm_eps=1e-5, bos_token_id=128000, eos_token_id=[128001, 128008, 128009],
        rope_scaling={"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                      "original_max_position_embeddings": 8192, "rope_type": "llama3"},
    ),
    # transformers 5 style rope_parameters, linear scaling given as old "type", biases on
    "llama-new-style-linear-bias": small(
        model_type="llama", hidden_size=128, num_attention_heads=4, num_key_value_heads=2,
        attention_bias=True, mlp_bias=True,
        rope_parameters={"rope_type": "linear", "factor": 3.0, "rope_theta": 20000.0},
    ),
    "llama-old-type-key": small(
        model_type="llama", hidden_size=128, num_attention_heads=4,
        rope_scaling={"type": "linear", "factor": 2.0}, rope_theta=10000.0,
    ),
    # nothing but the required keys: every default from transformers
    "llama-minimal": {"model_type": "llama", "vocab_size": 100, "hidden_size": 64,
                      "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4},
    "llama-dynamic": small(
        model_type="llama", hidden_size=128, num_attention_heads=2, max_position_embeddings=4096,
        rope_scaling={"rope_type": "dynamic", "factor": 2.0},
    ),
    "llama-yarn-mscale": small(
        model_type="llama", hidden_size=256, num_attention_heads=2, max_position_embeddings=16384,
        rope_theta=1000000.0,
        rope_scaling={"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 4096,
                      "mscale": 0.707, "mscale_all_dim": 1.0, "beta_fast": 16, "beta_slow": 2},
    ),
    "mistral-window": small(
        model_type="mistral", hidden_size=512, num_attention_heads=8, num_key_value_heads=2,
        sliding_window=4096, rope_theta=1000000.0,
    ),
    "mistral-no-window-key": small(model_type="mistral", hidden_size=512, num_attention_heads=8),
    "mistral-null-window": small(
        model_type="mistral", hidden_size=640, num_attention_heads=8, head_dim=128,
        sliding_window=None, rope_theta=1000000000.0,
    ),
    # Qwen2.5 style: sliding window present but switched off; tied
    "qwen2.5-style": small(
        model_type="qwen2", hidden_size=896, num_attention_heads=14, num_key_value_heads=2,
        use_sliding_window=False, sliding_window=32768, max_window_layers=21,
        rope_theta=1000000.0, tie_word_embeddings=True, rms_norm_eps=1e-6,
        bos_token_id=151643, eos_token_id=151645,
    ),
    "qwen2-sliding-yarn": small(
        model_type="qwen2", hidden_size=256, num_attention_heads=4, num_key_value_heads=4,
        use_sliding_window=True, sliding_window=64, max_window_layers=2, max_position_embeddings=32768,
        rope_scaling={"type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768},
    ),
    "qwen2-layer-types": small(
        model_type="qwen2", hidden_size=256, num_attention_heads=4, num_key_value_heads=None,
        use_sliding_window=True, sliding_window=32,
        layer_types=["sliding_attention", "full_attention", "sliding_attention", "full_attention"],
    ),
    "qwen3-style": small(
        model_type="qwen3", hidden_size=1024, num_attention_heads=16, num_key_value_heads=8,
        head_dim=128, rope_theta=1000000.0, tie_word_embeddings=True, eos_token_id=151645,
    ),
    "qwen3-defaults-bias": small(
        model_type="qwen3", hidden_size=256, num_attention_heads=32, attention_bias=True,
    ),
    "gemma2-2b-style": small(
        model_type="gemma2", hidden_size=2304, num_attention_heads=8, num_key_value_heads=4,
        head_dim=256, query_pre_attn_scalar=256, sliding_window=4096,
        final_logit_softcapping=30.0, attn_logit_softcapping=50.0, hidden_activation="gelu_pytorch_tanh",
        hidden_act="gelu_pytorch_tanh", rope_theta=10000.0,
    ),
    "gemma2-defaults-scalar": small(
        model_type="gemma2", hidden_size=512, num_attention_heads=4, query_pre_attn_scalar=144,
        final_logit_softcapping=None,
    ),
    # Gemma 3 1B style (old keys): rope_local_base_freq, sliding_window_pattern, linear scaling
    "gemma3-old-style": {
        **small(model_type="gemma3_text", hidden_size=1152, num_attention_heads=4,
                num_key_value_heads=1, head_dim=256, num_hidden_layers=8),
        "rope_theta": 1000000.0, "rope_local_base_freq": 10000.0, "sliding_window": 512,
        "sliding_window_pattern": 6, "query_pre_attn_scalar": 256,
        "rope_scaling": {"rope_type": "linear", "factor": 8.0},
    },
    "gemma3-new-style": {
        **small(model_type="gemma3_text", hidden_size=640, num_attention_heads=4, num_key_value_heads=1,
                head_dim=256, num_hidden_layers=4),
        "layer_types": ["sliding_attention", "full_attention", "sliding_attention", "full_attention"],
        "sliding_window": 256,
        "rope_parameters": {
            "full_attention": {"rope_type": "linear", "factor": 4.0, "rope_theta": 1000000.0},
            "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0},
        },
    },
    "gemma3-defaults": small(model_type="gemma3_text", hidden_size=512, num_attention_heads=4,
                             num_hidden_layers=7),
    "phi3-mini-4k-style": small(
        model_type="phi3", vocab_size=32064, hidden_size=3072, num_attention_heads=32, num_key_value_heads=32,
        sliding_window=2047, rope_theta=10000.0, rope_scaling=None, max_position_embeddings=4096,
        original_max_position_embeddings=4096, bos_token_id=1, eos_token_id=32000, pad_token_id=32000,
    ),
    "phi3.5-longrope": small(
        model_type="phi3", vocab_size=32064, hidden_size=3072, num_attention_heads=32, num_key_value_heads=32,
        max_position_embeddings=131072, original_max_position_embeddings=4096, sliding_window=262144,
        rope_scaling={"type": "longrope", "short_factor": phi35_short, "long_factor": phi35_long},
    ),
    "phi4-mini-partial": small(
        model_type="phi3", vocab_size=32064, hidden_size=3072, num_attention_heads=24, num_key_value_heads=8,
        partial_rotary_factor=0.75, max_position_embeddings=131072,
        original_max_position_embeddings=4096, tie_word_embeddings=True, rope_theta=10000.0,
        rope_scaling={"type": "longrope", "short_factor": phi4_short, "long_factor": phi4_short},
    ),
}


def bits(t):
    return [struct.unpack("<I", struct.pack("<f", float(x)))[0] for x in t.tolist()]


def reference(name, cfg_dict):
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(cfg_dict, f)
        config = AutoConfig.from_pretrained(d)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    inner = model.model
    attn0 = inner.layers[0].self_attn
    rotary_cls = type(inner.rotary_emb)
    rotary = rotary_cls(config=config)
    mt = config.model_type
    windows = []
    for i, layer in enumerate(inner.layers):
        if hasattr(layer.self_attn, "sliding_window"):
            windows.append(layer.self_attn.sliding_window)
        else:  # llama, mistral, phi3 pass config.sliding_window to every layer
            windows.append(getattr(config, "sliding_window", None))
    ropes = {}
    if mt == "gemma3_text":
        for lt in ("full_attention", "sliding_attention"):
            ropes[lt] = {"inv_freq": bits(getattr(rotary, f"{lt}_inv_freq")),
                         "attention_factor": getattr(rotary, f"{lt}_attention_scaling")}
        layer_rope = list(config.layer_types)
    else:
        ropes["all"] = {"inv_freq": bits(rotary.inv_freq), "attention_factor": rotary.attention_scaling}
        layer_rope = ["all"] * config.num_hidden_layers
    embed = inner.embed_tokens
    sd = model.state_dict()
    if config.tie_word_embeddings:
        sd.pop("lm_head.weight", None)
    has_qk_norm = hasattr(attn0, "q_norm")
    return {
        "config": cfg_dict,
        "expected": {
            "hidden_size": config.hidden_size,
            "num_hidden_layers": config.num_hidden_layers,
            "num_attention_heads": config.num_attention_heads,
            "num_key_value_heads": config.num_key_value_heads,
            "head_dim": attn0.head_dim,
            "intermediate_size": config.intermediate_size,
            "vocab_size": config.vocab_size,
            "rms_norm_eps": config.rms_norm_eps,
            "activation": getattr(config, "hidden_activation", None) or config.hidden_act,
            "embed_scale": float(getattr(embed, "scalar_embed_scale", 1.0)),
            "attention_scale": attn0.scaling,
            "attn_logit_softcapping": getattr(config, "attn_logit_softcapping", None),
            "final_logit_softcapping": getattr(config, "final_logit_softcapping", None),
            "qk_norm": has_qk_norm,
            "sandwich_norms": hasattr(inner.layers[0], "post_feedforward_layernorm"),
            "q_bias": getattr(attn0, "q_proj", None) is not None and attn0.q_proj.bias is not None,
            "o_bias": attn0.o_proj.bias is not None,
            "mlp_bias": getattr(inner.layers[0].mlp.down_proj, "bias", None) is not None,
            "tie_word_embeddings": config.tie_word_embeddings,
            "sliding_windows": windows,
            "layer_rope": layer_rope,
            "ropes": ropes,
            "eos_token_id": config.eos_token_id,
            "bos_token_id": config.bos_token_id,
            "pad_token_id": config.pad_token_id,
            "tensors": {k: list(v.shape) for k, v in sd.items()},
        },
    }


out = {"transformers": transformers.__version__, "torch": torch.__version__,
       "cases": {name: reference(name, cfg) for name, cfg in CASES.items()},
       # attention scales: Python's x ** -0.5 for every head dim a model might use
       "inverse_sqrt": [[x, x ** -0.5] for x in range(1, 1025)]}
with open(os.path.join(here, "config-reference.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
