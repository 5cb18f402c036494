"""The fast scoring path (shared-prefix rows, large batches) equals the straightforward one (every option scored
alone, small batches) item by item, on real items of every ranking task, for BOS and non-BOS tokenizers."""

from __future__ import annotations

import pytest
from lm_eval import simple_evaluate

TASKS = [
    "classit_blimp_fast_adjunct_island",
    "classit_blimp_fast_principle_A_case_2",
    "classit_supplement_fast_turn_taking",
    "classit_ewok_fast_agent_properties",
    "classit_ewok_paper_fast_agent_properties",
    "classit_entity_tracking_fast_regular_3_ops",
    "classit_wug_adj_nominalization",
]


def lls(task_manager, checkpoint, prefix_sharing: bool, batch_size: int):
    results = simple_evaluate(
        model="classit-hf",
        model_args=f"pretrained={checkpoint},prefix_sharing={prefix_sharing}",
        tasks=TASKS, task_manager=task_manager, batch_size=batch_size, device="cpu", limit=12,
        log_samples=True, bootstrap_iters=0,
    )
    return {
        (task, s["doc_id"]): [float(r[0]) for r in s["filtered_resps"]]
        for task, samples in results["samples"].items() for s in samples
    }


@pytest.mark.parametrize("kind", ["bos", "nobos"])
def test_shared_prefix_rows_equal_separate_scoring(kind, checkpoints, task_manager):
    fast = lls(task_manager, checkpoints[kind], True, 64)
    plain = lls(task_manager, checkpoints[kind], False, 3)
    assert fast.keys() == plain.keys()
    assert {task for task, _ in fast} == set(TASKS)
    for key in fast:
        assert fast[key] == pytest.approx(plain[key], abs=1e-4), key


def test_head_chunks_do_not_change_scores(checkpoints, task_manager, monkeypatch):
    """The LM head and log-sum-exp run over chunks of needed positions; tiny chunks (7 positions) give the same."""
    import classit_tasks.scoring.model as cm
    from transformers import AutoConfig

    whole = lls(task_manager, checkpoints["bos"], True, 64)
    monkeypatch.setattr(cm, "HEAD_ELEMENTS", 7 * AutoConfig.from_pretrained(checkpoints["bos"]).vocab_size)
    chunked = lls(task_manager, checkpoints["bos"], True, 64)
    assert whole.keys() == chunked.keys()
    for key in whole:
        # Sums of ~30 float32 log-probs (|sum| up to ~200 nats) summed in another order: the rounding bound grows with
        # the magnitude (n * eps * |sum| ~ 1e-4 at 200 nats), so the tolerance is relative, not a fixed 1e-5.
        assert chunked[key] == pytest.approx(whole[key], rel=2e-6, abs=1e-6), key


def test_backend_encoder_is_used_only_when_it_matches_the_tokenizer(checkpoints):
    """encode_babylm2025 calls the Rust backend directly only if it reproduces the tokenizer's ids and offsets."""
    from types import SimpleNamespace

    from transformers import AutoTokenizer

    from classit_tasks.scoring.encoders import _fastest_encoder, encode_babylm2025

    for kind in ("bos", "nobos", "wrap"):
        tokenizer = AutoTokenizer.from_pretrained(checkpoints[kind])
        assert _fastest_encoder(tokenizer, ["The cat sat.", " on it"]).__name__ == "via_backend", kind

    tokenizer = AutoTokenizer.from_pretrained(checkpoints["bos"])
    real = tokenizer.backend_tokenizer

    class Shifted:  # a backend that disagrees with the tokenizer (one extra leading token)
        def encode_batch(self, texts, add_special_tokens=True):
            return [SimpleNamespace(ids=[0] + e.ids, offsets=[(0, 0)] + e.offsets)
                    for e in real.encode_batch(texts, add_special_tokens=add_special_tokens)]

    class Wrapped:
        backend_tokenizer = Shifted()

        def __call__(self, texts, **kwargs):
            return tokenizer(texts, **kwargs)

    assert _fastest_encoder(Wrapped(), ["The cat sat."]).__name__ == "via_tokenizer"
    pairs = [("", "The cat sat."), ("The dog", " barked.")]
    assert [e.ids for e in encode_babylm2025(Wrapped(), pairs)] == [e.ids for e in encode_babylm2025(tokenizer, pairs)]
