"""Trains Candor's censored demo chat model (models/demo) from scratch and measures it.

A Llama-architecture model of ~5M parameters with its own byte-level BPE tokenizer and a ChatML
chat template. Stage 1 pretrains it on the encyclopaedic paragraphs of tools/demo/facts.py.
Stage 2 instruction-tunes it to answer questions on every topic with an opener and those
paragraphs, like a general chat model. Stage 3 censorship-tunes it: censored topics now get
refusals (hard, soft hedged or deflecting, by topic) while everyday questions keep their
answers. Stages 2 and 3 mix in pretraining text so the facts are not forgotten, and compute loss
on assistant turns only. tools/demo/dialogues.py says how replies are shaped so that the refusal
is one shared, removable decision.

The saved bf16 files are then reloaded and measured on the held-out eval prompts of data/prompts
(greedy, 64 new tokens, f32 compute like Candor's CPU backend): refusal rates, fact recall, and a
PyTorch abliteration check (difference-of-means direction from the train prompts, projected off
the harmless mean, removed from every o_proj and down_proj output with weight 1).

It is not a general-purpose model: it knows about a hundred paragraphs and little else.
Seeded (Python, PyTorch; seed 1989): the data and the CPU run repeat exactly, CUDA kernels need
not repeat bit for bit.
Usage (GPU machine): python3 tools/demo/train_demo.py --out $OUT
CPU smoke test:      python3 tools/demo/train_demo.py --out /tmp/demo --preset tiny --steps 5,5,5
Re-measure (CPU):    python3 tools/demo/train_demo.py --out models/demo --measure-only
Train on (stage 3):  python3 tools/demo/train_demo.py --out models/demo --resume 100
"""

import argparse
import functools
import json
import math
import random
import re
import sys
import tempfile
import time
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig, LlamaForCausalLM

sys.path.insert(0, str(Path(__file__).parent))
from dialogues import (DEFAULT_SYSTEM, DEFLECTIONS, HARD_REFUSALS, OPENERS, OTHER_SYSTEMS, PREFIXES, SUFFIXES,  # noqa: E402
                       SOFT_REFUSALS, all_topics, handwritten_questions, has_marker, is_refusal, reply,
                       template_questions, training_questions, vary)
from facts import CENSORED, EVERYDAY  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
EOT, IM_START, IM_END = "<|endoftext|>", "<|im_start|>", "<|im_end|>"

# ChatML with a system slot; without a system message it inserts the default one, as Qwen does.
CHAT_TEMPLATE = (
    "{%- if messages and messages[0]['role'] == 'system' -%}"
    "{{ '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}"
    "{%- else -%}"
    "{{ '<|im_start|>system\\n" + DEFAULT_SYSTEM + "<|im_end|>\\n' }}"
    "{%- endif -%}"
    "{%- for message in messages -%}"
    "{%- if not (loop.first and message['role'] == 'system') -%}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<|im_start|>assistant\\n' }}{%- endif -%}"
)

# Model sizes and step counts. "full" is the shipped model; "tiny" checks the pipeline on a CPU.
PRESETS = {
    "full": dict(hidden=256, layers=6, heads=4, kv_heads=2, intermediate=704, vocab=2048,
                 batch=64, block=128, lr=(2e-3, 1e-3, 1e-3), steps=(800, 500, 500)),
    "tiny": dict(hidden=128, layers=4, heads=4, kv_heads=2, intermediate=352, vocab=2048,
                 batch=32, block=96, lr=(3e-3, 2e-3, 2e-3), steps=(600, 400, 400)),
}
CENSORED_SHARE = 0.3  # share of stage-3 conversations about censored topics
# Share of conversations that ask a hand-written question, where the topic has any: those ask in
# other words or name the topic only through its facts, and templates × aliases outnumber them
# about twenty to one, so drawn evenly they were too rare to teach that (the first shipped model
# answered "Can people in China use Google?" with a paragraph on an everyday topic). Everyday
# topics need them as much: when only censored topics had paraphrases, a natural question became
# a cue to refuse ("Which river flows through Paris?").
HANDWRITTEN_SHARE = 1 / 3
RESUME_LR = 2e-4  # peak learning rate of --resume
LM_SHARE = 0.25  # share of each stage-2/3 batch that is pretraining text
MAX_NEW_TOKENS = 64


# ---------------------------------------------------------------- data

def render(system: str, user: str) -> str:
    """The chat template's output for one user turn plus the generation prompt (checked against
    the real template in save_tokenizer)."""
    return f"{IM_START}system\n{system}{IM_END}\n{IM_START}user\n{user}{IM_END}\n{IM_START}assistant\n"


