"""How each metric of a classit task is aggregated over items (how it is displayed, which one is a task's headline
and what chance is are facts of the task families: ``classit_tasks.tasks.families``).

An ``Aggregation`` turns a run's per-item values (one row per item, as lm-eval stores them per sample under the
metric's name) into the task's score; its ``batch`` form does that for a stack of resampled item sets at once
(shape (B, n[, k]) -> (B,)) so the bootstrap is vectorised. Metrics not in ``REGISTRY`` are looked up in the
task's YAML ``metric_list`` (lm-eval aggregation names, or the ``!function`` the task uses, applied per resample).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from scipy.stats import rankdata

from classit_tasks.report import regression as R
from classit_tasks.report.stats import BatchFn


@dataclass(frozen=True)
class Aggregation:
    name: str
    batch: BatchFn
    heavy: bool = False  # refits a model per resample (OLS ΔR²) or runs Python per resample: fewer iterations
    prepare: Callable[[np.ndarray], np.ndarray] | None = None  # per-item values -> the array ``batch`` stacks
    verify: bool = False  # check the full-sample value against the task's reported number before trusting it

    def arrays(self, values: np.ndarray) -> np.ndarray:
        return self.prepare(values) if self.prepare is not None else values

    def point(self, values: np.ndarray) -> float:
        """Score of the full item set (``values`` as returned by ``arrays``)."""
        return float(self.batch(values[None, ...])[0])


def _mean(v: np.ndarray) -> np.ndarray:
    return v.mean(axis=1)


def _nanmean(v: np.ndarray) -> np.ndarray:
    """Mean over the items that have a value (NaN = "not in this breakdown cell"; classit ``mean_present``)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        present = np.isfinite(v)
        return np.where(present, v, 0.0).sum(axis=1) / present.sum(axis=1)


def _sum(v: np.ndarray) -> np.ndarray:
    return v.sum(axis=1)


def _rowwise_pearson(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    x = x - x.mean(axis=1, keepdims=True)
    y = y - y.mean(axis=1, keepdims=True)
    denom = np.sqrt((x * x).sum(axis=1) * (y * y).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, (x * y).sum(axis=1) / np.where(denom > 0, denom, 1.0), np.nan)


def _spearman(v: np.ndarray) -> np.ndarray:
    """Spearman rho between column 0 and column 1 of each resample (average ranks for ties, as scipy)."""
    return _rowwise_pearson(rankdata(v[..., 0], axis=1), rankdata(v[..., 1], axis=1))


def _confusion(v: np.ndarray) -> tuple[np.ndarray, ...]:
    gold, pred = v[..., 0] == 1, v[..., 1] == 1
    tp = (gold & pred).sum(axis=1).astype(float)
    fp = (~gold & pred).sum(axis=1).astype(float)
    fn = (gold & ~pred).sum(axis=1).astype(float)
    tn = (~gold & ~pred).sum(axis=1).astype(float)
    return tp, fp, fn, tn


def _f1(v: np.ndarray) -> np.ndarray:
    """F1 of the positive class 1 from per-item (gold, pred) pairs (sklearn ``f1_score`` default; 0 if undefined)."""
    tp, fp, fn, _ = _confusion(v)
    denom = 2 * tp + fp + fn
    return np.where(denom > 0, 2 * tp / np.where(denom > 0, denom, 1.0), 0.0)


def _mcc(v: np.ndarray) -> np.ndarray:
    """Matthews correlation from per-item (gold, pred) pairs of a binary task (0 if undefined, as sklearn)."""
    tp, fp, fn, tn = _confusion(v)
    denom = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return np.where(denom > 0, (tp * tn - fp * fn) / np.where(denom > 0, denom, 1.0), 0.0)


MEAN = Aggregation("mean", _mean)
MEAN_PRESENT = Aggregation("mean_present", _nanmean)
COUNT = Aggregation("count", _sum)
SPEARMAN = Aggregation("spearman", _spearman)
F1 = Aggregation("f1", _f1)
MCC = Aggregation("mcc", _mcc)

# metric name -> aggregation, for the metrics classit tasks write per item
REGISTRY: dict[str, Aggregation] = {
    "acc": MEAN,
    "acc_ties_half": MEAN,
    "acc_norm": MEAN,
    "ties": COUNT,
    "spearman": SPEARMAN,
    "f1": F1,
    "mcc": MCC,
}

# the reading task: per-item dicts of columns; verified against the task's own number (see regression.py)
def _reading(name: str, batch: BatchFn, heavy: bool = True) -> Aggregation:
    return Aggregation(name, batch, heavy=heavy, prepare=R.prepare, verify=True)


REGISTRY["eye_tracking"] = _reading("eye_tracking", R.eye_tracking)
REGISTRY["self_paced_reading"] = _reading("self_paced_reading", R.self_paced_reading)
for _dv in R.ET_DVS:
    REGISTRY[f"eye_tracking_{_dv}"] = _reading(f"eye_tracking_{_dv}", R.eye_tracking_dv(_dv))
for _dv in (*R.ET_DVS, R.SPR_DV, *R.EEG_DVS):
    REGISTRY[f"r_{_dv}"] = _reading(f"r_{_dv}", R.pearson(_dv), heavy=False)

# lm-eval aggregation names (metric_list[].aggregation strings) -> aggregation
BY_AGGREGATION_NAME: dict[str, Aggregation] = {
    "mean": MEAN,
    "mean_present": MEAN_PRESENT,  # classit_tasks.tasks.ranking.mean_present
    "count": COUNT,  # classit_tasks.tasks.ranking.count
    "f1": F1,
    "matthews_corrcoef": MCC,
    "mcc": MCC,
}


def from_callable(name: str, fn: Callable[[list], Any]) -> Aggregation:
    """Wrap a task's own aggregation function (e.g. OLS ΔR²) so it runs on each resample of items."""

    def batch(v: np.ndarray) -> np.ndarray:
        out = np.empty(len(v))
        for i, row in enumerate(v):
            items = [tuple(x) if isinstance(x, (list, np.ndarray)) else x for x in row.tolist()]
            out[i] = float(fn(items))
        return out

    return Aggregation(name, batch, heavy=True)
