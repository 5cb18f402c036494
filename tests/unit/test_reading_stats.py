"""Reading-time ΔR² on synthetic word-level data, no model and no data: the regressions against numpy least squares
(written from the spec, ../shared/spec/babylm2025.md, section Reading, not from classit_tasks) and the task's
aggregations over per-document values. The loader, surprisal and the whole task on reading_data.csv are in
tests/integration/test_reading.py.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from classit_tasks.tasks import reading
from classit_tasks.tasks import reading_stats as stats

ET_TERMS = [("Subtlex_log10", "length"), ("Subtlex_log10", "context_length"), ("length", "context_length")]
SPR_MAIN = ["Subtlex_log10", "length", "context_length", "prev_length", "prev_pred"]
SPR_TERMS = [(a, b) for i, a in enumerate(SPR_MAIN) for b in SPR_MAIN[i + 1:]]


# ----------------------------------------------------------------------------------------------------------------
# ΔR² against numpy least squares
# ----------------------------------------------------------------------------------------------------------------
def synthetic(n: int, effect: float, seed: int = 0) -> pd.DataFrame:
    """Word-level data whose reading times depend on the baseline predictors and, with ``effect``, on surprisal."""
    rng = np.random.default_rng(seed)
    f = pd.DataFrame({
        "Subtlex_log10": rng.normal(12, 2, n),
        "length": rng.integers(1, 12, n).astype(float),
        "context_length": rng.integers(1, 20, n).astype(float),
        "prev_length": rng.integers(1, 12, n).astype(float),
    })
    f["pred"] = 0.4 * f["length"] - 0.3 * f["Subtlex_log10"] + rng.normal(8, 2, n)  # correlated with the baseline
    f["prev_pred"] = rng.normal(8, 2, n)
    base = 200 + 6 * f["length"] - 4 * f["Subtlex_log10"] + 0.3 * f["length"] * f["context_length"]
    for dv in (*stats.ET_DVS, stats.SPR_DV):
        f[dv] = base + 2 * f["prev_pred"] + effect * f["pred"] + rng.normal(0, 15, n)
    for col in ("Subtlex_log10", "RTgopast", "prev_pred"):  # missing values, as in the real file
        f.loc[rng.choice(n, 25, replace=False), col] = np.nan
    return f


def numpy_delta_r2(frame: pd.DataFrame, dv: str, main: list[str], terms: list[tuple[str, str]]) -> tuple[float, int]:
    data = frame[[dv, *main, "pred"]].dropna()
    y = data[dv].to_numpy()

    def r2(columns):
        X = np.column_stack([np.ones(len(data)), *columns])
        beta, *_ = np.linalg.lstsq(X, y, rcond=None)
        resid = y - X @ beta
        return 1 - resid @ resid / ((y - y.mean()) @ (y - y.mean()))

    cols = [data[c] for c in main] + [data[a] * data[b] for a, b in terms]
    r2_base, r2_model = r2(cols), r2(cols + [data["pred"]])
    return 100 * (r2_model - r2_base) / (1 - r2_base), len(data)


@pytest.mark.parametrize("effect", [3.0, 0.0], ids=["planted", "none"])
def test_delta_r2_matches_least_squares(effect):
    frame = synthetic(1500, effect)
    for dv in stats.ET_DVS:
        got = stats.eye_tracking(frame, dv)
        want, n = numpy_delta_r2(frame, dv, ["Subtlex_log10", "length", "context_length"], ET_TERMS)
        assert got.n == n and got.score == pytest.approx(want, rel=1e-7, abs=1e-9)
    spr = stats.self_paced_reading(frame)
    want, n = numpy_delta_r2(frame, stats.SPR_DV, SPR_MAIN, SPR_TERMS)
    assert spr.n == n and spr.score == pytest.approx(want, rel=1e-7, abs=1e-9)
    assert n < 1500 - 25  # rows with a missing value in a used column are dropped
    assert math.isnan(stats.self_paced_reading(frame.head(12)).score)  # fewer rows than parameters: no score

    et = stats.eye_tracking_score(frame)
    assert et == pytest.approx(np.mean([stats.eye_tracking(frame, dv).score for dv in stats.ET_DVS]))
    if effect:
        assert et > 5 and spr.score > 5
    else:  # nothing to explain: ΔR² ≥ 0 (nested models) and only chance-sized
        assert 0 <= et < 0.5 and 0 <= spr.score < 0.5


def test_aggregations_take_per_document_values():
    frame = synthetic(400, 3.0, seed=1)
    items = {}
    for _, row in frame.iterrows():
        doc = {name: row.get(name, math.nan) for name in reading.NUMERIC_COLUMNS} | {"surprisal_rule": "babylm2025"}
        out = reading.process_results(doc, [(-row["pred"], False), (-row["prev_pred"], False)])
        for metric, value in out.items():
            items.setdefault(metric, []).append(value)
    assert reading.eye_tracking(items["eye_tracking"]) == pytest.approx(stats.eye_tracking_score(frame), rel=1e-9)
    assert reading.self_paced_reading(items["self_paced_reading"]) == pytest.approx(
        stats.self_paced_reading(frame).score, rel=1e-9
    )
    assert reading.eye_tracking_RTgopast(items["eye_tracking_RTgopast"]) == pytest.approx(
        stats.eye_tracking(frame, "RTgopast").score, rel=1e-9
    )
    assert reading.r_RTfirstfix(items["r_RTfirstfix"]) == pytest.approx(frame["pred"].corr(frame["RTfirstfix"]))
