"""Entity tracking on the real data: per-item parity with an independent BabyLM 2025 computation, the mean-of-means
aggregate, the fast variant and over-long prompts. Data errors are unit tests
(tests/unit/test_entity_tracking_files.py)."""

from __future__ import annotations

import random

import pytest

from zero_shot_helpers import (
    FakeLM, evaluate, parity_run, reference_logprob, sample_logliks, task_manager, tiny_checkpoint,
)

from classit_tasks.tasks.entity_tracking import FILES, NUMOPS
from classit_tasks.scoring.model import ClassitModelError

TOL = 1e-4
PARITY = ("classit_entity_tracking_regular_5_ops", "classit_entity_tracking_ambiref_2_ops",
          "classit_entity_tracking_move_contents_0_ops")


@pytest.mark.parametrize("kind", ["bos", "nobos"])
@pytest.mark.parametrize("task", PARITY)
def test_per_item_parity(kind, task):
    out = parity_run(kind)
    samples = out["samples"][task]
    assert len(samples) == 6
    for sample, (doc_id, args, lls) in zip(samples, sample_logliks(samples)):
        doc = sample["doc"]
        assert doc["input_prefix"].endswith(" ")  # the trailing space reaches the model
        same_args = args == [(doc["input_prefix"], option) for option in doc["options"]]  # 2025: prefix + option
        assert same_args, f"{task} doc {doc_id}: request strings differ from the 2025 sentences"
        assert len(lls) == 5
        for i, (ours, (ctx, cont)) in enumerate(zip(lls, args)):
            ref = reference_logprob(kind, ctx, cont)
            assert abs(ours - ref) < TOL, f"{task} doc {doc_id} option {i}: {ours:.6f} vs {ref:.6f}"
        assert sample["acc"] == float(max(lls) == lls[0])


def test_group_is_mean_of_file_means_on_hand_made_results():
    """lm-eval averages the 18 leaves; the 2025 code averages numops within files, then files: equal here."""
    group = task_manager().load(["classit_entity_tracking"])["groups"]["classit_entity_tracking"]
    rng = random.Random(0)
    metrics, by_file = {}, {}
    for file in FILES:
        for n in NUMOPS:
            acc = rng.random()
            metrics[f"classit_entity_tracking_{file}_{n}_ops"] = {
                "acc,none": acc, "acc_ties_half,none": acc / 2, "sample_len": rng.randint(50, 700),
            }
            by_file.setdefault(file, []).append(acc)
    official = sum(sum(v) / len(v) for v in by_file.values()) / len(by_file)  # run.py::process_results
    flat = sum(m["acc,none"] for m in metrics.values()) / 18
    aggregated = group.aggregate(metrics)
    assert aggregated["acc,none"] == pytest.approx(official)
    assert aggregated["acc,none"] == pytest.approx(flat)
    assert aggregated["acc_ties_half,none"] == pytest.approx(official / 2)
    assert len(metrics) == 18


def test_fast_variant_is_regular_from_the_full_file():
    """No fast_eval/entity_tracking_fast in the shared data: the identical full regular.jsonl is used."""
    out = evaluate(["classit_entity_tracking_fast"], lm=FakeLM(), limit=3, log_samples=False)
    results = out["results"]
    assert {f"classit_entity_tracking_fast_regular_{n}_ops" for n in NUMOPS} <= set(results)
    assert out["n-samples"]["classit_entity_tracking_fast_regular_0_ops"]["original"] == 606
    leaves = [results[f"classit_entity_tracking_fast_regular_{n}_ops"]["acc,none"] for n in NUMOPS]
    assert results["classit_entity_tracking_fast"]["acc,none"] == pytest.approx(sum(leaves) / 6)


def test_over_long_prompt_is_refused_not_truncated():
    from lm_eval.api.registry import get_model

    lm = get_model("classit-hf")(pretrained=str(tiny_checkpoint("bos")), device="cpu", batch_size=8, max_length=64)
    with pytest.raises(ClassitModelError) as err:
        evaluate(["classit_entity_tracking_regular_0_ops"], lm=lm, limit=1, log_samples=False)
    message = str(err.value)
    assert "\n" not in message
    assert "classit_entity_tracking_regular_0_ops doc 0" in message and "context window of 64" in message


