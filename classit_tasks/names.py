"""Validate user-given names (metrics, models, model arguments, config keys) against the ones that exist.

Every refusal names the closest valid names (``difflib``), so a typo such as ``acc_tie_half`` is answered with
``did you mean 'acc_ties_half'?`` instead of being silently replaced by a default.
"""

from __future__ import annotations

import difflib
from typing import Iterable


def closest(name: str, valid: Iterable[str], n: int = 3) -> list[str]:
    """Up to ``n`` valid names closest to ``name`` (difflib ratio >= 0.6), best first."""
    return difflib.get_close_matches(str(name), sorted(set(map(str, valid))), n=n, cutoff=0.6)


def unknown_name(kind: str, name: str, valid: Iterable[str], listed: int = 12) -> str:
    """One-line message for an unknown name: the closest valid names, else (some of) the valid ones."""
    valid = sorted(set(map(str, valid)))
    near = closest(name, valid)
    if near:
        hint = "did you mean " + " or ".join(repr(v) for v in near) + "?"
    else:
        shown = ", ".join(valid[:listed]) + (f", … ({len(valid)} in all)" if len(valid) > listed else "")
        hint = f"valid: {shown}" if valid else "none are available"
    return f"unknown {kind} {name!r}; {hint}"
