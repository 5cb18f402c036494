"""The fragile-item audit: near-tied ranking items re-scored in float64, flips counted, accuracy interval.

Near-ties are planted two ways on test-written COMPS-format files: items whose two options are the same sentence
(genuine exact ties, which stay tied in float64), and items whose logged float32 scores are edited to lie within the
threshold on the wrong side of the true order (what float32 noise does to a close item): the float64 re-scoring of
the same tokens must find the true order and count the flip.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classit_tasks.scoring.audit import run_audit
from classit_tasks.cli import main
from comps_files import OWN_ITEMS, write_comps
from zero_shot_helpers import tiny_checkpoint

SIZES = {"comps_base": 7, "comps_wugs": 7, "comps_wugs_dist-before": 7, "comps_wugs_dist-in-between": 7}
TIED = OWN_ITEMS.index(("A dog", "A dog", "likes to run."))  # identical options: an exact tie in every file


@pytest.fixture(scope="module")
def comps_run(tmp_path_factory):
    import torch

    root = tmp_path_factory.mktemp("audit")
    data = write_comps(root / "data", SIZES)
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        code = main(["run", "--model_args", f"pretrained={tiny_checkpoint('bos')}", "--tasks", "classit_comps",
                     "--data_dir", str(data), "--metadata", json.dumps({"check_counts": False}), "--device", "cpu",
                     "--output_path", str(root / "out"), "--log_samples"])
    finally:
        torch.set_num_threads(before)
    assert code == 0
    return root / "out"


def _samples(out: Path, task: str) -> Path:
    [path] = list(out.rglob(f"samples_{task}_*.jsonl"))
    return path


def test_audit_finds_planted_near_ties(comps_run, tmp_path, one_thread):
    out = tmp_path / "out"
    import shutil

    shutil.copytree(comps_run, out)
    path = _samples(out, "classit_comps_base")
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    lls = {r["doc_id"]: [float(x[0][0]) for x in r["resps"]] for r in rows}
    # two clearly decided items: plant a float32 near-tie on the wrong side of each
    decided = [d for d, (a, b) in sorted(lls.items()) if d != TIED and abs(a - b) > 0.05][:2]
    assert len(decided) == 2
    for row in rows:
        if row["doc_id"] in decided:
            a, b = lls[row["doc_id"]]
            top = max(a, b)
            # the loser is logged 2e-6 nats above the winner (well within 1e-5 relative of |s| ~ 30)
            planted = [top + 2e-6, top] if a < b else [top, top + 2e-6]
            row["resps"] = [[[planted[0], False]], [[planted[1], False]]]
            row["filtered_resps"] = [[planted[0], False], [planted[1], False]]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    [results_file] = list(out.rglob("results_*.json"))
    before = results_file.read_bytes()

    code = main(["audit", str(out), "--output_path", str(tmp_path / "audit")])
    assert code == 0
    assert results_file.read_bytes() == before  # parity numbers untouched
    report = json.loads((tmp_path / "audit" / "audit.json").read_text())
    base = report["tasks"]["classit_comps_base"]
    fragile = {item["doc_id"] for item in base["items"]}
    assert fragile == {TIED, *decided}
    assert base["flips"] == 2
    for item in base["items"]:
        if item["doc_id"] == TIED:
            assert item["fp32"][0] == item["fp32"][1] and item["fp64"][0] == item["fp64"][1] and not item["flip"]
        else:  # float64 restores the true order, far from the planted near-tie
            a, b = lls[item["doc_id"]]
            assert (item["fp64"][0] > item["fp64"][1]) == (a > b)
            assert item["fp64"] == pytest.approx([a, b], rel=1e-5, abs=1e-4)  # same model, same tokens
    # the interval: fragile items all wrong … all right; accuracy with the float64 decisions
    n = SIZES["comps_base"]
    credit = {d: float(v[0] >= v[1]) for d, v in lls.items()}
    settled = sum(c for d, c in credit.items() if d not in fragile)
    assert base["low"] == pytest.approx(settled / n) and base["high"] == pytest.approx((settled + 3) / n)
    assert base["acc_fp64"] == pytest.approx((settled + 1 + sum(credit[d] for d in decided)) / n)
    # other files: only the genuine tie is fragile, nothing flips
    for task in ("classit_comps_wugs", "classit_comps_wugs_dist_before"):
        assert report["tasks"][task]["fragile"] == 1 and report["tasks"][task]["flips"] == 0
    group = report["groups"]["classit_comps"]
    assert group["fragile"] == 3 + 1 + 1 + 1 and group["flips"] == 2
    text = (tmp_path / "audit" / "audit.md").read_text()
    assert "| classit_comps_base | 7 |" in text and "Parity accuracies are unchanged" in text


def test_audit_threshold_and_bad_input(comps_run, tmp_path, capsys, one_thread):
    # threshold 0 keeps only exact ties
    report = run_audit([comps_run], threshold=0.0)
    assert all(t["fragile"] == 1 for t in report["tasks"].values())
    # no samples logged
    bare = tmp_path / "bare"
    bare.mkdir()
    [results_file] = list(comps_run.rglob("results_*.json"))
    (bare / results_file.name).write_bytes(results_file.read_bytes())
    capsys.readouterr()
    assert main(["audit", str(bare)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no ranking task with logged samples" in err
    assert main(["audit", str(comps_run), "--threshold", "-1"]) == 2
