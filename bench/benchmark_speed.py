"""Peer of bench/benchmark-speed.ts: transformers scores the same (context, continuation) pairs
(bench/benchmark-slice.json, written by the TypeScript side) on the llama fixture in float32 on
the CPU, encoded as lm-evaluation-harness does, batched 16 pairs at a time with right padding as
its HF model batches them. Prints one JSON line (median of --runs runs, milliseconds).
Usage: /work/venv/bin/python bench/benchmark_speed.py [--runs 5]
"""

import argparse
import json
import time

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

DIR = "test/fixtures/models/llama"


def encode(tok, context, continuation):
    n = len(context) - len(context.rstrip())
    if n:
        continuation, context = context[-n:] + continuation, context[:-n]
    whole = tok.encode(context + continuation, add_special_tokens=False)
    ctx = tok.encode(context, add_special_tokens=False)
    return ctx, whole[len(ctx):]


@torch.no_grad()
def score(model, encoded, batch=16):
    out = []
    for i in range(0, len(encoded), batch):
        group = encoded[i : i + batch]
        seqs = [(c + x)[:-1] for c, x in group]
        width = max(len(s) for s in seqs)
        ids = torch.zeros((len(seqs), width), dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        for r, s in enumerate(seqs):
            ids[r, : len(s)] = torch.tensor(s)
            mask[r, : len(s)] = 1
        logprobs = torch.log_softmax(model(input_ids=ids, attention_mask=mask).logits.float(), -1)
        for r, (c, x) in enumerate(group):
            rows = logprobs[r, len(c) - 1 : len(c) - 1 + len(x)]
            out.append(rows.gather(1, torch.tensor(x)[:, None]).sum().item())
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()
    pairs = json.load(open("bench/benchmark-slice.json"))
    tok = AutoTokenizer.from_pretrained(DIR)
    model = AutoModelForCausalLM.from_pretrained(DIR, dtype=torch.float32, attn_implementation="eager").eval()
    encoded = [encode(tok, c, x) for c, x in pairs]
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        score(model, encoded)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    print(json.dumps({"peer": f"transformers-{torch.__version__}-cpu", "requests": len(pairs), "median_ms": times[len(times) // 2], "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
