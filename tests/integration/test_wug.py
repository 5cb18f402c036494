"""WUG tasks: per-item parity, Spearman over the whole set (equal to scipy), more than two options, the absent
past-tense file, and one-line errors for malformed lines."""

from __future__ import annotations

import json
import logging
import math

import pytest
import torch
from scipy.stats import spearmanr

from zero_shot_helpers import evaluate, parity_run, reference_logprob, sample_logliks

from classit_tasks.tasks.data import ClassitDataError
from classit_tasks.tasks.wug import load_wug, option0_probability, spearman

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


def test_spearman_unit():
    pairs = [(0.9, 0.5), (0.1, 0.2), (0.5, 0.5), (0.5, 0.9), (0.3, 0.1)]  # ties on both sides
    assert spearman(pairs) == pytest.approx(spearmanr(*zip(*pairs))[0], abs=1e-15)
    assert math.isnan(spearman([None]))
    assert option0_probability([0.0, 0.0, 0.0]) == pytest.approx(1 / 3)


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


@pytest.mark.parametrize(
    "line,needle",
    [({"sentences": "a b\tc d"}, "missing field 'ratio'"),
     ({"sentences": "only one option", "ratio": 0.5}, "at least 2 tab-separated options"),
     ({"sentences": "a b\tc d", "ratio": "lots"}, "field 'ratio' must be a number"),
     ({"sentences": "a b\tc d", "ratio": [0.5]}, "field 'ratio'"),
     ({"sentences": "a b\tc d", "ratio": 1.5}, "proportion in [0, 1]"),
     ({"sentences": "a b\t", "ratio": 0.5}, "empty option")],
)
def test_malformed_line_gives_one_line_error(tmp_path, line, needle):
    folder = tmp_path / "wug_past_tense"
    folder.mkdir()
    path = folder / "wug_past_tense.jsonl"
    good = {"sentences": "a b\tc d", "ratio": 0.25}
    path.write_text(json.dumps(good) + "\n\n" + json.dumps(line) + "\n")  # blank line 2: the bad one is line 3
    with pytest.raises(ClassitDataError) as err:
        load_wug("wug_past_tense", "wug_past_tense", data_dir=tmp_path, optional=True)
    message = str(err.value)
    assert "\n" not in message and f"{path}:3" in message and needle in message


def test_numeric_string_ratio_is_accepted_like_float(tmp_path):
    folder = tmp_path / "wug_adj_nominalization"
    folder.mkdir()
    (folder / "wug_adj_nominalization.jsonl").write_text(json.dumps({"sentences": "a\tb\tc", "ratio": "0.5"}) + "\n")
    split = load_wug("wug_adj_nominalization", "wug_adj_nominalization", data_dir=tmp_path, check_counts=False)
    assert split["test"][0]["ratio"] == 0.5 and len(split["test"][0]["options"]) == 3


def test_absent_required_file_is_an_error(tmp_path):
    with pytest.raises(ClassitDataError, match="wug_adj_nominalization/wug_adj_nominalization.jsonl not in"):
        load_wug("wug_adj_nominalization", "wug_adj_nominalization", data_dir=tmp_path)


def test_both_wug_tasks_are_in_the_suites():
    """Each WUG task is its own leaderboard task: listed directly (one summary row each), past tense included even
    when its file is absent (it then reports itself as not evaluated)."""
    import yaml

    from zero_shot_helpers import TASK_DIR

    for suite in ("classit_zero_shot", "classit_zero_shot_fast"):
        members = yaml.safe_load((TASK_DIR / f"{suite}.yaml").read_text())["task"]
        assert "classit_wug_adj_nominalization" in members and "classit_wug_past_tense" in members
        assert any(m.startswith("classit_ewok") for m in members)
        assert any(m.startswith("classit_entity_tracking") for m in members)
