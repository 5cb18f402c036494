"""``classit-eval compare`` on lm-eval-shaped files: planted regression, no regression, refusals (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from classit_tasks.report.cli import compare_main
from synthetic import accuracy_pair, write_run

LEAVES = [f"classit_blimp_fast_p{k}" for k in range(4)]
GROUPS = {"classit_blimp_fast": LEAVES}


def _pair(tmp: Path, delta: float, seed: int = 0, n: int = 300) -> tuple[Path, Path]:
    rng = np.random.default_rng(seed)
    base, cand = {}, {}
    for task in LEAVES:
        b, c = accuracy_pair(rng, n, accuracy=0.7, delta=delta)
        base[task], cand[task] = {"acc": b}, {"acc": c}
    return (write_run(tmp / "base", "runs/base/checkpoint-100", base, GROUPS),
            write_run(tmp / "cand", "runs/cand/checkpoint-100", cand, GROUPS))


def test_planted_drop_fails_the_gate(tmp_path, capsys):
    base, cand = _pair(tmp_path, delta=-0.08)
    out = tmp_path / "cmp.json"
    assert compare_main(["--baseline", str(base), "--candidate", str(cand.parent.parent),
                         "--output_path", str(out), "--item_resamples", "500"]) == 1
    printed = capsys.readouterr().out
    assert "REGRESSION: classit_blimp_fast" in printed and "exact McNemar" not in printed
    report = json.loads(out.read_text())
    assert report["exit_status"] == 1 and report["regressions"] == ["classit_blimp_fast"]
    row = report["tasks"][0]
    assert row["task"] == "classit_blimp_fast" and row["n"] == 4 * 300 and row["subtasks"] == 4
    assert row["diff"] < 0 and row["ci_high"] < 0 and row["p_value"] < 0.05 and row["gated"]
    # the tolerated drop is in display points: a 50-point allowance passes the same candidate
    assert compare_main(["--baseline", str(base), "--candidate", str(cand), "--max_drop", "50",
                         "--item_resamples", "500"]) == 0


def test_no_difference_passes_and_detail_lists_subtasks(tmp_path, capsys):
    base, cand = _pair(tmp_path, delta=0.0, seed=3)
    out = tmp_path / "cmp.json"
    assert compare_main(["--baseline", str(base), "--candidate", str(cand), "--detail", "--output_path", str(out),
                         "--item_resamples", "500"]) == 0
    rows = json.loads(out.read_text())["tasks"]
    assert [r["task"] for r in rows] == ["classit_blimp_fast", *LEAVES]
    assert {r["test"] for r in rows[1:]} == {"exact McNemar"}
    assert [r["gated"] for r in rows] == [True] + [False] * 4
    assert "no significant regression" in capsys.readouterr().out


def test_identical_runs_have_zero_difference(tmp_path):
    base, _ = _pair(tmp_path, delta=0.0)
    out = tmp_path / "cmp.json"
    assert compare_main(["--baseline", str(base), "--candidate", str(base), "--output_path", str(out)]) == 0
    row = json.loads(out.read_text())["tasks"][0]
    assert row["diff"] == 0 and row["ci_low"] == 0 and row["ci_high"] == 0 and row["p_value"] == 1


def _error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0, err  # one line
    return err


def test_refuses_different_item_sets(tmp_path, capsys):
    base, cand = _pair(tmp_path, delta=0.0)
    # the candidate was evaluated on another data version: one document differs
    sample = next(cand.parent.glob(f"samples_{LEAVES[1]}_*.jsonl"))
    lines = sample.read_text().splitlines()
    row = json.loads(lines[5])
    row["doc_hash"] = "0" * 64
    lines[5] = json.dumps(row)
    sample.write_text("\n".join(lines) + "\n")
    assert compare_main(["--baseline", str(base), "--candidate", str(cand)]) == 2
    err = _error(capsys)
    assert "different item sets" in err and LEAVES[1] in err


def test_refuses_a_different_limit(tmp_path, capsys):
    base, cand = _pair(tmp_path, delta=0.0)
    sample = next(cand.parent.glob(f"samples_{LEAVES[0]}_*.jsonl"))
    sample.write_text("\n".join(sample.read_text().splitlines()[:100]) + "\n")
    assert compare_main(["--baseline", str(base), "--candidate", str(cand)]) == 2
    assert "100 items" in _error(capsys)


def test_refuses_missing_files_missing_samples_and_other_task_sets(tmp_path, capsys):
    base, cand = _pair(tmp_path, delta=0.0)
    assert compare_main(["--baseline", str(tmp_path / "nope"), "--candidate", str(cand)]) == 2
    assert "no such file" in _error(capsys)
    for sample in cand.parent.glob("samples_*.jsonl"):
        sample.unlink()
    assert compare_main(["--baseline", str(base), "--candidate", str(cand)]) == 2
    assert "--log_samples" in _error(capsys)
    other = write_run(tmp_path / "other", "runs/other", {"classit_ewok_fast_x": {"acc": np.ones(10)}})
    assert compare_main(["--baseline", str(base), "--candidate", str(other)]) == 2
    assert "different task sets" in _error(capsys)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert compare_main(["--baseline", str(base), "--candidate", str(empty)]) == 2
    assert "no lm-eval results file" in _error(capsys)


def test_tasks_filter_restricts_the_comparison(tmp_path):
    base, cand = _pair(tmp_path, delta=0.0)
    out = tmp_path / "cmp.json"
    assert compare_main(["--baseline", str(base), "--candidate", str(cand), "--tasks", "*_p0", "*_p1",
                         "--output_path", str(out), "--item_resamples", "300"]) == 0
    row = json.loads(out.read_text())["tasks"][0]
    assert row["task"] == "classit_blimp_fast" and row["subtasks"] == 2 and row["n"] == 600


def test_correlation_and_finetune_metrics(tmp_path):
    """WUG-style Spearman (per-item (p0, human ratio)) and a fine-tuning task (per-item (gold, pred) for F1)."""
    rng = np.random.default_rng(5)
    human = rng.random(150)
    wug_b = np.c_[human + rng.normal(0, 0.3, 150), human]
    wug_c = np.c_[rng.random(150), human]  # the candidate lost the signal
    gold = rng.integers(0, 2, 200)
    pred_b = np.where(rng.random(200) < 0.85, gold, 1 - gold)
    pred_c = np.where(rng.random(200) < 0.85, gold, 1 - gold)
    spearman = [{"metric": "spearman", "aggregation": "spearman", "higher_is_better": True}]
    glue = [{"metric": "acc", "aggregation": "mean", "higher_is_better": True},
            {"metric": "f1", "aggregation": "f1", "higher_is_better": True}]
    def tasks(wug, pred):
        return {"classit_wug_adj": {"spearman": wug},
                "classit_glue_mrpc": {"acc": (pred == gold).astype(float), "f1": np.c_[gold, pred]}}
    lists = {"classit_wug_adj": spearman, "classit_glue_mrpc": glue}
    base = write_run(tmp_path / "b", "m/base", tasks(wug_b, pred_b), metric_list=lists)
    cand = write_run(tmp_path / "c", "m/cand", tasks(wug_c, pred_c), metric_list=lists)
    out = tmp_path / "cmp.json"
    assert compare_main(["--baseline", str(base), "--candidate", str(cand), "--output_path", str(out), "--metric", "f1",
                         "--item_resamples", "500"]) == 1
    rows = {r["task"]: r for r in json.loads(out.read_text())["tasks"]}
    assert rows["classit_wug_adj"]["metric"] == "spearman" and rows["classit_wug_adj"]["regression"]
    assert rows["classit_wug_adj"]["test"].startswith("paired bootstrap")
    assert rows["classit_glue_mrpc"]["metric"] == "f1" and not rows["classit_glue_mrpc"]["regression"]


def test_json_on_stdout(tmp_path, capsys):
    base, cand = _pair(tmp_path, delta=0.0)
    assert compare_main(["--baseline", str(base), "--candidate", str(cand), "--output_path", "-", "--item_resamples", "200"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["exit_status"] == 0 and data["tasks"][0]["task"] == "classit_blimp_fast"