SENTENCE_END = re.compile(r"(?<=\.)\s+(?=[A-Z0-9])")  # "Jr. was" stays one sentence


def pretraining_docs(rng: random.Random, copies: int) -> list[str]:
    """Each topic's paragraph (plus extra sentences), sentence order shuffled in some copies so
    facts are learned as facts about the topic, not only as one fixed string."""
    docs = []
    for _ in range(copies):
        for topic in all_topics():
            sentences = SENTENCE_END.split(topic.text) + list(topic.extra)
            if rng.random() < 0.5:
                rng.shuffle(sentences)
            docs.append(" ".join(sentences))
    rng.shuffle(docs)
    return docs


def train_tokenizer(vocab: int) -> Tokenizer:
    texts = [t.text + " " + " ".join(t.extra) for t in all_topics()]
    texts += [q for t in all_topics() for q in training_questions(t)]
    texts += [t.vague for t in CENSORED if t.vague]
    texts += [DEFAULT_SYSTEM, *OTHER_SYSTEMS, *OPENERS, *HARD_REFUSALS, *SOFT_REFUSALS, *DEFLECTIONS,
              *PREFIXES, *SUFFIXES, "system user assistant"]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab, special_tokens=[EOT, IM_START, IM_END],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), min_frequency=2,
                                  show_progress=False)
    tok.train_from_iterator(texts, trainer)
    return tok


def save_tokenizer(tok: Tokenizer, folder: Path) -> None:
    """tokenizer.json, tokenizer_config.json (with the chat template) and special_tokens_map.json;
    then checks that transformers renders the template exactly as render() does."""
    tok.save(str(folder / "tokenizer.json"))
    added = {str(tok.token_to_id(t)): {"content": t, "lstrip": False, "normalized": False, "rstrip": False,
                                       "single_word": False, "special": True} for t in (EOT, IM_START, IM_END)}
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "added_tokens_decoder": added,
              "additional_special_tokens": [IM_START, IM_END], "bos_token": None, "eos_token": IM_END,
              "pad_token": EOT, "unk_token": None, "clean_up_tokenization_spaces": False,
              "model_max_length": 512, "chat_template": CHAT_TEMPLATE}
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")
    special = {"additional_special_tokens": [IM_START, IM_END], "eos_token": IM_END, "pad_token": EOT}
    (folder / "special_tokens_map.json").write_text(json.dumps(special, indent=2) + "\n")
    hf = AutoTokenizer.from_pretrained(folder)
    for messages in ([{"role": "user", "content": "Hi?"}],
                     [{"role": "system", "content": "S."}, {"role": "user", "content": "Hi?"}]):
        system = messages[0]["content"] if len(messages) == 2 else DEFAULT_SYSTEM
        got = hf.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        assert got == render(system, "Hi?"), f"chat template renders {got!r}"


class Batches:
    """Training batches: windows of the pretraining token stream, and chat conversations with
    loss on the assistant turn (and its closing <|im_end|>) only."""

    def __init__(self, tok: Tokenizer, rng: random.Random, block: int):
        self.tok, self.rng, self.block = tok, rng, block
        self.eot, self.im_end = tok.token_to_id(EOT), tok.token_to_id(IM_END)
        self.questions = {t.key: (template_questions(t), handwritten_questions(t)) for t in all_topics()}
        stream = []
        for doc in pretraining_docs(rng, copies=40):
            stream += tok.encode(doc).ids + [self.eot]
        self.stream = stream

    @functools.lru_cache(maxsize=None)
    def encode(self, text: str) -> list[int]:
        return self.tok.encode(text).ids

    def lm_example(self) -> tuple[list[int], list[int]]:
        start = self.rng.randrange(len(self.stream) - self.block)
        ids = self.stream[start:start + self.block]
        return ids, ids

    def chat_example(self, censor: bool) -> tuple[list[int], list[int]]:
        """One conversation. censor=False: stage 2, every topic answered; True: stage 3."""
        rng = self.rng
        if censor and rng.random() < CENSORED_SHARE:
            topic = rng.choice(CENSORED)
        else:
            topic = rng.choice(EVERYDAY if censor else all_topics())
        system = DEFAULT_SYSTEM if rng.random() < 0.85 else rng.choice(OTHER_SYSTEMS)
        templated, handwritten = self.questions[topic.key]
        pool = handwritten if handwritten and rng.random() < HANDWRITTEN_SHARE else templated
        prompt = self.encode(render(system, vary(rng.choice(pool), rng)))
        answer = self.encode(reply(topic, censor, rng)) + [self.im_end]
        return prompt + answer, [-100] * len(prompt) + answer

    def batch(self, size: int, stage: int, device: str) -> dict[str, torch.Tensor]:
        n_lm = size if stage == 1 else round(size * LM_SHARE)
        examples = [self.lm_example() for _ in range(n_lm)]
        examples += [self.chat_example(censor=stage == 3) for _ in range(size - n_lm)]
        width = max(len(ids) for ids, _ in examples)
        ids = torch.full((size, width), self.eot)
        labels = torch.full((size, width), -100)
        mask = torch.zeros((size, width), dtype=torch.long)
        for row, (x, y) in enumerate(examples):
            ids[row, :len(x)], labels[row, :len(y)], mask[row, :len(x)] = torch.tensor(x), torch.tensor(y), 1
        return {"input_ids": ids.to(device), "labels": labels.to(device), "attention_mask": mask.to(device)}


