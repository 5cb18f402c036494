"""``classit-eval report``: Markdown table, HTML with embedded figures, PNG files, growth curves and pace."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from classit_tasks.report.cli import report_main
from classit_tasks.report.growth import pace, position_from_name
from synthetic import doc, write_run

PARADIGMS = {"p_agreement": ("morphology", "subject_verb_agreement"), "p_island": ("syntax", "island_effects")}


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    """Four checkpoints of one training run (classit_state.json with words seen), BLiMP-like and entity-tracking-
    like tasks; agreement and the operation counts improve with training, islands stay at chance."""
    root = tmp_path_factory.mktemp("series")
    rng = np.random.default_rng(0)
    outs = []
    for step, words, acc in ((100, 1e5, 0.5), (200, 1e6, 0.62), (300, 1e7, 0.75), (400, 1e8, 0.77)):
        ckpt = root / "train" / "merged" / f"checkpoint-{step}"
        ckpt.mkdir(parents=True)
        (ckpt / "classit_state.json").write_text(json.dumps(
            {"stage": "merged", "global_step": step, "words_seen": words, "tokens_seen": 1.3 * words}))
        tasks, docs = {}, {}
        for paradigm, (field, term) in PARADIGMS.items():
            task = f"classit_blimp_fast_{paradigm}"
            p = acc if paradigm == "p_agreement" else 0.5
            tasks[task] = {"acc": (rng.random(200) < p).astype(float)}
            docs[task] = [doc(task, i, field=field, linguistics_term=term, UID=paradigm) for i in range(200)]
        et = {}
        for ops in range(3):
            task = f"classit_entity_tracking_regular_{ops}_ops"
            et[task] = {"acc": (rng.random(100) < max(0.2, acc - 0.1 * ops)).astype(float)}
        outs.append(write_run(root / "eval" / f"step{step}", str(ckpt), {**tasks, **et},
                              groups={"classit_blimp_fast": list(tasks), "classit_entity_tracking_fast": list(et)},
                              docs=docs, n_options={t: 5 for t in et}))
    return root, outs


def test_report_files_tables_and_images(series, capsys):
    root, outs = series
    out = root / "report"
    assert report_main([str(p) for p in outs] + ["--output_path", str(out), "--item_resamples", "500"]) == 0
    printed = capsys.readouterr().out
    assert "| task | subtasks | n | score | 95% CI |" in printed
    assert re.search(r"\| classit_blimp_fast \| 2 \| 400 \| \d+\.\d\d \| \[\d+\.\d\d, \d+\.\d\d\] \|", printed)
    for name in ("report.md", "report.html", "report.json"):
        assert (out / name).stat().st_size > 0
    pngs = sorted((out / "img").glob("*.png"))
    names = {p.name for p in pngs}
    assert {"tasks.png", "growth.png", "pace_merged.png", "abilities_blimp_phenomenon.png"} <= names
    from matplotlib.image import imread

    for png in pngs:
        pixels = imread(png)
        assert pixels.ndim == 3 and pixels.shape[0] > 100 and pixels.shape[1] > 100, png
        assert pixels[..., :3].std() > 0.01, f"{png} is blank"
    html = (out / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert html.count('src="data:image/png;base64,') == len(pngs)  # self-contained: every figure embedded
    assert "<table>" in html and "Growth pace" in html


def test_growth_positions_and_pace(series):
    root, outs = series
    out = root / "report2"
    assert report_main([str(p) for p in outs] + ["--output_path", str(out), "--item_resamples", "300", "--no_html"]) == 0
    data = json.loads((out / "report.json").read_text())
    assert [r["position"]["words"] for r in data["runs"]] == [1e5, 1e6, 1e7, 1e8]
    assert data["runs"][0]["position"]["source"].endswith("classit_state.json")
    chance = {a["name"]: a["chance"] for a in data["runs"][0]["abilities"]}
    assert chance["0 ops"] == pytest.approx(20.0) and chance["subject_verb_agreement"] == pytest.approx(50.0)
    (series_pace,) = data["pace"]
    by_name = {p["ability"]: p for p in series_pace["abilities"]}
    grows = by_name["BLiMP phenomenon: subject_verb_agreement"]
    flat = by_name["BLiMP phenomenon: island_effects"]
    assert grows["slope"] > 5 and grows["first_above_chance"] in (1, 2) and grows["plateau"] in (2, None)
    assert abs(flat["slope"]) < 5 and flat["first_above_chance"] is None
    assert "Entity tracking operations: 2 ops" in by_name


def test_pace_definitions():
    p = pace("x", [1e6, 1e7, 1e8, 1e9], [50, 60, 70, 70.5], [45, 55, 65, 68], [55, 65, 75, 73], chance=50)
    assert p.slope == pytest.approx(np.polyfit([6, 7, 8, 9], [50, 60, 70, 70.5], 1)[0])
    assert p.first_above_chance == 1 and p.plateau == 2 and p.gain == pytest.approx(20.5)
    still_growing = pace("y", None, [50, 60, 70, 80], [49, 59, 69, 79], [51, 61, 71, 81], chance=50)
    assert still_growing.plateau is None and still_growing.slope == pytest.approx(10)


def test_positions_from_names():
    assert position_from_name("checkpoint-500").steps == 500
    assert position_from_name("chck_10M").words == 1e7
    assert position_from_name("model_500k_words").words == 5e5
    assert position_from_name("final").words is None


def test_report_without_samples_and_bad_input(tmp_path, capsys):
    result = write_run(tmp_path, "m/plain", {"classit_blimp_fast_p": {"acc": np.ones(20)}}, log_samples=False)
    assert report_main([str(result), "--output_path", str(tmp_path / "r"), "--no_html"]) == 0
    assert "| classit_blimp_fast_p | 1 | 20 | 100.00 * | — |" in capsys.readouterr().out
    assert report_main([str(tmp_path / "missing"), "--output_path", str(tmp_path / "r")]) == 2
    assert "no such file" in capsys.readouterr().err
    bad = tmp_path / "bad" / "results_2026-01-01T00-00-00.000001.json"
    bad.parent.mkdir()
    bad.write_text("{not json")
    assert report_main([str(bad)]) == 2
    assert "line 1" in capsys.readouterr().err
