"""Statistics of classit_tasks.report: estimators against references, false-positive rate, power, coverage."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest, spearmanr

from classit_tasks.report import metrics as M
from classit_tasks.report import stats
from classit_tasks.report.compare import compare_runs, gate
from classit_tasks.report.scores import Settings
from synthetic import accuracy_pair, make_run

ALPHA = 0.05


def tolerance(n: int, alpha: float = ALPHA) -> float:
    """Three binomial standard errors of an estimated rejection rate."""
    return 3 * np.sqrt(alpha * (1 - alpha) / n)


def test_bootstrap_ci_is_seeded_and_brackets_the_mean():
    values = np.random.default_rng(0).random(500)
    a = stats.bootstrap(M.MEAN.batch, values, 1000, stats.rng_for(0, "t"))
    b = stats.bootstrap(M.MEAN.batch, values, 1000, stats.rng_for(0, "t"))
    assert a.shape == (1000,) and np.array_equal(a, b)
    low, high = stats.percentile_ci(a)
    assert low < values.mean() < high
    assert high - low == pytest.approx(2 * 1.96 * values.std() / np.sqrt(500), rel=0.15)


def test_mcnemar_exact_is_the_binomial_test_of_discordant_pairs():
    base = np.array([1] * 10 + [0] * 2 + [1] * 30 + [0] * 8, dtype=float)
    cand = np.array([0] * 10 + [1] * 2 + [1] * 30 + [0] * 8, dtype=float)
    m = stats.mcnemar_exact(base, cand)
    assert (m.baseline_only, m.candidate_only) == (10, 2)
    assert m.p_value == pytest.approx(binomtest(2, 12, 0.5).pvalue)
    assert stats.mcnemar_exact(base, base).p_value == 1.0


def test_holm_adjustment():
    assert stats.holm([0.01, 0.04, 0.03, float("nan")])[:3] == pytest.approx([0.03, 0.06, 0.06])


def test_vectorised_aggregations_match_references():
    from sklearn.metrics import f1_score, matthews_corrcoef

    rng = np.random.default_rng(1)
    pairs = np.c_[rng.random(80), np.round(rng.random(80), 1)]  # ties in column 1
    assert M.SPEARMAN.point(pairs) == pytest.approx(spearmanr(pairs[:, 0], pairs[:, 1]).statistic)
    gold_pred = rng.integers(0, 2, size=(120, 2)).astype(float)
    assert M.F1.point(gold_pred) == pytest.approx(f1_score(gold_pred[:, 0], gold_pred[:, 1]))
    assert M.MCC.point(gold_pred) == pytest.approx(matthews_corrcoef(gold_pred[:, 0], gold_pred[:, 1]))
    present = np.array([1.0, np.nan, 0.0, 1.0])
    assert M.MEAN_PRESENT.point(present) == pytest.approx(2 / 3)


def test_reading_fast_path_matches_the_task_aggregation():
    reading = pytest.importorskip("classit_tasks.tasks.reading")
    rng = np.random.default_rng(2)
    n = 300
    rows = []
    for i in range(n):
        freq, length, pos = rng.normal(4, 1), rng.integers(1, 10), rng.integers(0, 20)
        pred, prev_pred = rng.normal(8, 2), (rng.normal(8, 2) if i % 7 else None)
        rt = 200 + 5 * length - 3 * freq + 4 * pred + rng.normal(0, 20)
        rows.append({"pred": pred, "prev_pred": float("nan") if prev_pred is None else prev_pred,
                     "Subtlex_log10": freq, "length": float(length), "context_length": float(pos),
                     "prev_length": float(rng.integers(1, 10)), "RTfirstfix": rt, "RTfirstpass": rt * 1.1,
                     "RTgopast": rt * 1.3 + rng.normal(0, 30), "RTrightbound": rt + rng.normal(0, 10),
                     "self_paced_reading_time": 300 + 2 * pred + rng.normal(0, 30)})
    values = np.empty(n, dtype=object)
    values[:] = rows
    for metric, reference in (("eye_tracking", reading.eye_tracking),
                              ("self_paced_reading", reading.self_paced_reading)):
        agg = M.REGISTRY[metric]
        assert agg.point(agg.arrays(values)) == pytest.approx(reference(rows), rel=1e-6)
    # a resample is weighted least squares on repeated rows: equal to the task's function on the repeated rows
    idx = rng.integers(0, n, size=n)
    agg = M.REGISTRY["eye_tracking"]
    assert agg.point(agg.arrays(values[idx])) == pytest.approx(reading.eye_tracking([rows[i] for i in idx]),
                                                               rel=1e-6)


def test_false_positive_rate_of_exact_mcnemar():
    """No difference planted: paired 0/1 outcomes drawn from the same per-item difficulty."""
    seeds = 1000
    rejected = 0
    for seed in range(seeds):
        base, cand = accuracy_pair(np.random.default_rng(seed), 200, accuracy=0.7)
        rejected += stats.mcnemar_exact(base, cand).p_value < ALPHA
    assert rejected / seeds <= ALPHA + tolerance(seeds)


def _group_runs(seed: int, delta: float, leaves: int = 5, n: int = 200):
    rng = np.random.default_rng(seed)
    base, cand = {}, {}
    for k in range(leaves):
        b, c = accuracy_pair(rng, n, accuracy=0.65, delta=delta)
        base[f"classit_blimp_fast_t{k}"], cand[f"classit_blimp_fast_t{k}"] = {"acc": b}, {"acc": c}
    groups = {"classit_blimp_fast": list(base)}
    return make_run("baseline", base, groups), make_run("candidate", cand, groups)


def test_false_positive_rate_of_the_gate_and_ci_coverage():
    """Group (macro over 5 subtasks) compare + gate with no planted difference: the gate fires at most at alpha."""
    seeds = 200
    fired = rejected = covered = 0
    for seed in range(seeds):
        base, cand = _group_runs(10_000 + seed, 0.0)
        rows = compare_runs(base, cand, Settings(iters=400, seed=seed))
        fired += bool(gate(rows, max_drop=0.0, alpha=ALPHA))
        rejected += rows[0].p_value < ALPHA
        covered += rows[0].ci_low <= 0.0 <= rows[0].ci_high
    assert fired / seeds <= ALPHA + tolerance(seeds)
    assert rejected / seeds <= ALPHA + tolerance(seeds)
    assert covered / seeds >= 0.95 - tolerance(seeds, 0.05)


def test_false_positive_rate_of_the_correlation_comparison():
    """WUG-style Spearman rho, equal in both runs (the candidate's probabilities on another scale half the time):
    the paired-bootstrap test behind ``compare`` rejects at most at alpha."""
    seeds = 200
    rejected = 0
    spearman = {"classit_wug_adj": [{"metric": "spearman", "aggregation": "spearman", "higher_is_better": True}]}
    for seed in range(seeds):
        rng = np.random.default_rng(20_000 + seed)
        human = rng.random(100)
        shared = human + rng.normal(0, 0.5, 100)
        p_base, p_cand = shared + rng.normal(0, 0.5, 100), shared + rng.normal(0, 0.5, 100)
        if seed % 2:
            p_cand = np.exp(3 * p_cand)  # same ranks distribution, another scale
        base = make_run("b", {"classit_wug_adj": {"spearman": np.c_[p_base, human]}}, metric_list=spearman)
        cand = make_run("c", {"classit_wug_adj": {"spearman": np.c_[p_cand, human]}}, metric_list=spearman)
        (row,) = compare_runs(base, cand, Settings(iters=300, seed=seed))
        assert row.test.startswith("paired bootstrap")
        rejected += row.p_value < ALPHA
    assert rejected / seeds <= ALPHA + tolerance(seeds)


def test_power_on_a_planted_drop():
    """A 10-point accuracy drop on 5 x 200 items is flagged nearly always; a 10-point gain never is."""
    seeds = 40
    flagged = 0
    for seed in range(seeds):
        base, cand = _group_runs(30_000 + seed, -0.10)
        rows = compare_runs(base, cand, Settings(iters=400, seed=seed))
        flagged += bool(gate(rows, max_drop=0.0, alpha=ALPHA))
        assert rows[0].diff < 0
    assert flagged / seeds >= 0.95
    base, cand = _group_runs(40_000, +0.10)
    assert not gate(compare_runs(base, cand, Settings(iters=400)), max_drop=0.0, alpha=ALPHA)