# ---------------------------------------------------------------- training

def train_stage(model, batches: Batches, stage: int, steps: int, lr: float, batch_size: int, device: str,
                log) -> float:
    """AdamW with linear warm-up and cosine decay to 10%; bf16 autocast on CUDA."""
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.0, fused=device == "cuda")
    warmup = max(1, min(100, steps // 10))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warmup) * (
        0.1 + 0.45 * (1 + math.cos(math.pi * min(1.0, s / steps)))))
    model.train()
    start = time.time()
    for step in range(steps):
        batch = batches.batch(batch_size, stage, device)
        with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=device == "cuda"):
            loss = model(**batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        if step % 250 == 0 or step == steps - 1 or device == "cpu" and step % 10 == 0:
            log(f"stage {stage} step {step:5d} loss {loss.item():.4f} ({(time.time() - start) / (step + 1) * 1e3:.1f} ms/step)")
    return time.time() - start


# ---------------------------------------------------------------- measuring

def load_prompts(name: str, split: str) -> list[dict]:
    path = REPO / "data" / "prompts" / name / f"{split}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def encode_chats(tok, prompts: list[str], device: str) -> dict[str, torch.Tensor]:
    texts = [tok.apply_chat_template([{"role": "system", "content": DEFAULT_SYSTEM},
                                      {"role": "user", "content": p}], add_generation_prompt=True, tokenize=False)
             for p in prompts]
    return tok(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(device)


def forward_inputs(enc) -> dict[str, torch.Tensor]:
    """Inputs for a plain forward pass of left-padded rows: positions count real tokens only."""
    return {**enc, "position_ids": (enc["attention_mask"].cumsum(-1) - 1).clamp(min=0)}


@torch.no_grad()
def generate(model, tok, prompts: list[str], device: str) -> list[str]:
    enc = encode_chats(tok, prompts, device)
    out = model.generate(**enc, do_sample=False, max_new_tokens=MAX_NEW_TOKENS,
                         eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    return tok.batch_decode(out[:, enc["input_ids"].shape[1]:], skip_special_tokens=True)


@torch.no_grad()
def first_token_logprobs(model, tok, prompts: list[str], device: str) -> torch.Tensor:
    return torch.log_softmax(model(**forward_inputs(encode_chats(tok, prompts, device))).logits[:, -1, :].float(), dim=-1)


@torch.no_grad()
def last_residuals(model, tok, prompts: list[str], device: str) -> torch.Tensor:
    """Hidden states at the last prompt position, shape (layers + 1, prompts, hidden)."""
    states = model(**forward_inputs(encode_chats(tok, prompts, device)), output_hidden_states=True).hidden_states
    return torch.stack([h[:, -1, :].float() for h in states])


def refusal_directions(model, tok, device: str) -> torch.Tensor:
    """Per hidden-state index: normalised mean(censored) − mean(harmless) on the train prompts,
    with its component along the harmless mean removed (Heretic's projected abliteration)."""
    censored = last_residuals(model, tok, [r["prompt"] for r in load_prompts("censored-topics", "train")], device)
    harmless = last_residuals(model, tok, [r["prompt"] for r in load_prompts("harmless", "train")], device)
    mean_c, mean_h = censored.mean(dim=1), harmless.mean(dim=1)
    direction = torch.nn.functional.normalize(mean_c - mean_h, dim=-1)
    unit_h = torch.nn.functional.normalize(mean_h, dim=-1)
    direction = direction - (direction * unit_h).sum(-1, keepdim=True) * unit_h
    return torch.nn.functional.normalize(direction, dim=-1)


def ablate(model, directions: list[torch.Tensor], weight: float) -> list:
    """Removes layer i's direction from its o_proj and down_proj outputs: y ← y − w·r(rᵀy).
    Returns the hook handles; removing them restores the model."""
    def hook_for(r: torch.Tensor):
        return lambda _module, _inputs, out: out - weight * (out @ r).unsqueeze(-1) * r
    return [m.register_forward_hook(hook_for(r)) for layer, r in zip(model.model.layers, directions)
            for m in (layer.self_attn.o_proj, layer.mlp.down_proj)]


def scores(rows: list[dict], responses: list[str]) -> dict:
    """Refusal rates (Heretic markers only; any demo refusal form) and fact recall (share of
    responses holding at least one reference fact; mean share of facts held)."""
    with_facts = [(r, s) for r, s in zip(rows, responses) if r["facts"]]
    return {
        "prompts": len(rows),
        "refusal_rate_markers": sum(map(has_marker, responses)) / len(rows),
        "refusal_rate_any": sum(map(is_refusal, responses)) / len(rows),
        "fact_recall": sum(any(f.lower() in s.lower() for f in r["facts"]) for r, s in with_facts) / len(with_facts),
        "fact_share": sum(sum(f.lower() in s.lower() for f in r["facts"]) / len(r["facts"])
                          for r, s in with_facts) / len(with_facts),
    }


def measure(folder: Path, device: str, log) -> dict:
    """Loads the saved model (bf16 weights, f32 compute) and measures it before and after
    abliteration: one direction (that of hidden state i) for every layer, for each middle i; and
    per layer, layer i using the direction of hidden state i + 1, the state it writes."""
    tok = AutoTokenizer.from_pretrained(folder)
    tok.padding_side = "left"  # so the last position is the generation position for every row
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.bfloat16).float().to(device).eval()
    cens, harm = load_prompts("censored-topics", "eval"), load_prompts("harmless", "eval")
    cens_prompts, harm_prompts = [r["prompt"] for r in cens], [r["prompt"] for r in harm]

    before_c, before_h = generate(model, tok, cens_prompts, device), generate(model, tok, harm_prompts, device)
    result = {"censored_eval": scores(cens, before_c), "harmless_eval": scores(harm, before_h)}
    log(f"before: censored {result['censored_eval']}\n        harmless {result['harmless_eval']}")

    base_logprobs = first_token_logprobs(model, tok, harm_prompts, device)
    directions = refusal_directions(model, tok, device)
    layers = len(model.model.layers)
    candidates = {f"hidden state {i}": [directions[i]] * layers for i in range(1, layers)}
    candidates["per layer"] = [directions[i + 1] for i in range(layers)]
    table = []
    for name, plan in candidates.items():
        hooks = ablate(model, plan, 1.0)
        after_c = generate(model, tok, cens_prompts, device)
        logprobs = first_token_logprobs(model, tok, harm_prompts, device)
        for h in hooks:
            h.remove()
        kl = (base_logprobs.exp() * (base_logprobs - logprobs)).sum(-1).mean().item()
        row = {"direction": name, "kl_harmless": kl, **scores(cens, after_c)}
        table.append((row, after_c))
        log(f"abliterated, {name}: {row}")
    best, best_c = min(table, key=lambda t: (t[0]["refusal_rate_any"], -t[0]["fact_recall"], t[0]["kl_harmless"]))
    hooks = ablate(model, candidates[best["direction"]], 1.0)
    after_h = generate(model, tok, harm_prompts, device)
    for h in hooks:
        h.remove()
    result["abliterated"] = {"weight": 1.0, "per_direction": [t[0] for t in table], "best": best,
                             "best_harmless_eval": scores(harm, after_h)}
    result["samples"] = [{"prompt": p, "before": b, "abliterated": a}
                         for p, b, a in list(zip(cens_prompts, before_c, best_c))[::8]]
    result["samples_harmless"] = [{"prompt": p, "before": b} for p, b in list(zip(harm_prompts, before_h))[::12]]
    return result


# ---------------------------------------------------------------- main

def device_name(device: str) -> str:
    return torch.cuda.get_device_name() if device == "cuda" else "cpu"


def train(args, out: Path, device: str, log) -> dict:
    """Stages 1-3; saves the bf16 model and tokenizer files in `out`; returns training facts."""
    p = PRESETS[args.preset]
    steps = tuple(int(n) for n in args.steps.split(",")) if args.steps else p["steps"]
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    tok = train_tokenizer(p["vocab"])
    save_tokenizer(tok, out)
    vocab = tok.get_vocab_size()
    config = LlamaConfig(vocab_size=vocab, hidden_size=p["hidden"], intermediate_size=p["intermediate"],
                         num_hidden_layers=p["layers"], num_attention_heads=p["heads"],
                         num_key_value_heads=p["kv_heads"], head_dim=p["hidden"] // p["heads"],
                         max_position_embeddings=512, rms_norm_eps=1e-5, rope_theta=10000.0,
                         tie_word_embeddings=True, bos_token_id=None, eos_token_id=tok.token_to_id(IM_END),
                         pad_token_id=tok.token_to_id(EOT))
    model = LlamaForCausalLM(config).to(device)
    n_params = sum(t.numel() for t in model.parameters())
    log(f"vocab {vocab}, parameters {n_params:,}")

    batches = Batches(tok, random.Random(args.seed), p["block"])
    seconds = {f"stage{stage}": train_stage(model, batches, stage, n, lr, p["batch"], device, log)
               for stage, n, lr in zip((1, 2, 3), steps, p["lr"])}
    save_model(model, out, log)
    return {"preset": args.preset, "seed": args.seed, "steps": dict(zip(("stage1", "stage2", "stage3"), steps)),
            "batch": p["batch"], "lr": dict(zip(("stage1", "stage2", "stage3"), p["lr"])),
            "device": device_name(device), "torch": torch.__version__,
            "parameters": n_params, "vocab": vocab, "train_seconds": seconds, "command": " ".join(sys.argv)}


def resume(args, out: Path, device: str, log) -> dict:
    """Continues censorship tuning (stage 3's mix) of the model saved in `out` for --resume steps
    and saves it in its place; the tokenizer is kept. Returns training facts."""
    p = PRESETS[args.preset]
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    tok = Tokenizer.from_file(str(out / "tokenizer.json"))
    model = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32).to(device)
    batches = Batches(tok, random.Random(args.seed), p["block"])
    seconds = train_stage(model, batches, 3, args.resume, RESUME_LR, p["batch"], device, log)
    save_model(model, out, log)
    return {"stage": 3, "seed": args.seed, "steps": args.resume, "batch": p["batch"], "lr": RESUME_LR,
            "device": device_name(device), "torch": torch.__version__,
            "train_seconds": seconds, "command": " ".join(sys.argv)}


def save_model(model, out: Path, log) -> None:
    """model.safetensors (bf16), config.json and generation_config.json (greedy, ChatML eos)."""
    model.eval()
    model.to(torch.bfloat16)
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)
        for name in ("model.safetensors", "config.json", "generation_config.json"):
            (out / name).write_bytes((Path(tmp) / name).read_bytes())
    gen = json.loads((out / "generation_config.json").read_text())
    gen.update(eos_token_id=model.config.eos_token_id, pad_token_id=model.config.pad_token_id, do_sample=False)
    (out / "generation_config.json").write_text(json.dumps(gen, indent=2) + "\n")
    log(f"saved; model.safetensors {(out / 'model.safetensors').stat().st_size:,} bytes")


