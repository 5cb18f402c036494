"""End to end on real lm-eval output: two tiny random checkpoints (same tokenizer, different seeds) evaluated on
fast BLiMP (a few items per paradigm) with --log_samples, then ``report`` and ``compare`` on the files."""

from __future__ import annotations

import json
import shutil

import pytest

from classit_tasks.report.cli import compare_main, report_main
from tiny_models import build_model, build_tokenizer

LIMIT = 6
PARADIGMS = 67


@pytest.fixture(scope="module")
def runs(tmp_path_factory, task_manager):
    from lm_eval import simple_evaluate
    from lm_eval.loggers import EvaluationTracker

    root = tmp_path_factory.mktemp("report_e2e")
    tokenizer = build_tokenizer("bos", root / "tokenizer")
    results = {}
    for seed in (0, 1):
        ckpt = root / f"seed{seed}" / "checkpoint-100"
        build_model(tokenizer, ckpt, seed=seed)
        out = simple_evaluate(model="classit-hf", model_args=f"pretrained={ckpt}", tasks=["classit_blimp_fast"],
                              task_manager=task_manager, batch_size=64, device="cpu", limit=LIMIT,
                              log_samples=True, bootstrap_iters=0)
        samples = out.pop("samples")
        tracker = EvaluationTracker(output_path=str(root / f"eval{seed}"))
        tracker.save_results_aggregated(results=out, samples=samples)
        for task in out["configs"]:
            tracker.save_results_samples(task_name=task, samples=samples[task])
        (results_file,) = (root / f"eval{seed}").rglob("results_*.json")
        results[seed] = results_file
    return root, results


def test_report_on_real_results(runs, capsys):
    root, results = runs
    out = root / "report"
    assert report_main([str(results[0]), str(results[1].parent), "--output_path", str(out), "--item_resamples", "500"]) == 0
    printed = capsys.readouterr().out
    lm_eval_acc = json.loads(results[0].read_text())["results"]["classit_blimp_fast"]["acc,none"]
    # the macro mean recomputed from the samples is lm-eval's own group number (no "*" note)
    assert f"| classit_blimp_fast | {PARADIGMS} | {PARADIGMS * LIMIT} | {100 * lm_eval_acc:.2f} | [" in printed
    assert "seed0/checkpoint-100" in printed and "seed1/checkpoint-100" in printed
    html = (out / "report.html").read_text()
    pngs = sorted((out / "img").glob("*.png"))
    assert len(pngs) >= 3 and html.count("data:image/png;base64,") == len(pngs)
    from PIL import Image

    for png in pngs:
        with Image.open(png) as image:
            image.verify()
        assert png.stat().st_size > 5000
    data = json.loads((out / "report.json").read_text())
    fields = {a["name"] for a in data["runs"][0]["abilities"] if a["family"] == "BLiMP field"}
    assert {"morphology", "syntax", "semantics", "syntax_semantics"} <= fields


def test_compare_on_real_results(runs, capsys):
    root, results = runs
    same = root / "same.json"
    assert compare_main(["--baseline", str(results[0]), "--candidate", str(results[0]), "--output_path", str(same)]) == 0
    assert json.loads(same.read_text())["tasks"][0]["diff"] == 0
    out = root / "cmp.json"
    status = compare_main(["--baseline", str(results[0]), "--candidate", str(results[1]), "--detail",
                           "--item_resamples", "500", "--output_path", str(out)])
    data = json.loads(out.read_text())
    assert status == data["exit_status"] and status in (0, 1)
    rows = data["tasks"]
    assert rows[0]["task"] == "classit_blimp_fast" and rows[0]["n"] == PARADIGMS * LIMIT
    assert len([r for r in rows if r["subtasks"] == 1]) == PARADIGMS
    assert all(r["test"] == "exact McNemar" for r in rows if r["subtasks"] == 1)
    assert "classit_blimp_fast" in capsys.readouterr().out


def test_compare_refuses_another_limit(runs, capsys):
    root, results = runs
    other = root / "other_limit"
    shutil.copytree(results[1].parent, other)
    sample = next(other.glob("samples_classit_blimp_fast_passive_1_*.jsonl"))
    sample.write_text("".join(sample.read_text().splitlines(keepends=True)[:LIMIT - 2]))
    assert compare_main(["--baseline", str(results[0]), "--candidate", str(other)]) == 2
    err = capsys.readouterr().err
    assert "classit_blimp_fast_passive_1" in err and "different item sets" in err
