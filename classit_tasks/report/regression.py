"""Vectorised reading-time metrics (ΔR² of surprisal over a baseline OLS, Pearson r) for the bootstrap.

The definitions are those of ``classit_tasks.tasks.reading_stats`` (de Varda et al. 2023 as scored by the BabyLM 2025
pipeline): per dependent variable, OLS of dv ~ baseline (main effects + all pairwise interactions) and of
dv ~ baseline + pred, rows with a missing value in a used column dropped, and
    score = 100 · (R²_model − R²_baseline) / (1 − R²_baseline).
A bootstrap resample repeats rows; OLS on repeated rows equals weighted least squares, and R² does not change under
centring / scaling of the design's columns, so each resample's fits are a few batched normal-equation solves on
standardised columns instead of statsmodels fits. ``scores.aggregation_for`` checks the full-sample value against
the task's own number and falls back to the task's aggregation function if they disagree.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

ET_DVS = ("RTfirstfix", "RTfirstpass", "RTgopast", "RTrightbound")
SPR_DV = "self_paced_reading_time"
EEG_DVS = ("ELAN", "LAN", "N400", "P600", "EPNP", "PNP")
ET_PREDICTORS = ("Subtlex_log10", "length", "context_length")
SPR_PREDICTORS = ("Subtlex_log10", "length", "context_length", "prev_length", "prev_pred")
COLUMNS = ("pred", "prev_pred", "Subtlex_log10", "length", "context_length", "prev_length", *ET_DVS, SPR_DV,
           *EEG_DVS)
INDEX = {name: i for i, name in enumerate(COLUMNS)}


def prepare(values: np.ndarray) -> np.ndarray:
    """Per-item dicts (the reading task's per-document metric values) -> (n, len(COLUMNS)) floats, NaN if absent."""
    out = np.full((len(values), len(COLUMNS)), np.nan)
    for i, item in enumerate(values):
        if not isinstance(item, dict):
            raise TypeError(f"reading metric values must be dicts of columns, got {type(item).__name__}")
        for name, value in item.items():
            j = INDEX.get(name)
            if j is not None and value is not None:
                out[i, j] = float(value)
    return out


def _r2(y: np.ndarray, X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted R² of y (B, n) on X (B, n, p) plus an intercept; w (B, n) are 0/1 row weights."""
    total = w.sum(axis=1, keepdims=True)
    mean_x = np.einsum("bn,bnp->bp", w, X) / total
    Xc = X - mean_x[:, None, :]
    std = np.sqrt(np.einsum("bn,bnp->bp", w, Xc * Xc) / total)
    Xc = Xc / np.where(std > 0, std, 1.0)[:, None, :]
    yc = y - (np.einsum("bn,bn->b", w, y) / total[:, 0])[:, None]
    Xw_t = (Xc * w[:, :, None]).transpose(0, 2, 1)
    G = Xw_t @ Xc
    h = (Xw_t @ yc[..., None])[..., 0]
    beta = np.linalg.solve(G + 1e-12 * np.eye(G.shape[-1]), h[..., None])[..., 0]
    explained = np.einsum("bp,bp->b", beta, h)
    tss = np.einsum("bn,bn->b", w, yc * yc)
    return explained / tss


def _design(V: np.ndarray, predictors: tuple[str, ...]) -> np.ndarray:
    main = [V[..., INDEX[p]] for p in predictors]
    pairs = [main[i] * main[j] for i, j in combinations(range(len(main)), 2)]
    return np.stack(main + pairs, axis=-1)


def delta_r2(V: np.ndarray, dv: str, predictors: tuple[str, ...]) -> np.ndarray:
    """ΔR² score of adding ``pred`` to ``dv ~ predictors + pairwise interactions`` for each resample (B,)."""
    used = [INDEX[dv], INDEX["pred"], *(INDEX[p] for p in predictors)]
    w = np.isfinite(V[..., used]).all(axis=-1).astype(float)
    clean = np.where(np.isfinite(V), V, 0.0)
    base = _design(clean, predictors)
    model = np.concatenate([base, clean[..., INDEX["pred"]][..., None]], axis=-1)
    y = clean[..., INDEX[dv]]
    n_params = base.shape[-1] + 2  # intercept, baseline terms, pred
    with np.errstate(invalid="ignore", divide="ignore"):
        r2_base, r2_model = _r2(y, base, w), _r2(y, model, w)
        score = 100.0 * (r2_model - r2_base) / (1.0 - r2_base)
    # as reading_stats: no score with too few rows for the fit, or a baseline that already fits perfectly
    return np.where((w.sum(axis=1) > n_params) & (r2_base < 1.0), score, np.nan)


def eye_tracking(V: np.ndarray) -> np.ndarray:
    return np.mean([delta_r2(V, dv, ET_PREDICTORS) for dv in ET_DVS], axis=0)


def self_paced_reading(V: np.ndarray) -> np.ndarray:
    return delta_r2(V, SPR_DV, SPR_PREDICTORS)


def eye_tracking_dv(dv: str):
    return lambda V: delta_r2(V, dv, ET_PREDICTORS)


def pearson(dv: str):
    """Pearson r of pred with dv over the rows where both are present."""

    def batch(V: np.ndarray) -> np.ndarray:
        x, y = V[..., INDEX["pred"]], V[..., INDEX[dv]]
        w = (np.isfinite(x) & np.isfinite(y)).astype(float)
        x, y = np.where(w > 0, x, 0.0), np.where(w > 0, y, 0.0)
        total = w.sum(axis=1)
        xc = x - ((w * x).sum(axis=1) / total)[:, None]
        yc = y - ((w * y).sum(axis=1) / total)[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            return (w * xc * yc).sum(axis=1) / np.sqrt((w * xc * xc).sum(axis=1) * (w * yc * yc).sum(axis=1))

    return batch
