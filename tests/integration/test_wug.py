"""WUG tasks on the real data: per-item parity, Spearman over the whole set (equal to scipy), more than two options,
the absent past-tense file. One-line errors for malformed lines are unit tests (tests/unit/test_wug_files.py)."""

from __future__ import annotations

import json
import logging
import math

import pytest
import torch
from scipy.stats import spearmanr

from zero_shot_helpers import evaluate, parity_run, reference_logprob, sample_logliks

TOL = 1e-4


@pytest.mark.parametrize("kind", ["bos", "nobos"])
def test_per_item_parity(kind):
    task = "classit_wug_adj_nominalization"
    samples = parity_run(kind)["samples"][task]
    assert len(samples) == 6
    for sample, (doc_id, args, lls) in zip(samples, sample_logliks(samples)):
        doc = sample["doc"]
        assert args == [("", sentence) for sentence in doc["options"]]  # whole sentence, no leading space
        refs = [reference_logprob(kind, "", sentence) for sentence in doc["options"]]
        for i, (ours, ref) in enumerate(zip(lls, refs)):
            assert abs(ours - ref) < TOL, f"doc {doc_id} option {i}: {ours:.6f} vs {ref:.6f}"
        p0, ratio = sample["spearman"]
        assert p0 == pytest.approx(math.exp(refs[0]) / sum(math.exp(r) for r in refs), abs=1e-5)
        assert ratio == doc["ratio"]


def test_spearman_equals_scipy_over_the_whole_set():
    out = evaluate(["classit_wug_adj_nominalization"], "bos")
    samples = out["samples"]["classit_wug_adj_nominalization"]
    assert len(samples) == 200
    p0 = [s["spearman"][0] for s in samples]
    ratio = [s["spearman"][1] for s in samples]
    result = out["results"]["classit_wug_adj_nominalization"]
    assert result["spearman,none"] == pytest.approx(spearmanr(p0, ratio)[0], abs=1e-12)
    assert result["status,none"] == "evaluated (200 items)"
    # and p0 is the float32 softmax of the model's own summed log-probs
    for s, (_, _, lls) in zip(samples, sample_logliks(samples)):
        assert s["spearman"][0] == float(torch.softmax(torch.tensor(lls, dtype=torch.float32), 0)[0])


def test_missing_past_tense_is_reported_not_evaluated(caplog):
    with caplog.at_level(logging.WARNING, logger="classit_tasks.tasks.wug"):
        out = evaluate(["classit_wug"], "nobos", log_samples=False)
    results = out["results"]
    past = results["classit_wug_past_tense"]
    assert math.isnan(past["spearman,none"])
    assert past["status,none"].startswith("not evaluated: wug_past_tense/wug_past_tense.jsonl not in")
    assert any("wug_past_tense is NOT evaluated" in r.getMessage() for r in caplog.records)
    adj = results["classit_wug_adj_nominalization"]
    assert adj["status,none"] == "evaluated (200 items)" and not math.isnan(adj["spearman,none"])
    json.dumps(out["results"])  # the results file can still be written


def _past_tense_line(i: int) -> dict:
    stem = "bl" + "aeiou"[i % 5] + "ck" + str(i)
    options = [f"Yesterday they {stem}ed", f"Yesterday they {stem}t"]
    if i % 3 == 0:
        options.append(f"Yesterday they {stem}")  # items may have more than two options
    return {"sentences": "\t".join(options), "ratio": round((i * 37 % 50) / 49, 4)}


def test_present_past_tense_is_evaluated(tmp_path):
    folder = tmp_path / "full_eval" / "wug_past_tense"
    folder.mkdir(parents=True)
    lines = [_past_tense_line(i) for i in range(50)]
    (folder / "wug_past_tense.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    out = evaluate(["classit_wug_past_tense"], "bos", data_dir=tmp_path)
    result = out["results"]["classit_wug_past_tense"]
    assert result["status,none"] == "evaluated (50 items)"
    # independent end-to-end computation: reference scores -> softmax -> scipy
    p0 = []
    for line in lines:
        scores = [reference_logprob("bos", "", s) for s in line["sentences"].split("\t")]
        p0.append(math.exp(scores[0]) / sum(math.exp(s) for s in scores))
    expected = spearmanr(p0, [line["ratio"] for line in lines])[0]
    assert result["spearman,none"] == pytest.approx(expected, abs=1e-6)
    samples = out["samples"]["classit_wug_past_tense"]
    assert sorted({len(s["arguments"]) for s in samples}) == [2, 3]


