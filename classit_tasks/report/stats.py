"""Resampling statistics over evaluation items: bootstrap CIs, paired differences, exact and permutation tests.

Every statistic is computed on *items* (documents) of one task; a group's statistic is the unweighted mean of its
leaf tasks' statistics (the BabyLM convention), resampled stratified by leaf task (each leaf's items are resampled
on their own, as the leaf tasks were drawn independently).

- Bootstrap percentile CI (Efron & Tibshirani 1993): resample the n items with replacement B times, recompute the
  task's aggregation, take the (alpha/2, 1-alpha/2) quantiles.
- Paired bootstrap CI of a difference: the *same* resampled items for both runs, CI of (candidate - baseline).
- Exact McNemar test (McNemar 1947; exact form = two-sided binomial test on the discordant pairs) for paired 0/1
  accuracies of one task.
- Paired permutation (sign-flip) test for mean scores that are not a single 0/1 leaf (groups, seed-averaged
  accuracies): under H0 the two runs' per-item values are exchangeable, so each item's pair is swapped with
  probability 1/2; p = (1 + #{|d*| >= |d|}) / (B + 1).
- Paired-bootstrap p-value for correlations, ΔR², F1 / MCC (statistics whose scale differs between models, so a
  swap test would be conservative): twice the smaller share of difference replicates on either side of 0.
- Holm (1979) step-down adjustment for the family of tests a regression gate looks at.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from scipy.stats import binomtest

# Batched aggregation: an array of per-item values stacked as (B, n[, k]) -> (B,) statistics.
BatchFn = Callable[[np.ndarray], np.ndarray]

MAX_ELEMENTS = 4_000_000  # per chunk of resampled values (B_chunk * n * values per item), to bound memory


def rng_for(seed: int, name: str) -> np.random.Generator:
    """A generator that depends on the seed and the task name only (not on the order tasks are processed in)."""
    return np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])


def _chunks(iters: int, n: int, width: int = 1) -> list[int]:
    step = max(1, MAX_ELEMENTS // max(n * width, 1))
    return [min(step, iters - start) for start in range(0, iters, step)]


def _width(values: np.ndarray) -> int:
    """Numbers per item (16 for a reading row of 16 columns), times a margin for the design matrices built."""
    return int(np.prod(values.shape[1:], dtype=int)) * (2 if values.ndim > 1 else 1)


def bootstrap(batch: BatchFn, values: np.ndarray, iters: int, rng: np.random.Generator) -> np.ndarray:
    """B bootstrap replicates of the statistic of one run's items."""
    n = len(values)
    out = [batch(values[rng.integers(0, n, size=(b, n))]) for b in _chunks(iters, n, _width(values))]
    return np.concatenate(out) if out else np.empty(0)


def paired_bootstrap(
    batch: BatchFn, base: np.ndarray, cand: np.ndarray, iters: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """B replicates of (baseline statistic, candidate statistic) on the same resampled items."""
    n = len(base)
    bs, cs = [], []
    for b in _chunks(iters, n, _width(base)):
        idx = rng.integers(0, n, size=(b, n))
        bs.append(batch(base[idx]))
        cs.append(batch(cand[idx]))
    return (np.concatenate(bs), np.concatenate(cs)) if bs else (np.empty(0), np.empty(0))


def permutation_null(
    batch: BatchFn, base: np.ndarray, cand: np.ndarray, iters: int, rng: np.random.Generator
) -> np.ndarray:
    """B replicates of (candidate - baseline) with each item's pair of values swapped with probability 1/2."""
    n = len(base)
    out = []
    for b in _chunks(iters, n, _width(base)):
        swap = rng.random((b, n)) < 0.5
        mask = swap.reshape(swap.shape + (1,) * (base.ndim - 1))
        stacked_b = np.broadcast_to(base, (b,) + base.shape)
        stacked_c = np.broadcast_to(cand, (b,) + cand.shape)
        out.append(batch(np.where(mask, stacked_b, stacked_c)) - batch(np.where(mask, stacked_c, stacked_b)))
    return np.concatenate(out) if out else np.empty(0)


def sign_flip_null(diff: np.ndarray, iters: int, rng: np.random.Generator) -> np.ndarray:
    """``permutation_null`` for a mean: swapping an item's pair flips the sign of its difference."""
    n = len(diff)
    out = []
    for b in _chunks(iters, n):
        swap = rng.random((b, n)) < 0.5
        out.append(np.where(swap, -diff, diff).mean(axis=1))
    return np.concatenate(out) if out else np.empty(0)


def percentile_ci(replicates: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of bootstrap replicates (NaN replicates, e.g. undefined correlations, are dropped)."""
    finite = replicates[np.isfinite(replicates)]
    if finite.size == 0:
        return float("nan"), float("nan")
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(finite, [tail, 100.0 - tail])
    return float(low), float(high)


def permutation_p(observed: float, null: np.ndarray) -> float:
    """Two-sided permutation p-value, (1 + #{|d*| >= |d|}) / (B + 1) (never 0)."""
    null = null[np.isfinite(null)]
    if not np.isfinite(observed) or null.size == 0:
        return float("nan")
    hits = np.count_nonzero(np.abs(null) >= abs(observed) - 1e-12)
    return float((1 + hits) / (1 + null.size))


def bootstrap_p(diff_replicates: np.ndarray) -> float:
    """Two-sided paired-bootstrap p-value of "no difference": twice the smaller share of difference replicates on
    either side of 0 (consistent with the percentile CI: the (1 - alpha) CI excludes 0 iff p < alpha)."""
    d = diff_replicates[np.isfinite(diff_replicates)]
    if d.size == 0:
        return float("nan")
    below = (1 + np.count_nonzero(d <= 0)) / (1 + d.size)
    above = (1 + np.count_nonzero(d >= 0)) / (1 + d.size)
    return float(min(1.0, 2 * min(below, above)))


@dataclass(frozen=True)
class McNemar:
    """Exact McNemar test: b = items only the baseline gets right, c = items only the candidate gets right."""

    baseline_only: int
    candidate_only: int
    p_value: float


def mcnemar_exact(base: np.ndarray, cand: np.ndarray) -> McNemar:
    """Two-sided exact McNemar test of paired 0/1 outcomes (binomial test of c among b + c at 1/2)."""
    base = np.asarray(base, dtype=bool)
    cand = np.asarray(cand, dtype=bool)
    b = int(np.count_nonzero(base & ~cand))
    c = int(np.count_nonzero(~base & cand))
    p = 1.0 if b + c == 0 else float(binomtest(c, b + c, 0.5).pvalue)
    return McNemar(b, c, p)


def is_binary(values: np.ndarray) -> bool:
    return values.ndim == 1 and values.dtype != object and bool(np.isin(values, (0.0, 1.0)).all())


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm step-down adjusted p-values (family-wise error rate); NaN p-values stay NaN and are not counted."""
    p = np.asarray(p_values, dtype=float)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = ok.size
    running = 0.0
    for rank, i in enumerate(ok[np.argsort(p[ok], kind="stable")]):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out.tolist()
