"""What the Family records decide for the report, the summary and the leaderboard (classit_tasks.tasks.families):
headline metric, display scale, chance level, ability rows, margin abilities, leaderboard score rules, short names."""

from __future__ import annotations

import math

import pytest

from classit_tasks.tasks import blimp, entity_tracking, families as F, glue, reading
from classit_tasks.tasks.family import OTHER, Family, LeaderboardTask, ability_label, result_number


def test_headline_metric_one_rule_two_uses():
    assert F.headline_metric(["acc_norm", "acc", "score"]) == "score"
    assert F.headline_metric(["self_paced_reading", "eye_tracking"]) == "eye_tracking"
    assert F.headline_metric(["acc_norm", "mcc"]) == "mcc"
    assert F.headline_metric(["acc_norm", "f1_macro"]) == "acc_norm"  # the report falls back to the first reported
    assert F.headline_metric([]) is None
    # the leaderboard summary shows only the leaderboard's scores, in the same order, without MCC and no fallback
    assert F.SUMMARY_METRICS == tuple(m for m in F.HEADLINE_METRICS if m != "mcc")
    from classit_tasks.leaderboard.summary import headline

    assert headline({"mcc,none": 0.3, "acc,none": 0.5}) == ("acc", 0.5)
    assert headline({"mcc,none": 0.3}) is None and headline({"acc_norm,none": 0.3}) is None


def test_each_family_headline_is_a_headline_metric():
    for fam in F.families().values():
        if fam.leaderboard and all(task.names for task in fam.leaderboard.values()):  # AoA: a fit, not a score
            assert fam.metrics[0] in F.HEADLINE_METRICS, fam.name
    assert F.companions("eye_tracking") == ["self_paced_reading"] and F.companions("acc") == []


@pytest.mark.parametrize("metric, scale", [
    ("acc", 100.0), ("score", 100.0), ("spearman", 100.0), ("mcc", 100.0), ("f1", 100.0), ("r_N400", 100.0),
    ("acc_norm", 100.0), ("eye_tracking", 1.0), ("self_paced_reading", 1.0), ("eye_tracking_RTgopast", 1.0),
    ("reading", 1.0), ("ties", 1.0), ("surprisal", 1.0), ("classit_hf_scored", 1.0), ("margin", 1.0),
    ("delta_r2_et", 1.0), ("dr2", 1.0),
])
def test_display_scale(metric, scale):
    assert F.display_scale(metric) == scale


def test_summary_and_report_show_the_same_scale():
    from classit_tasks.report.scores import Score
    from classit_tasks.leaderboard.summary import summary_rows

    results = {"results": {"classit_reading": {"eye_tracking,none": 3.4}, "classit_blimp": {"acc,none": 0.7}}}
    rows = {name: (metric, value) for name, _, metric, value, _ in summary_rows(results)}
    assert rows == {"classit_reading": ("eye_tracking", 3.4), "classit_blimp": ("acc", pytest.approx(70.0))}
    for metric in F.SUMMARY_METRICS:
        assert Score("t", metric, [], 0, 1.0).shown(1.0) == F.display_scale(metric)


def test_chance_levels():
    assert F.chance_level(blimp.leaf("causative"), "acc") == 0.5
    assert F.chance_level(entity_tracking.leaf("regular", 2), "acc") == pytest.approx(0.2)
    assert F.chance_level(blimp.leaf("causative"), "acc", n_options=4) == 0.25
    assert F.chance_level(glue.TASKS["rte"].task_name, "acc", majority=0.6) == 0.6
    assert F.chance_level(glue.TASKS["rte"].task_name, "f1", majority=0.6) is None
    assert F.chance_level("glue_cola", "score", majority=0.7) == 0.7  # lm-eval's own GLUE tasks, by name
    assert F.chance_level("someone_elses_entity_tracking_task", "acc") == pytest.approx(0.2)
    assert F.chance_level("foo", "acc") == 0.5 and F.chance_level("foo", "bleu") is None
    for metric in ("spearman", "mcc", "r_N400", "eye_tracking", "margin"):
        assert F.chance_level("foo", metric) == 0.0
    for metric in ("ties", "surprisal", "classit_hf_scored"):
        assert F.chance_level(blimp.leaf("causative"), metric) is None


