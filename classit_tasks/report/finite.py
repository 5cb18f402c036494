"""Comparison rows for tasks with NaN/inf item scores (``compare --allow_nan``): shown, and never passing the gate."""

from __future__ import annotations

from classit_tasks.report.load import Run

NAN = float("nan")
NONFINITE_TEST = "non-finite scores"  # the test name of such rows; the gate fails them


def nonfinite_row(name: str, metric: str, leaves: list[str], depth: int, base: Run, cand: Run):
    """A row without values for a task / group one of whose leaves has non-finite item scores in either run."""
    from classit_tasks.report.compare import Comparison

    counts = {side: sum(len(run.items[t].nonfinite) for t in leaves) for side, run in (("baseline", base),
                                                                                      ("candidate", cand))}
    return Comparison(
        task=name, metric=metric, subtasks=len(leaves), n=sum(base.items[t].n for t in leaves),
        baseline=NAN, candidate=NAN, diff=NAN, ci_low=NAN, ci_high=NAN, p_value=NAN,
        test=NONFINITE_TEST, depth=depth,
        details={f"{side}_nonfinite_items": n for side, n in counts.items()},
    )
