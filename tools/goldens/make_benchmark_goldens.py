"""Golden continuation log-likelihoods for `candor benchmark`, computed by transformers.

For fixture models, every (context, continuation) pair below is encoded as lm-evaluation-harness's
HF model does (trailing context whitespace moves to the continuation; the whole string is encoded
and split at the context's token count; no special tokens; an empty context becomes the BOS
token), run through the model in float32 (eager attention, one full pass per pair), and the
log-softmax of each continuation token is summed. The multiple-choice items are built here from
the fixture rows by hand (not by Candor's templates), with acc and acc_norm from numpy's argmax.

Deterministic; CPU float32 gives the same numbers the GPU machine would in float32.
Run: /work/venv/bin/python tools/goldens/make_benchmark_goldens.py
Writes test/benchmark/fixtures/goldens.json.
"""

import json
from pathlib import Path

import numpy as np
import torch
import transformers
from transformers import AutoModelForCausalLM, AutoTokenizer

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "test" / "benchmark" / "fixtures"
MODELS = ["llama", "gemma2"]

# Pairs that exercise the encoding rules: trailing spaces, an empty context, merges across the
# boundary, newlines, non-ASCII text, one-token and long continuations.
PAIRS = [
    ("The capital of France is", " Paris"),
    ("The capital of France is ", "Paris"),
    ("", "Hello world"),
    ("Question: Which is a mammal?\nAnswer:", " whale"),
    ("Zürich liegt in der", " Schweiz, nicht in Österreich."),
    ("a\n\nb\n\nc", "\n\nd e f g h i j k l m n o p"),
]


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def arc_items() -> list[dict]:
    """arc_fixture zero-shot: "Question: {q}\\nAnswer:" then " {choice}"."""
    rows = read_jsonl(FIXTURES / "data" / "ai2_arc" / "ARC-Easy" / "test-00000-of-00001.jsonl")
    return [
        {
            "context": f"Question: {r['question']}\nAnswer:",
            "choices": r["choices"]["text"],
            "gold": r["choices"]["label"].index(r["answerKey"]),
        }
        for r in rows
    ]


def plain_items() -> list[dict]:
    """plain.jsonl: the question as context, " {choice}" as continuation."""
    return [
        {"context": r["question"], "choices": r["choices"], "gold": r["answer"]}
        for r in read_jsonl(FIXTURES / "plain.jsonl")
    ]


def encode_pair(tokenizer, context: str, continuation: str) -> tuple[list[int], list[int]]:
    n_spaces = len(context) - len(context.rstrip())
    if n_spaces > 0:
        continuation = context[-n_spaces:] + continuation
        context = context[:-n_spaces]
    if context == "":
        return [tokenizer.bos_token_id], tokenizer.encode(continuation, add_special_tokens=False)
    whole = tokenizer.encode(context + continuation, add_special_tokens=False)
    context_ids = tokenizer.encode(context, add_special_tokens=False)
    return context_ids, whole[len(context_ids):]


@torch.no_grad()
def loglikelihood(model, context_ids: list[int], continuation_ids: list[int]) -> list[float]:
    ids = torch.tensor([context_ids + continuation_ids])
    logits = model(input_ids=ids).logits[0].float()
    logprobs = torch.log_softmax(logits, dim=-1)
    start = len(context_ids) - 1
    return [logprobs[start + t, tok].item() for t, tok in enumerate(continuation_ids)]


def score_pair(model, tokenizer, context: str, continuation: str) -> dict:
    context_ids, continuation_ids = encode_pair(tokenizer, context, continuation)
    token_logprobs = loglikelihood(model, context_ids, continuation_ids)
    return {
        "context": context,
        "continuation": continuation,
        "context_ids": context_ids,
        "continuation_ids": continuation_ids,
        "token_logprobs": token_logprobs,
        "loglikelihood": float(np.sum(np.array(token_logprobs, dtype=np.float64))),
    }


def score_items(model, tokenizer, items: list[dict]) -> dict:
    out = []
    for item in items:
        lls = [
            score_pair(model, tokenizer, item["context"], " " + c)["loglikelihood"]
            for c in item["choices"]
        ]
        lengths = np.array([float(len(c)) for c in item["choices"]])
        out.append(
            {
                "loglikelihoods": lls,
                "acc": float(np.argmax(lls) == item["gold"]),
                "acc_norm": float(np.argmax(np.array(lls) / lengths) == item["gold"]),
            }
        )
    return {
        "items": out,
        "acc": float(np.mean([o["acc"] for o in out])),
        "acc_norm": float(np.mean([o["acc_norm"] for o in out])),
    }


def main() -> None:
    torch.manual_seed(0)
    goldens = {
        "generator": {
            "script": "tools/goldens/make_benchmark_goldens.py",
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "device": "cpu",
            "dtype": "float32",
            "attn_implementation": "eager",
        },
        "models": {},
    }
    for name in MODELS:
        folder = ROOT / "test" / "fixtures" / "models" / name
        model = AutoModelForCausalLM.from_pretrained(
            folder, dtype=torch.float32, attn_implementation="eager"
        ).eval()
        tokenizer = AutoTokenizer.from_pretrained(folder)
        goldens["models"][name] = {
            "pairs": [score_pair(model, tokenizer, c, x) for c, x in PAIRS],
            "tasks": {
                "arc_fixture": score_items(model, tokenizer, arc_items()),
                "plain": score_items(model, tokenizer, plain_items()),
            },
        }
    path = FIXTURES / "goldens.json"
    path.write_text(json.dumps(goldens, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
