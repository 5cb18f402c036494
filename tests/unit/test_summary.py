"""The leaderboard-style summary printed by classit-eval."""

import math

from classit_tasks.leaderboard.summary import format_summary, summary_rows

RESULTS = {
    "results": {
        "classit_zero_shot_fast": {},
        "classit_blimp_fast": {"acc,none": 0.6},
        "classit_blimp_fast_a": {"acc,none": 0.5, "ties,none": 2},
        "classit_blimp_fast_b": {"acc,none": 0.7, "ties,none": 1},
        "classit_wug_adj_nominalization": {"spearman,none": 0.25},
        "classit_wug_past_tense": {"spearman,none": math.nan,
                                   "status,none": "not evaluated: wug_past_tense/wug_past_tense.jsonl not found"},
        "classit_reading": {"eye_tracking,none": 1.5, "self_paced_reading,none": 0.4},
    },
    "group_subtasks": {
        "classit_zero_shot_fast": ["classit_blimp_fast", "classit_wug_adj_nominalization",
                                   "classit_wug_past_tense", "classit_reading"],
        "classit_blimp_fast": ["classit_blimp_fast_a", "classit_blimp_fast_b"],
    },
    "n-samples": {"classit_blimp_fast_a": {"effective": 10}, "classit_blimp_fast_b": {"effective": 20},
                  "classit_wug_adj_nominalization": {"effective": 200}, "classit_wug_past_tense": {"effective": 1},
                  "classit_reading": {"effective": 1726}},
}


def test_rows_follow_the_leaderboard_convention():
    rows = {name: row for name, *row in summary_rows(RESULTS)}
    assert rows["classit_blimp_fast"] == [30, "acc", 60.0, 3]
    assert rows["classit_wug_adj_nominalization"] == [200, "spearman", 25.0, None]
    assert rows["classit_reading"] == [1726, "eye_tracking", 1.5, None]  # already ×100
    n, status, score, _ = rows["classit_wug_past_tense"]
    assert n == 0 and status.startswith("not evaluated") and math.isnan(score)


def test_table_says_what_was_not_evaluated():
    text = format_summary(RESULTS)
    assert "| classit_wug_past_tense | 0 | — | not evaluated: wug_past_tense/wug_past_tense.jsonl not found |" in text
    assert "| classit_blimp_fast | 30 | acc | 60.00 | 3 |" in text
