"""Per-document results and task-level aggregations for the ranking tasks.

Ranking rule of the BabyLM 2025 pipeline (``compute_results.py::rank_and_evaluate``): the prediction is the
argmax of the summed log-probabilities and option 0 is always correct, so a tie counts as correct (``acc``,
parity). ``acc_ties_half`` is the tie-aware variant: an item whose top score is shared by k options, option 0
among them, earns 1/k (0.5 for a pair), the expected accuracy under random tie-breaking (BabyLM 2026 fixes ties
this way). ``ties`` counts the items whose top score is shared.
"""

from __future__ import annotations

from typing import Any, Sequence

from classit_tasks import nonfinite


def rank_item(logliks: Sequence[float], doc: Any = None) -> dict[str, float]:
    """Parity accuracy, tie-aware accuracy and tie indicator of one item (option 0 is the gold one).

    A NaN or infinite score is never counted correct: it raises ``NonFiniteScoreError`` naming the item, or, with
    ``--allow_nan``, scores the item as wrong (``nonfinite``).
    """
    if not nonfinite.is_finite(logliks):
        nonfinite.flag(f"item {nonfinite.describe(doc)}", logliks)
        return {"acc": 0.0, "acc_ties_half": 0.0, "ties": 0.0}
    best = max(logliks)
    top = [i for i, ll in enumerate(logliks) if ll == best]
    return {
        "acc": float(top[0] == 0),  # torch.max returns the first maximal index
        "acc_ties_half": (1.0 / len(top)) if 0 in top else 0.0,
        "ties": float(len(top) > 1),
    }


def process_ranking(doc: dict, results: Sequence[tuple[float, bool]]) -> dict[str, float]:
    """``process_results`` for multiple-choice ranking tasks: results are (loglik, is_greedy) per option."""
    return rank_item([ll for ll, _ in results], doc)


def count(values: Sequence[float]) -> int:
    """Aggregation: number of documents flagged (e.g. tied items)."""
    return int(sum(values))


def mean_present(values: Sequence[float | None]) -> float:
    """Aggregation: mean over the documents that produced a value (None marks "not in this breakdown cell")."""
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else float("nan")
