"""Which (Super)GLUE tasks a GLUE average covers, and the leaderboard average beside it.

The BabyLM leaderboard averages all seven task scores and counts a task that was not run as 0; classit's
``classit_glue`` score is the mean over the tasks that could run. Both are reported, with the list of tasks.
"""

from __future__ import annotations

from classit_tasks.finetune.tasks import GROUP, TASKS


def coverage(scores: dict[str, float]) -> dict:
    """``scores``: task name (``classit_glue_<task>``) -> score (fraction) of the tasks that ran."""
    names = [f"{GROUP}_{t}" for t in TASKS]
    evaluated = [n for n in names if n in scores]
    missing = [n for n in names if n not in scores]
    return {
        "evaluated": evaluated,
        "missing": missing,
        "partial": bool(missing),
        "mean_evaluated": sum(scores[n] for n in evaluated) / len(evaluated) if evaluated else None,
        "leaderboard_mean": sum(scores.get(n, 0.0) for n in names) / len(names),  # missing = 0
    }


def coverage_note(results: dict) -> str | None:
    """A line under a summary table when a results dict holds a ``classit_glue`` score (None otherwise)."""
    entry = results.get("results", {}).get(GROUP)
    if not entry or not isinstance(entry.get("score,none"), (int, float)):
        return None
    scores = {name: r["score,none"] for name, r in results["results"].items()
              if name.startswith(f"{GROUP}_") and isinstance(r.get("score,none"), (int, float))}
    if not scores:  # a merged or hand-made results dict without the per-task entries: nothing to say
        return None
    info = coverage(scores)
    short = lambda names: ", ".join(n.removeprefix(f"{GROUP}_") for n in names)  # noqa: E731
    if not info["partial"]:
        return f"{GROUP}: mean of all {len(TASKS)} tasks ({short(info['evaluated'])})"
    return (f"{GROUP}: PARTIAL, mean of {len(info['evaluated'])} of {len(TASKS)} tasks "
            f"({short(info['evaluated'])}) = {100 * info['mean_evaluated']:.2f}; missing {short(info['missing'])}; "
            f"leaderboard average (missing = 0) = {100 * info['leaderboard_mean']:.2f}")
