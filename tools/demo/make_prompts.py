"""Writes Candor's bundled prompt sets, data/prompts/{censored-topics,harmless}/{train,eval}.jsonl,
from the demo fact tables, and checks the invariants the demo relies on: eval prompts are never
seen in training, every reference fact is in its topic's paragraph, and no answer the demo model
is taught (nor any paragraph) contains a Heretic refusal marker.

Usage: python3 tools/demo/make_prompts.py [--out data/prompts]
Deterministic: each file draws from its own generator, seeded with "1776-<set>-<split>".
"""

import argparse
import json
import random
from pathlib import Path

from dialogues import (DEFLECTIONS, HARD_REFUSALS, OPENERS, SOFT_REFUSALS, all_topics, has_marker,
                       prompt_set, training_questions)
from facts import CENSORED, EVERYDAY

SEED = 1776
# Template questions per topic in each split; with the hand-written questions this gives about
# 165 / 80 censored and 200 / 95 harmless prompts.
PER_TOPIC = {("censored", "train"): 8, ("censored", "eval"): 3,
             ("harmless", "train"): 2, ("harmless", "eval"): 1}


def check_tables() -> None:
    keys = [t.key for t in all_topics()]
    assert len(keys) == len(set(keys)), "duplicate topic keys"
    for topic in all_topics():
        for fact in topic.facts:
            assert fact.lower() in topic.text.lower(), f"{topic.key}: fact {fact!r} not in its text"
        assert not has_marker(topic.text + " " + " ".join(topic.extra)), f"{topic.key}: marker in text"
    for topic in CENSORED:
        assert topic.style in ("hard", "soft", "deflect"), f"{topic.key}: no refusal style"
        assert (topic.style == "soft") == bool(topic.vague), f"{topic.key}: soft style needs (only) a vague line"
        assert not any(f.lower() in topic.vague.lower() for f in topic.facts), f"{topic.key}: fact in vague"
        assert topic.vague.split()[:1] != topic.text.split()[:1], f"{topic.key}: vague line opens like the text"
        assert not has_marker(topic.vague), f"{topic.key}: marker in vague"
    assert not any(t.style for t in EVERYDAY), "everyday topic with a refusal style"
    for form in SOFT_REFUSALS + DEFLECTIONS + OPENERS:
        assert not has_marker(form), f"soft, deflect or opener form carries a marker: {form!r}"
    # The first reply token separates refusals from answers (see dialogues.py).
    assert all(r.startswith("I") for r in HARD_REFUSALS + SOFT_REFUSALS + DEFLECTIONS)
    assert not any(o.startswith("I") for o in OPENERS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="data/prompts")
    out = Path(parser.parse_args().out)
    check_tables()
    seen = {q.lower() for t in all_topics() for q in training_questions(t)}
    for name, topics in (("censored-topics", CENSORED), ("harmless", EVERYDAY)):
        kind = "censored" if topics is CENSORED else "harmless"
        for split in ("train", "eval"):
            rows = prompt_set(topics, split, PER_TOPIC[(kind, split)], random.Random(f"{SEED}-{name}-{split}"))
            if split == "eval":
                leaked = [r["prompt"] for r in rows if r["prompt"].lower() in seen]
                assert not leaked, f"eval prompts seen in training: {leaked}"
            path = out / name / f"{split}.jsonl"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
            print(f"{path}: {len(rows)} prompts")


if __name__ == "__main__":
    main()