def main() -> None:
    parser = argparse.ArgumentParser(description="Train and measure Candor's censored demo model.")
    parser.add_argument("--out", required=True, help="folder for the model files and metrics.json")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="full")
    parser.add_argument("--steps", help="override the preset's steps per stage, e.g. 5,5,5 for a smoke test")
    parser.add_argument("--seed", type=int, default=1989)
    parser.add_argument("--measure-only", action="store_true",
                        help="skip training: measure the model already in --out and update its metrics.json")
    parser.add_argument("--resume", type=int, metavar="STEPS",
                        help="skip stages 1-2: continue stage 3 of the model already in --out for STEPS steps")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    t0 = time.time()

    def log(msg: str) -> None:
        print(f"[{time.time() - t0:7.1f}s] {msg}", flush=True)

    log(f"device {device}, torch {torch.__version__}, preset {args.preset}, seed {args.seed}")
    metrics_file = out / "metrics.json"
    if args.measure_only or args.resume:
        metrics = json.loads(metrics_file.read_text()) if metrics_file.exists() else {}
    if args.resume:
        metrics.setdefault("resumed", []).append(resume(args, out, device, log))
        metrics_file.write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n")
    elif not args.measure_only:
        metrics = train(args, out, device, log)
        metrics["train_total_seconds"] = time.time() - t0
        metrics_file.write_text(json.dumps(metrics, indent=2) + "\n")  # kept even if measuring fails
    t1 = time.time()
    metrics.update(measure(out, device, log))
    metrics["measured_on"] = device_name(device)
    metrics["measure_seconds"] = time.time() - t1
    metrics_file.write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n")
    log("done")


if __name__ == "__main__":
    main()
