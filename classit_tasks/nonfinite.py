"""Non-finite scores (NaN, ±inf) are never counted correct and never pass a comparison.

A model whose weights or activations overflow returns NaN log-likelihoods. Python's ``max`` and ``==`` make such an
item look correct (every comparison with NaN is false, so option 0 "wins"); a NaN accuracy makes a bootstrap CI or a
regression gate meaningless. So a non-finite log-likelihood stops the evaluation with one line naming the task and
the item, unless the user passes ``--allow_nan`` (``CLASSIT_ALLOW_NAN=1``): then the item is scored as wrong (0) and
reported, one warning per item and a count at the end.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
from typing import Any, Iterable

log = logging.getLogger("classit_tasks")
ENV = "CLASSIT_ALLOW_NAN"
ID_FIELDS = ("UID", "pairID", "uid", "id", "idx", "item_id", "sample_id")  # short ids, never item text
_scored_as_wrong: list[str] = []


class NonFiniteScoreError(ValueError):
    """A model produced a NaN or infinite score (one-line message naming the task and item)."""


def allowed() -> bool:
    """Whether non-finite scores are tolerated (scored as wrong and reported) in this process."""
    return os.environ.get(ENV, "").strip().lower() in {"1", "true", "yes"}


def is_finite(values: Iterable[float]) -> bool:
    return all(isinstance(v, (int, float)) and math.isfinite(v) for v in values)


def describe(doc: Any) -> str:
    """A short identification of a document without its text: an id field if it has one, and lm-eval's
    ``doc_hash`` (sha256 of the document as lm-eval logs it, the key of the samples files), first 12 hex digits."""
    if not isinstance(doc, dict):
        return "(unknown item)"
    parts = []
    for key in ID_FIELDS:
        value = doc.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            parts.append(f"{key}={str(value)[:40]!r}")
            break
    try:
        text = json.dumps(doc, indent=2, ensure_ascii=False, default=str)
        parts.append(f"doc_hash={hashlib.sha256(text.encode('utf-8')).hexdigest()[:12]}")
    except (TypeError, ValueError):
        pass
    return " ".join(parts) or "(unknown item)"


def flag(where: str, values: Iterable[float]) -> None:
    """Raise NonFiniteScoreError for non-finite ``values`` of the item ``where``, or (with --allow_nan) record it."""
    shown = ", ".join(f"{v:g}" if isinstance(v, float) else repr(v) for v in values)
    if not allowed():
        raise NonFiniteScoreError(
            f"{where}: non-finite log-likelihood ({shown}); the model produces NaN/inf (check its weights and dtype), "
            "or pass --allow_nan to score such items as wrong and report them"
        )
    log.warning("%s: non-finite log-likelihood (%s) scored as wrong (--allow_nan)", where, shown)
    _scored_as_wrong.append(where)


def scored_as_wrong() -> list[str]:
    """Items scored as wrong because of a non-finite score in this process (with --allow_nan)."""
    return list(_scored_as_wrong)


def reset() -> None:
    _scored_as_wrong.clear()
