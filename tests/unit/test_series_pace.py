"""Growth pace against a hand computation on planted series, and the forgetting flag on a planted drop."""

from __future__ import annotations

import math

import numpy as np
import pytest

from classit_tasks.report.scores import Score, Settings
from classit_tasks.report.series import build_series, forgetting, growth_pace, rank_paces, words_to_fraction
from synthetic import make_run


def _scores(values, chance=0.5, half_ci=0.02):
    return [Score("a", "acc", ["t"], 100, v, (v - half_ci, v + half_ci), chance=chance) for v in values]


def test_pace_matches_a_hand_computation():
    x = [1e6, 1e7, 1e8]
    p = growth_pace("F", "a", x, _scores([0.50, 0.70, 0.90]))
    # reference = chance 50, final 90, gain 40: 50 % of the gain = 70 points, reached exactly at 10M words;
    # 90 % = 86 points, between 10M (70) and 100M (90): log10 w = 7 + (86 - 70) / (90 - 70) = 7.8
    assert (p.reference, p.final, p.gain) == pytest.approx((50, 90, 40))
    assert p.words_50 == pytest.approx(1e7, rel=1e-9) and not p.first_reached_50
    assert p.words_90 == pytest.approx(10 ** 7.8, rel=1e-9)
    assert p.slope == pytest.approx(20.0)  # (90 - 50) points over 2 decades
    assert p.plateau is None  # still gaining

    # a plateau: 60, 80, 89.5, 90 at 1M..1B; band = max(1, 2) = 2 points around 90 -> from 100M words
    q = growth_pace("F", "b", [1e6, 1e7, 1e8, 1e9], _scores([0.60, 0.80, 0.895, 0.90]))
    assert q.plateau == pytest.approx(1e8)
    # 50 % of 40 = 70: between 1M (60) and 10M (80): log10 w = 6 + (70 - 60) / 20 = 6.5
    assert q.words_50 == pytest.approx(10 ** 6.5, rel=1e-9)
    assert q.slope == pytest.approx(np.polyfit([6, 7, 8, 9], [60, 80, 89.5, 90], 1)[0])

    # no gain over chance: undefined; a level already reached at the first checkpoint: its x, flagged
    assert words_to_fraction(x, [50, 45, 48], 50, 0.5) == (None, False)
    assert words_to_fraction(x, [80, 85, 90], 50, 0.5) == (1e6, True)
    # no chance level (e.g. a correlation with chance None): the first checkpoint is the reference
    r = growth_pace("F", "c", x, _scores([0.10, 0.20, 0.30], chance=None))
    assert r.reference == pytest.approx(10) and r.words_50 == pytest.approx(1e7)

    ranked = rank_paces([p, q, r, growth_pace("F", "d", x, _scores([0.5, 0.45, 0.48]))])
    assert [g.ability for g in ranked] == ["b", "a", "c", "d"] and [g.rank for g in ranked] == [1, 2, 3, 4]


def _run(label, branch, stage, words, tasks, parent=None):
    run = make_run(label, tasks)
    run.position.words = words
    run.position.stage = stage
    run.sweep = {"branch": branch, "stage": stage, "path": f"/runs/{label}", "parent": parent, "aliases": []}
    return run


def test_forgetting_is_flagged_on_a_planted_drop():
    rng = np.random.default_rng(0)
    n = 400
    kept = (rng.random(n) < 0.8).astype(float)
    learned = (rng.random(n) < 0.9).astype(float)
    dropped = np.where(rng.random(n) < 0.45, learned, 0.0)  # 90 % -> ~40 %
    a, b = "classit_ewok_fast_agent_properties", "classit_ewok_fast_social_relations"
    early = _run("s/1", "seq", "one", 1e6, {a: {"acc": (rng.random(n) < 0.6).astype(float)}, b: {"acc": kept}})
    before = _run("s/2", "seq", "one", 2e6, {a: {"acc": learned}, b: {"acc": kept}})
    after = _run("s/3", "seq", "two", 4e6, {a: {"acc": dropped}, b: {"acc": kept}})
    (series,), notes = build_series([early, before, after], "words")
    assert notes == [] and [w.label for w in series.switches] == ["seq:one → seq:two"]
    abilities = [("EWoK domain", "agent", [a], "acc"), ("EWoK domain", "social", [b], "acc")]
    (result,) = forgetting(series, abilities, Settings(iters=500))
    assert (result.before, result.after) == ("s/2", "s/3")
    assert [r.task for r in result.forgotten] == ["EWoK domain: agent"]
    rows = {r.task: r for r in result.rows}
    assert rows["EWoK domain: agent"].diff < -40 and rows["EWoK domain: agent"].p_holm < 0.01
    assert rows["EWoK domain: social"].diff == 0 and not rows["EWoK domain: social"].regression


def test_branches_share_the_base_and_unlinked_parents_are_noted():
    tasks = {"classit_ewok_fast_agent_properties": {"acc": np.ones(4)}}
    base = [_run(f"base/{w}", "base", "pre", w * 1e6, tasks) for w in (1, 2)]
    merged = [_run(f"merged/{w}", "merged", "m", w * 1e6, tasks, parent="/runs/base/2") for w in (3, 4)]
    orphan = [_run(f"orphan/{w}", "orphan", "o", w * 1e6, tasks, parent="/elsewhere/x") for w in (3, 4)]
    series, notes = build_series(base + merged + orphan, "words")
    names = {s.name: [r.label for r in s.runs] for s in series}
    assert names == {"base → merged": ["base/1", "base/2", "merged/3", "merged/4"],
                     "orphan": ["orphan/3", "orphan/4"]}
    assert notes == ["series: branch 'orphan' starts from /elsewhere/x, which is not in the sweep; drawn alone"]
    assert math.isclose(next(s for s in series if s.name == "base → merged").x[2], 3e6)