def test_ability_rows():
    leaf = blimp.leaf("principle_A_case_2", "_fast")
    assert F.abilities_of(leaf, {}, leaf) == [("BLiMP field", "syntax_semantics"), ("BLiMP phenomenon", "binding")]
    assert F.abilities_of(leaf, {"field": "syntax/semantics", "linguistics_term": "a b-c"}, leaf) == [
        ("BLiMP field", "syntax_semantics"), ("BLiMP phenomenon", "a_b_c")]
    assert F.abilities_of(entity_tracking.leaf("ambiref", 3), {}, "x") == [("Entity tracking operations", "3 ops")]
    assert F.abilities_of("classit_ewok_fast_breakdown", {}, "x") == []  # pools other tasks' items
    assert F.abilities_of(glue.TASKS["rte"].task_name, {}, "rte ") == [("GLUE task", "rte ")]
    assert F.abilities_of("classit_comps_base", {}, "base") == [(OTHER, "base")]  # COMPS names no ability
    assert F.abilities_of("bar_3_ops", {}, "bar") == [(OTHER, "bar")]
    assert ability_label("syntax/semantics") == "syntax_semantics"
    assert F.margin_abilities() == {"BLiMP field", "BLiMP phenomenon", "BLiMP supplement", "EWoK domain",
                                    "Entity tracking operations"}


def test_leaderboard_rules():
    tasks = F.leaderboard_tasks()
    assert list(tasks) == ["blimp", "blimp_supplement", "ewok", "entity_tracking", "comps", "glue", "reading",
                           "wug_adj", "wug_past", "aoa"]
    assert tasks["blimp"].score({"acc,none": 0.5, "acc_norm,none": 0.9}) == (50.0, None)
    assert tasks["blimp"].score({"acc,none": math.nan}) == (None, None)
    assert tasks["reading"].score({"eye_tracking,none": 3.0, "self_paced_reading,none": 1.0}) == (
        2.0, "mean of eye tracking 3.00 and self-paced reading 1.00")
    assert tasks["reading"].score({"eye_tracking,none": 3.0}) == (None, None)
    partial = {"score,none": 0.5, "score_leaderboard,none": 0.25, "alias": "classit_glue (partial)",
               "tasks_evaluated,none": 2}
    assert tasks["glue"].score(partial) == (25.0, "partial: 2 of 7 tasks ran, the others count as 0")
    assert tasks["glue"].score({"score,none": 0.5}) == (50.0, None)
    assert tasks["aoa"].names == () and "checkpoint series" in tasks["aoa"].absent
    assert tasks["comps"].prediction == "sentence" and tasks["reading"].prediction == "surprisal"
    assert tasks["wug_adj"].prediction == tasks["wug_past"].prediction == "continuation_prob"
    assert dict(tasks["reading"].fast_fields) == {"spr": ("self_paced_reading", 100.0), "rt": ("eye_tracking", 100.0)}
    assert result_number({"acc,none": True}, "acc") is None and result_number({"acc,none": 1}, "acc") == 1.0
    custom = LeaderboardTask("X", "nlp", ("x",), "x", rule=lambda entry: (1.0, "mine"))
    assert custom.score({}) == (1.0, "mine")
    with pytest.raises(ValueError, match="prediction 'probs'"):
        LeaderboardTask("X", "nlp", ("x",), "x", prediction="probs")


def test_a_family_without_rules_uses_the_defaults():
    fam = Family("x", ("x_a",), ("acc",), 0.5, ability="X thing")
    assert fam.abilities("x_a", {}, "a") == [("X thing", "a")]
    assert Family("y", (), ("acc",), 0.5).abilities("y_a", {}, "a") == [(OTHER, "a")]


def test_short_names():
    assert F.short_name(blimp.subgroup("term", "island_effects", "_fast")) == "island_effects"
    assert F.short_name(blimp.subgroup("term", "binding")) == "binding"
    assert F.short_name(reading.READING_TASK) == "reading" and F.short_name("foo") == "foo"
