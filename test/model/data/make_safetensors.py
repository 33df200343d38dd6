# Makes the Python-written safetensors files that test/model/safetensors.test.ts compares Candor's
# writer against byte for byte. Run: /work/venv/bin/python test/model/data/make_safetensors.py
# (torch, safetensors, transformers). Values are a fixed arange, so the TS test can rebuild them.
import json
import os

import torch
from safetensors.torch import save_file
from transformers import LlamaConfig, LlamaForCausalLM

here = os.path.dirname(os.path.abspath(__file__))


def ramp(shape, dtype):
    n = 1
    for s in shape:
        n *= s
    return (torch.arange(n, dtype=torch.float32) * 0.25 - 1.5).reshape(shape).to(dtype)


# Names chosen to exercise the ordering rules: integer-like names, upper/lower case, non-ASCII,
# escapes, an empty tensor, a scalar, and all three float dtypes (sorted F32 > BF16 > F16).
tensors = {
    "model.layers.10.mlp.down_proj.weight": ramp((3, 2), torch.bfloat16),
    "model.layers.2.mlp.down_proj.weight": ramp((3, 2), torch.bfloat16),
    "10": ramp((2,), torch.float32),
    "9": ramp((1,), torch.float16),
    "Zeta": ramp((2, 2), torch.float32),
    "alpha": ramp((4,), torch.float16),
    "é\u00ff\u0100": ramp((1, 3), torch.float32),
    'quote"back\\slash\ttab\u0001': ramp((2,), torch.bfloat16),
    "empty": torch.zeros((0, 5), dtype=torch.float32),
    "scalar": torch.tensor(3.5, dtype=torch.float16),
}
save_file(tensors, os.path.join(here, "python-mixed.safetensors"), metadata={"format": "pt"})
save_file({"only": ramp((2, 3), torch.float32)}, os.path.join(here, "python-nometa.safetensors"))

# A tiny Llama saved by transformers with a small max_shard_size: shards + index.
config = LlamaConfig(
    vocab_size=32, hidden_size=8, intermediate_size=16, num_hidden_layers=2,
    num_attention_heads=2, num_key_value_heads=1, tie_word_embeddings=False,
)
torch.manual_seed(0)
model = LlamaForCausalLM(config).to(torch.bfloat16)
out = os.path.join(here, "python-sharded")
model.save_pretrained(out, max_shard_size="1KB")
for name in os.listdir(out):
    if not (name.endswith(".safetensors") or name.endswith(".index.json")):
        os.remove(os.path.join(out, name))
with open(os.path.join(out, "state_dict_order.json"), "w") as f:
    json.dump(list(model.state_dict().keys()), f, indent=1)

# json.dumps as transformers writes config and index files, for src/model/python-json.ts.
sample = {
    "b": [1, 2.5, 1e-06, 1e-05, 0.0001, 123456789.125, 1e16 + 2.0, -3e-7, 1.5e300, [], {}],
    "a": {"z": True, "y": None, "x": "é ✓ \U0001F600 \u007f \"q\" \\ \n \t \u0001"},
    "\uff5e": 1, "\U0001F600": 2, "A": False,
}
with open(os.path.join(here, "python-json-input.json"), "w") as f:
    json.dump(sample, f)
with open(os.path.join(here, "python-json-dumps.txt"), "w") as f:
    f.write(json.dumps(sample, indent=2, sort_keys=True) + "\n")
