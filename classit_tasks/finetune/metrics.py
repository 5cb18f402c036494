"""Accuracy, binary F1 (positive class 1) and MCC, their standard errors, and the mean/std over seeds."""

from __future__ import annotations

import math

import numpy as np

BOOTSTRAP_ITERS = 1000


def compute(metric: str, labels: np.ndarray, preds: np.ndarray) -> float:
    """Accuracy, binary F1 (positive class 1) or MCC, with sklearn's definitions and its 0 where undefined (from the
    confusion matrix, the same integer arithmetic; sklearn itself is not imported, which saves seconds per run)."""
    labels, preds = np.asarray(labels, dtype=np.int64), np.asarray(preds, dtype=np.int64)
    if metric == "acc":
        return float((labels == preds).mean())
    if metric not in ("f1", "mcc"):
        raise ValueError(f"unknown metric '{metric}'")
    if len(labels) == 0:
        return 0.0
    k = int(max(labels.max(), preds.max(), 1)) + 1
    cm = np.bincount(labels * k + preds, minlength=k * k).reshape(1, k, k)
    return float(_from_confusion(metric, cm)[0])


def stderr(metric: str, labels: np.ndarray, preds: np.ndarray, seed: int = 1234) -> float:
    """Standard error over items: analytic for accuracy (as lm-eval's ``mean``), bootstrap for F1 and MCC.

    F1 and MCC depend on the items only through the confusion matrix, so resampling n items with replacement is
    the same as drawing the confusion counts from Multinomial(n, observed cell frequencies): that is what is drawn.
    """
    labels, preds = np.asarray(labels, dtype=np.int64), np.asarray(preds, dtype=np.int64)
    n = len(labels)
    if n < 2:
        return float("nan")
    if metric == "acc":
        correct = (labels == preds).astype(float)
        return float(correct.std(ddof=1) / math.sqrt(n))
    k = int(max(labels.max(), preds.max(), 1)) + 1
    cells = np.bincount(labels * k + preds, minlength=k * k) / n
    counts = np.random.default_rng(seed).multinomial(n, cells, size=BOOTSTRAP_ITERS).reshape(-1, k, k)
    values = _from_confusion(metric, counts)
    return float(np.std(values, ddof=1))


def _from_confusion(metric: str, cm: np.ndarray) -> np.ndarray:
    """F1 (positive class 1) or MCC of a stack of confusion matrices ``cm[b, true, pred]``; 0 where undefined,
    as sklearn returns. MCC for k classes: (c*s - sum_k p_k t_k) / sqrt((s^2 - sum p_k^2)(s^2 - sum t_k^2))."""
    cm = cm.astype(float)
    if metric == "f1":
        tp, fp, fn = cm[:, 1, 1], cm[:, 0, 1], cm[:, 1, 0]
        denom = 2 * tp + fp + fn
        return np.divide(2 * tp, denom, out=np.zeros_like(denom), where=denom > 0)
    if metric == "mcc":
        t, p = cm.sum(axis=2), cm.sum(axis=1)
        c, s = np.trace(cm, axis1=1, axis2=2), cm.sum(axis=(1, 2))
        num = c * s - (p * t).sum(axis=1)
        denom = np.sqrt((s**2 - (p**2).sum(axis=1)) * (s**2 - (t**2).sum(axis=1)))
        return np.divide(num, denom, out=np.zeros_like(num), where=denom > 0)
    raise ValueError(f"unknown metric '{metric}'")


def seed_ci(values: list[float], level: float = 0.95) -> tuple[float, float]:
    """Student-t confidence interval of the mean over seeds: mean ± t_{(1+level)/2, n-1} · sd / sqrt(n)."""
    from scipy.stats import t

    n = len(values)
    mean, sd = float(np.mean(values)), float(np.std(values, ddof=1))
    half = float(t.ppf((1 + level) / 2, n - 1)) * sd / math.sqrt(n)
    return mean - half, mean + half


def summarize(per_seed: list[dict[str, float]], metrics: tuple[str, ...]) -> dict[str, float]:
    """lm-eval-style ``"<metric>,none"`` keys: mean over seeds; stderr = mean of the per-seed item stderrs;
    with several seeds also ``<metric>_seed_std`` (sample std over seeds) and ``<metric>_seed_ci_low`` /
    ``_seed_ci_high`` (95% Student-t interval of the mean over seeds)."""
    out: dict[str, float] = {}
    for m in metrics:
        values = [r[m] for r in per_seed]
        out[f"{m},none"] = float(np.mean(values))
        out[f"{m}_stderr,none"] = float(np.mean([r[f"{m}_stderr"] for r in per_seed]))
        if len(values) > 1:
            out[f"{m}_seed_std,none"] = float(np.std(values, ddof=1))
            out[f"{m}_seed_ci_low,none"], out[f"{m}_seed_ci_high,none"] = seed_ci(values)
    return out
