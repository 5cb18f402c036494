"""EWoK tasks on the real data: per-item parity with an independent BabyLM 2025 computation, the paper variant,
group scores, breakdowns and tie counting. Data errors and the registered groups are unit tests (tests/unit/test_ewok_files.py).

EWoK's terms forbid showing items in plain text: assertions here compare numbers and booleans only, and failure
messages name documents by index, never by content.
"""

from __future__ import annotations

import math
from collections import defaultdict

import pytest

from zero_shot_helpers import FakeLM, evaluate, parity_run, reference_logprob, sample_logliks

from classit_tasks.tasks.ewok import BREAKDOWN_CELLS, DOMAINS

TOL = 1e-4  # float32 sums, batched vs unbatched


@pytest.mark.parametrize("kind", ["bos", "nobos"])
@pytest.mark.parametrize(
    "task,paper", [("classit_ewok_social_properties", False), ("classit_ewok_paper_social_properties", True),
                   ("classit_ewok_fast_physical_dynamics", False)],
)
def test_per_item_parity(kind, task, paper):
    out = parity_run(kind)
    samples = out["samples"][task]
    assert len(samples) == 6
    for sample, (doc_id, args, lls) in zip(samples, sample_logliks(samples)):
        doc = sample["doc"]
        if paper:  # one target, two contexts
            expected_args = [(doc["Context1"], " " + doc["Target1"]), (doc["Context2"], " " + doc["Target1"])]
        else:  # one context, two targets: the 2025 completions " " + Target
            expected_args = [(doc["Context1"], " " + doc["Target1"]), (doc["Context1"], " " + doc["Target2"])]
        same_args = args == expected_args
        assert same_args, f"{task} doc {doc_id}: request strings differ from the 2025 sentences"
        refs = [reference_logprob(kind, ctx, cont) for ctx, cont in expected_args]
        for i, (ours, ref) in enumerate(zip(lls, refs)):
            assert abs(ours - ref) < TOL, f"{task} doc {doc_id} option {i}: {ours:.6f} vs reference {ref:.6f}"
        if paper:
            want = 0.5 if refs[0] == refs[1] else float(lls[0] > lls[1])
        else:
            want = float(lls[0] >= lls[1])
        assert sample["acc"] == want, f"{task} doc {doc_id}"
    acc = out["results"][task]["acc,none"]
    assert acc == pytest.approx(sum(s["acc"] for s in samples) / len(samples))


@pytest.fixture(scope="module")
def fake_fast_run():
    """The whole fast set through the 2025, paper and breakdown tasks with a model-free LM (ties by length)."""
    return evaluate(
        ["classit_ewok_fast", "classit_ewok_paper_fast", "classit_ewok_fast_breakdown"], lm=FakeLM(),
    )


def test_group_is_macro_mean_over_domains(fake_fast_run):
    results = fake_fast_run["results"]
    for group, prefix in (("classit_ewok_fast", "classit_ewok_fast_"), ("classit_ewok_paper_fast", "classit_ewok_paper_fast_")):
        leaves = [results[prefix + d.replace("-", "_")]["acc,none"] for d in DOMAINS]
        assert len(leaves) == 11
        assert results[group]["acc,none"] == pytest.approx(sum(leaves) / 11)
    for d in DOMAINS:
        assert fake_fast_run["n-samples"]["classit_ewok_fast_" + d.replace("-", "_")]["original"] == 100


def test_tie_counting(fake_fast_run):
    """-len(continuation) ties exactly when the targets have the same length: parity counts a tie as correct,
    acc_ties_half as 0.5; the paper variant (same target under both contexts) ties on every line."""
    results, samples = fake_fast_run["results"], fake_fast_run["samples"]
    total_ties = 0
    for d in DOMAINS:
        task = "classit_ewok_fast_" + d.replace("-", "_")
        docs = [s["doc"] for s in samples[task]]
        ties = [len(doc["Target1"]) == len(doc["Target2"]) for doc in docs]
        correct = [len(doc["Target1"]) < len(doc["Target2"]) for doc in docs]
        assert results[task]["ties,none"] == sum(ties)
        assert results[task]["acc,none"] == pytest.approx(sum(t or c for t, c in zip(ties, correct)) / len(docs))
        assert results[task]["acc_ties_half,none"] == pytest.approx(
            sum(0.5 if t else float(c) for t, c in zip(ties, correct)) / len(docs)
        )
        total_ties += sum(ties)
        paper = results["classit_ewok_paper_fast_" + d.replace("-", "_")]
        assert paper["acc,none"] == 0.5 and paper["ties,none"] == 100
    assert total_ties > 0  # the check above exercised real ties
    assert results["classit_ewok_fast_breakdown"]["ties,none"] == total_ties


def test_breakdown_is_pooled_over_domains(fake_fast_run):
    results, samples = fake_fast_run["results"], fake_fast_run["samples"]
    cells = defaultdict(list)
    for d in DOMAINS:
        for s in samples["classit_ewok_fast_" + d.replace("-", "_")]:
            for metric, (field, value) in BREAKDOWN_CELLS.items():
                if s["doc"][field] == value:
                    cells[metric].append(s["acc"])
    breakdown = results["classit_ewok_fast_breakdown"]
    assert len(samples["classit_ewok_fast_breakdown"]) == 1100
    for metric, values in cells.items():
        assert breakdown[f"{metric},none"] == pytest.approx(sum(values) / len(values)), metric
    assert math.isnan(breakdown["acc_context_contrast_game,none"])  # no such item in the fast set
    assert breakdown["acc,none"] == pytest.approx(
        sum(results["classit_ewok_fast_" + d.replace("-", "_")]["acc,none"] for d in DOMAINS) / 11
    )  # equal domain sizes (100) make pooled == macro here
