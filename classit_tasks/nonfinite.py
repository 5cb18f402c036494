"""Non-finite scores (NaN, ±inf) are never counted correct and never pass a comparison.

A model whose weights or activations overflow returns NaN log-likelihoods. Python's ``max`` and ``==`` make such an
item look correct (every comparison with NaN is false, so option 0 "wins"); a NaN accuracy makes a bootstrap CI or a
regression gate meaningless. So a non-finite log-likelihood stops the evaluation with one line naming the task and
the item, unless the user allows it: then the item is scored as wrong (0) and reported, one warning per item and a
count at the end.

How the switch travels, with no state shared between the model, the metrics and the command line:

- ``classit-eval run --allow_nan`` passes ``allow_nan=true`` to classit-hf (a model argument). classit-hf then lets
  a non-finite log-likelihood through as an :class:`AllowedNonFinite` (a float subclass: the value itself says that
  the run allowed it, through unpacking, lm-eval's filters and its ``--use_cache`` database); without it classit-hf
  stops at the first one (:func:`refuse`), before any metric runs.
- The metrics (``process_results``) call :func:`flag`: a value marked by the model, or any non-finite value when
  the user set ``CLASSIT_ALLOW_NAN=1`` (the switch for plain ``lm_eval`` runs and other models; classit's own
  code never sets it), is scored as wrong with a warning; anything else raises ``NonFiniteScoreError``.
- ``classit-eval run`` counts the items from the run's samples (:func:`items_in_samples`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
from typing import Any, Iterable

from classit_tasks.errors import ClassitError

log = logging.getLogger("classit_tasks")
ENV = "CLASSIT_ALLOW_NAN"
ID_FIELDS = ("UID", "pairID", "uid", "id", "idx", "item_id", "sample_id")  # short ids, never item text


class AllowedNonFinite(float):
    """A non-finite log-likelihood that the model was told to let through (classit-hf ``allow_nan=true``); it
    prints, compares and serialises as the plain float."""

    __slots__ = ()

    def __reduce__(self):  # pickles as itself (lm-eval's --use_cache sqlite database, data-parallel gathers)
        return (AllowedNonFinite, (float(self),))


class NonFiniteScoreError(ClassitError, ValueError):
    """A model produced a NaN or infinite score (one-line message naming the task and item)."""


def allowed() -> bool:
    """Whether the user set ``CLASSIT_ALLOW_NAN`` (non-finite scores of any model are scored as wrong)."""
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


def refuse(where: str, values: Iterable[float]) -> None:
    """Raise NonFiniteScoreError for the non-finite ``values`` of the item ``where``."""
    shown = ", ".join(f"{v:g}" if isinstance(v, float) else repr(v) for v in values)
    raise NonFiniteScoreError(
        f"{where}: non-finite log-likelihood ({shown}); the model produces NaN/inf (check its weights and dtype), "
        "or pass --allow_nan to score such items as wrong and report them"
    )


def flag(where: str, values: Iterable[float]) -> None:
    """For an item ``where`` whose ``values`` are not all finite: log it as scored wrong if every non-finite value
    was let through by the model (:class:`AllowedNonFinite`) or ``CLASSIT_ALLOW_NAN`` is set, else raise."""
    values = list(values)
    marked = all(isinstance(v, AllowedNonFinite) for v in values if not is_finite([v]))
    if not (marked or allowed()):
        refuse(where, values)
    shown = ", ".join(f"{v:g}" if isinstance(v, float) else repr(v) for v in values)
    log.warning("%s: non-finite log-likelihood (%s) scored as wrong (--allow_nan)", where, shown)


def items_in_samples(samples: dict) -> list[str]:
    """The items of lm-eval's logged samples (task -> sample dicts) with a non-finite score in their responses,
    as ``"<task> item <describe(doc)>"``."""
    found = []
    for task, rows in samples.items():
        for row in rows:
            if not is_finite(_numbers(row.get("filtered_resps"))):
                found.append(f"{task} item {describe(row.get('doc'))}")
    return found


def _numbers(value) -> list[float]:
    """The floats in a nested structure of lists/tuples (booleans and strings are skipped)."""
    if isinstance(value, float):
        return [value]
    if isinstance(value, (list, tuple)):
        return [x for item in value for x in _numbers(item)]
    return []
