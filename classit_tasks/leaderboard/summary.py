"""Leaderboard-style summary of an lm-eval results dict (BabyLM 2025 convention).

Each task's score is the unweighted mean of its subtasks (what the classit groups compute), shown ×100 like
the leaderboard; WUG enters as Spearman ρ×100 and reading as ΔR²×100. Ties are summed over the leaf tasks.
"""

from __future__ import annotations

import math

from classit_tasks.leaderboard import leaderboard
from classit_tasks.tasks import families as F


def headline(entry: dict) -> tuple[str, float] | None:
    """The summary's headline (metric, value) of a results entry: the first of the leaderboard's metrics it reports
    (classit_tasks.tasks.families.SUMMARY_METRICS; "score" is the fine-tuning score, classit_glue their mean)."""
    for metric in F.SUMMARY_METRICS:
        value = entry.get(f"{metric},none")
        if isinstance(value, (int, float)):
            return metric, float(value)
    return None


def _leaves(results: dict, name: str) -> list[str]:
    children = results.get("group_subtasks", {}).get(name)
    if children is None:
        return [name]
    return [leaf for child in children for leaf in _leaves(results, child)]


def summary_rows(results: dict) -> list[tuple[str, int, str, float, int | None]]:
    """(task, n, metric, score×100, ties) for each member of the requested top-level groups; a task that could
    not be evaluated (e.g. WUG past tense without its data file) gets its status as the metric and NaN."""
    subtasks = results.get("group_subtasks", {})
    nested = {child for children in subtasks.values() for child in children}
    roots = [name for name in subtasks if name not in nested]
    roots += [name for name in results.get("results", {}) if name not in nested and name not in subtasks]
    rows = []
    for root in roots:
        entry = results["results"].get(root, {})
        expand = root.startswith(F.SUITES) or (not headline(entry) and "status,none" not in entry)
        members = subtasks[root] if subtasks.get(root) and expand else [root]
        for name in members:
            entry = results["results"].get(name, {})
            status = entry.get("status,none") or leaderboard.not_evaluated_status(results, name)
            if isinstance(status, str) and status.startswith("not evaluated"):
                rows.append((name, 0, status, math.nan, None))
                continue
            found = headline(entry)
            if not found:
                continue
            leaves = _leaves(results, name)
            n = sum(results.get("n-samples", {}).get(leaf, {}).get("effective", 0) for leaf in leaves)
            ties = [results["results"].get(leaf, {}).get("ties,none") for leaf in leaves]
            tie_total = int(sum(t for t in ties if isinstance(t, (int, float)))) if any(
                isinstance(t, (int, float)) for t in ties
            ) else None
            # ×100, except metrics the tasks already report ×100 (the reading ΔR², as the 2025 report prints them)
            rows.append((name, n, found[0], F.display_scale(found[0]) * found[1], tie_total))
    return rows


def format_summary(results: dict) -> str:
    rows = summary_rows(results)
    if not rows:
        return ""
    board = leaderboard.leaderboard(results)
    lines = ["| Task | n | Metric | Score (×100) | Ties |", "|---|---:|---|---:|---:|"]
    for name, n, metric, score, ties in rows:
        if math.isnan(score) and metric.startswith("not evaluated"):
            metric, shown = "—", metric
        else:
            shown = "n/a" if math.isnan(score) else f"{score:.2f}"
        lines.append(f"| {name} | {n} | {metric} | {shown} | {'' if ties is None else ties} |")
    from classit_tasks.tasks.glue import coverage_note

    notes = [note for note in [coverage_note(results)] if note]
    table = "\n".join(["", "Leaderboard summary (BabyLM 2025 convention: each task = mean of its subtasks)", *lines,
                       *notes])
    return table + ("\n" + leaderboard.format_markdown(board) if board.any_evaluated else "")


def print_summary(results: dict) -> None:
    text = format_summary(results)
    if text:
        print(text)
