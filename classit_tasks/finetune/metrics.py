"""Accuracy, binary F1 (positive class 1) and MCC, their standard errors, and the mean/std over seeds."""

from __future__ import annotations

import math

import numpy as np
from sklearn.metrics import f1_score, matthews_corrcoef

BOOTSTRAP_ITERS = 1000


def compute(metric: str, labels: np.ndarray, preds: np.ndarray) -> float:
    labels, preds = np.asarray(labels), np.asarray(preds)
    if metric == "acc":
        return float((labels == preds).mean())
    if metric == "f1":
        return float(f1_score(labels, preds, pos_label=1, average="binary", zero_division=0.0))
    if metric == "mcc":
        return float(matthews_corrcoef(labels, preds))
    raise ValueError(f"unknown metric '{metric}'")


def stderr(metric: str, labels: np.ndarray, preds: np.ndarray, seed: int = 1234) -> float:
    """Standard error over items: analytic for accuracy (as lm-eval's ``mean``), bootstrap for F1 and MCC."""
    labels, preds = np.asarray(labels), np.asarray(preds)
    n = len(labels)
    if n < 2:
        return float("nan")
    if metric == "acc":
        correct = (labels == preds).astype(float)
        return float(correct.std(ddof=1) / math.sqrt(n))
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(BOOTSTRAP_ITERS):
        idx = rng.integers(0, n, n)
        values.append(compute(metric, labels[idx], preds[idx]))
    return float(np.std(values, ddof=1))


def summarize(per_seed: list[dict[str, float]], metrics: tuple[str, ...]) -> dict[str, float]:
    """lm-eval-style ``"<metric>,none"`` keys: mean over seeds; stderr = mean of the per-seed item stderrs;
    ``<metric>_seed_std`` = sample std over seeds (only with several seeds)."""
    out: dict[str, float] = {}
    for m in metrics:
        values = [r[m] for r in per_seed]
        out[f"{m},none"] = float(np.mean(values))
        out[f"{m}_stderr,none"] = float(np.mean([r[f"{m}_stderr"] for r in per_seed]))
        if len(values) > 1:
            out[f"{m}_seed_std,none"] = float(np.std(values, ddof=1))
    return out
