"""Makes a Llama-3.1-8B-shaped model with random bf16 weights on the GPU machine, saves it as a
Hugging Face folder for Candor, and times transformers on it (the peer of bench/engine-8b.ts):
decode at batch 1 and 64, prefill at batch 64 x 128, Heretic's per-trial workload (greedy
generate() of 100 new tokens for 100 prompts, then next-token logits for 100 prompts), and its
direction pass (hidden states of 400 harmful and 400 harmless prompts).

    python tools/bench/llama8b.py OUT_DIR RESULT.json [--load-only]

--load-only: the model and the loading time only (engine-8b.ts --load-only's peer).

Prompts are fixed token ids (the same formula in bench/engine-8b.ts), so both sides see the
same shapes. Random weights rarely emit EOS; min_new_tokens forces the full length anyway.
"""
import json
import sys
import time

import torch
from transformers import LlamaConfig, LlamaForCausalLM

OUT, RESULT = sys.argv[1], sys.argv[2]
LOAD_ONLY = "--load-only" in sys.argv  # only the model and the loading time (load-8b)
VOCAB = 128256


def prompt(i, length):
    return [(i * 7919 + j * 104729 + 13) % 128000 for j in range(length)]


def batch(n, length, offset=0):
    return torch.tensor([prompt(offset + i, length) for i in range(n)], device="cuda")


def timed(fn, reps=1):
    fn()  # warm-up: kernels, allocator
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(reps):
        fn()
    torch.cuda.synchronize()
    return (time.perf_counter() - start) / reps


def generate(ids, new_tokens):
    return model.generate(
        input_ids=ids,
        attention_mask=torch.ones_like(ids),
        max_new_tokens=new_tokens,
        min_new_tokens=new_tokens,
        do_sample=False,
        pad_token_id=0,
    )


config = LlamaConfig(
    vocab_size=VOCAB, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
    num_attention_heads=32, num_key_value_heads=8, max_position_embeddings=131072,
    rms_norm_eps=1e-5, rope_theta=500000.0, tie_word_embeddings=False,
    rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                  "high_freq_factor": 4.0, "original_max_position_embeddings": 8192},
    bos_token_id=128000, eos_token_id=[128001, 128008, 128009],
)
torch.manual_seed(0)
t0 = time.perf_counter()
with torch.device("cuda"):
    model = LlamaForCausalLM(config).to(torch.bfloat16)
model.config._attn_implementation = "sdpa"
model.eval()
print(f"made model in {time.perf_counter() - t0:.1f}s", flush=True)
t0 = time.perf_counter()
model.save_pretrained(OUT, max_shard_size="5GB")
print(f"saved in {time.perf_counter() - t0:.1f}s", flush=True)

results = {"torch": torch.__version__, "gpu": torch.cuda.get_device_name()}
if not LOAD_ONLY:
    with torch.inference_mode():
        torch.cuda.reset_peak_memory_stats()
        secs = timed(lambda: generate(batch(1, 16), 64))
        results["decode_b1_tok_s"] = 64 / secs
        secs = timed(lambda: generate(batch(64, 64), 64))
        results["decode_b64_tok_s"] = 64 * 64 / secs
        ids = batch(64, 128)
        secs = timed(lambda: model(input_ids=ids, logits_to_keep=1), reps=3)
        results["prefill_b64_tok_s"] = 64 * 128 / secs

        harmful, harmless = batch(100, 32, 1000), batch(100, 32, 2000)

        def trial():
            generate(harmful, 100)
            model(input_ids=harmless, logits_to_keep=1).logits.float().log_softmax(-1)

        results["trial_s"] = timed(trial)

        # Heretic's direction pass: hidden states at the last prompt position of every layer for
        # 400 harmful and 400 harmless prompts, in batches of 100, means on the GPU
        def directions():
            means = []
            for offset in (3000, 4000):
                total = None
                for start in range(0, 400, 100):
                    states = model(input_ids=batch(100, 32, offset + start), output_hidden_states=True,
                                   logits_to_keep=1).hidden_states
                    last = torch.stack([h[:, -1, :].float() for h in states]).sum(1)
                    total = last if total is None else total + last
                means.append(total / 400)
            return torch.nn.functional.normalize(means[0] - means[1], dim=-1).cpu()

        results["direction_s"] = timed(directions)
        results["max_memory_allocated_gib"] = torch.cuda.max_memory_allocated() / 2**30

# loading, as Candor's load-8b row: from the saved folder to the first generated token (the files
# are in the page cache for both sides, having just been written)
del model
torch.cuda.empty_cache()
t0 = time.perf_counter()
model = LlamaForCausalLM.from_pretrained(OUT, dtype=torch.bfloat16, device_map="cuda",
                                         attn_implementation="sdpa")
with torch.inference_mode():
    generate(batch(1, 16), 1)
torch.cuda.synchronize()
results["load_first_token_s"] = time.perf_counter() - t0
print(json.dumps(results, indent=1), flush=True)
with open(RESULT, "w") as f:
    json.dump(results, f, indent=1)
