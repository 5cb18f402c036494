"""BabyLM 2025 leaderboard aggregates (NLP, human-likeness, macro) beside the per-task scores."""

import math

import pytest

from classit_tasks.leaderboard.leaderboard import as_json, format_markdown, leaderboard
from classit_tasks.leaderboard.summary import format_summary

RESULTS = {
    "results": {
        "classit_zero_shot": {},
        "classit_blimp": {"acc,none": 0.70},
        "classit_blimp_supplement": {"acc,none": 0.60},
        "classit_ewok": {"acc,none": 0.50},
        "classit_entity_tracking": {"acc,none": 0.20},
        "classit_comps": {"acc,none": math.nan},
        "classit_comps_base": {"acc,none": math.nan, "status,none": "not evaluated: comps/ not in the evaluation data"},
        "classit_comps_wugs": {"acc,none": math.nan, "status,none": "not evaluated: comps/ not in the evaluation data"},
        "classit_wug_adj_nominalization": {"spearman,none": 0.40, "status,none": "evaluated (200 items)"},
        "classit_wug_past_tense": {"spearman,none": math.nan,
                                   "status,none": "not evaluated: wug_past_tense/wug_past_tense.jsonl not in the evaluation data"},
        "classit_reading": {"eye_tracking,none": 2.0, "self_paced_reading,none": 1.0},
        "classit_glue": {"score,none": 0.65},
    },
    "group_subtasks": {
        "classit_zero_shot": ["classit_blimp", "classit_blimp_supplement", "classit_ewok", "classit_entity_tracking",
                              "classit_comps", "classit_wug_adj_nominalization", "classit_wug_past_tense",
                              "classit_reading"],
        "classit_comps": ["classit_comps_base", "classit_comps_wugs"],
    },
    "n-samples": {},
}


def test_aggregates_count_missing_tasks_as_zero():
    board = leaderboard(RESULTS)
    scores = {e.key: e.score for e in board.entries}
    assert scores["blimp"] == pytest.approx(70.0) and scores["glue"] == pytest.approx(65.0)
    assert scores["reading"] == pytest.approx(1.5)  # mean of eye tracking and self-paced reading ΔR²×100
    assert scores["wug_adj"] == pytest.approx(40.0)
    assert scores["comps"] is None and scores["wug_past"] is None and scores["aoa"] is None
    nlp = (70 + 60 + 50 + 20 + 0 + 65) / 6
    human = (1.5 + 40 + 0 + 0) / 4
    assert board.aggregates["nlp"] == pytest.approx(nlp)
    assert board.aggregates["human"] == pytest.approx(human)
    assert board.aggregates["macro"] == pytest.approx((nlp + human) / 2)
    assert board.evaluated_means["nlp"] == pytest.approx((70 + 60 + 50 + 20 + 65) / 5)
    # a score computed elsewhere (the AoA series fit) enters as given
    with_aoa = leaderboard(RESULTS, {"aoa": 30.0})
    assert with_aoa.aggregates["human"] == pytest.approx((1.5 + 40 + 0 + 30) / 4)


def test_tables_mark_what_was_not_evaluated():
    text = format_markdown(leaderboard(RESULTS))
    assert "not evaluated tasks count as 0 on the leaderboard" in text
    assert "| COMPS | NLP | 0 (not evaluated) | comps/ not in the evaluation data |" in text
    assert "| WUG past tense | Human-likeness | 0 (not evaluated) |" in text
    assert "| NLP score | aggregate | 44.17 | 1 of 6 not evaluated, counted as 0; mean over evaluated: 53.00 |" in text
    summary = format_summary(RESULTS)
    assert "| classit_blimp | 0 | acc | 70.00 |" in summary and "| Macro score |" in summary
    data = as_json(leaderboard(RESULTS))
    assert data["aggregates"]["nlp"] == pytest.approx(44.1667, abs=1e-3)


def test_fast_sets_are_used_but_flagged():
    fast = {"results": {"classit_blimp_fast": {"acc,none": 0.5}}, "group_subtasks": {}}
    board = leaderboard(fast)
    [blimp] = [e for e in board.entries if e.key == "blimp"]
    assert blimp.score == pytest.approx(50.0) and blimp.note == "fast set"
    assert "fast-set scores are not leaderboard-comparable" in format_markdown(board)


def test_report_shows_the_aggregates(tmp_path):
    import json

    import numpy as np

    from classit_tasks.report.build import ReportOptions, build_report
    from classit_tasks.report.load import load_runs
    from classit_tasks.report.scores import Settings
    from synthetic import write_run

    rng = np.random.default_rng(0)
    tasks = {f"classit_ewok_{d}": {"acc": list((rng.random(40) < 0.6).astype(float))} for d in ("a", "b")}
    write_run(tmp_path / "eval", "runs/tiny/chck_1M", tasks, groups={"classit_ewok": list(tasks)})
    runs = load_runs([tmp_path / "eval"])
    report = build_report(runs, ReportOptions(out_dir=tmp_path / "report", settings=Settings(iters=50), html=True))
    assert "BabyLM 2025 leaderboard aggregates" in report.markdown and "| EWoK | NLP |" in report.markdown
    assert "not evaluated tasks count as 0 on the leaderboard" in report.html_path.read_text()
    board = json.loads(report.json_path.read_text())["runs"][0]["leaderboard"]
    ewok = next(t for t in board["tasks"] if t["key"] == "ewok")
    assert ewok["score"] == pytest.approx(100 * np.mean([np.mean(v["acc"]) for v in tasks.values()]))
    assert board["aggregates"]["nlp"] == pytest.approx(ewok["score"] / 6)


def test_partial_glue_enters_with_missing_tasks_as_zero():
    """The leaderboard averages all seven GLUE tasks (a task that did not run = 0), not the mean of those that ran."""
    results = {"results": {"classit_glue": {"alias": "classit_glue (partial)", "score,none": 0.70,
                                            "score_leaderboard,none": 0.50, "tasks_evaluated,none": 5}}}
    entry = next(e for e in leaderboard(results).entries if e.key == "glue")
    assert entry.score == pytest.approx(50.0)
    assert entry.note == "partial: 5 of 7 tasks ran, the others count as 0"
