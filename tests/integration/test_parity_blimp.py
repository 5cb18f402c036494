"""Per-item parity with the BabyLM 2025 rule on real blimp_filtered / supplement items, for three tokenizer kinds.

The reference is computed here independently of classit: plain torch over the same checkpoint, the sentence
tokenized once with the tokenizer's default special tokens, every non-special token after position 0 scored.
"""

from __future__ import annotations

import pytest
import torch
from lm_eval import simple_evaluate
from transformers import AutoModelForCausalLM, AutoTokenizer

TASKS = [
    "classit_blimp_adjunct_island",
    "classit_blimp_determiner_noun_agreement_irregular_1",
    "classit_blimp_principle_A_case_2",
    "classit_supplement_turn_taking",  # literal newlines inside the items
]
LIMIT = 25


def reference_score(model, tokenizer, sentence: str) -> float:
    ids = tokenizer(sentence)["input_ids"]
    specials = set(tokenizer.all_special_ids)
    with torch.no_grad():
        logprobs = torch.log_softmax(model(torch.tensor([ids])).logits[0].double(), dim=-1)
    return float(sum(logprobs[t - 1, ids[t]] for t in range(1, len(ids)) if ids[t] not in specials))


def evaluate(task_manager, checkpoint, model="classit-hf", batch_size=16):
    return simple_evaluate(
        model=model, model_args=f"pretrained={checkpoint},dtype=float32", tasks=TASKS, task_manager=task_manager,
        batch_size=batch_size, device="cpu", limit=LIMIT, log_samples=True, bootstrap_iters=0,
    )


def per_item(results) -> dict[tuple[str, int], list[float]]:
    return {
        (task, s["doc_id"]): [float(r[0]) for r in s["filtered_resps"]]
        for task, samples in results["samples"].items()
        for s in samples
    }


@pytest.fixture(scope="module")
def classit_runs(checkpoints, task_manager):
    return {kind: evaluate(task_manager, path) for kind, path in checkpoints.items()}


@pytest.mark.parametrize("kind", ["bos", "nobos", "wrap"])
def test_classit_hf_matches_the_2025_rule(kind, checkpoints, classit_runs):
    checkpoint = checkpoints[kind]
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    model = AutoModelForCausalLM.from_pretrained(checkpoint, dtype=torch.float32).eval()
    results = classit_runs[kind]
    scored = 0
    for task, samples in results["samples"].items():
        assert len(samples) == LIMIT
        for sample in samples:
            doc = sample["doc"]
            got = [float(r[0]) for r in sample["filtered_resps"]]
            want = [reference_score(model, tokenizer, doc[k]) for k in ("sentence_good", "sentence_bad")]
            assert got == pytest.approx(want, abs=1e-4), (task, sample["doc_id"])
            assert sample["acc"] == float(got[0] >= got[1])  # ties count as correct, like torch.max
            scored += 1
    assert scored == LIMIT * len(TASKS)


def test_batch_size_does_not_change_scores(checkpoints, task_manager, classit_runs):
    other = per_item(evaluate(task_manager, checkpoints["bos"], batch_size=3))
    base = per_item(classit_runs["bos"])
    assert other.keys() == base.keys()
    for key in base:
        assert other[key] == pytest.approx(base[key], abs=1e-4)


def test_where_stock_hf_model_agrees(checkpoints, task_manager, classit_runs):
    """docs/parity.md: stock `--model hf` matches for BOS and <s>…</s> tokenizers, not for GPT-2-style ones."""
    for kind, should_match in [("bos", True), ("wrap", True), ("nobos", False)]:
        stock = per_item(evaluate(task_manager, checkpoints[kind], model="hf"))
        ours = per_item(classit_runs[kind])
        diffs = [max(abs(a - b) for a, b in zip(stock[k], ours[k])) for k in ours]
        if should_match:
            assert max(diffs) < 1e-4, kind
        else:
            assert min(diffs) > 1e-3, kind  # the first token is scored (given EOS) by stock hf, never by 2025
