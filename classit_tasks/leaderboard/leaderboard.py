"""The BabyLM 2025 leaderboard aggregates of a results dict: NLP, human-likeness and macro scores.

Convention (2025 READMEs of babylm/evaluation-pipeline-2025, "Findings of the Third BabyLM Challenge", Charpentier
et al., 2025): each task's score is the unweighted mean of its subtasks, ×100 (accuracy points; WUG as Spearman
ρ×100; reading as ΔR²×100). The NLP score averages BLiMP, BLiMP supplement, EWoK, entity tracking, COMPS and GLUE;
the human-likeness score averages reading, WUG adjective nominalization, WUG past tense and AoA; the macro score is
the mean of the two. **A task that was not evaluated counts as 0 on the leaderboard**: the aggregates here do the
same, and also show the mean over the evaluated tasks alone for information.

Two points the public code does not settle, and what classit does: the leaderboard's server-side formula is not
published (the grouping above is the Findings paper's); reading enters as one task whose score is the mean of its
eye-tracking and self-paced-reading ΔR²×100 (the two scores the 2025 pipeline reports). AoA is a fit over a
checkpoint series, not a per-checkpoint score: it is taken from ``extra_scores["aoa"]`` when a caller has it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from classit_tasks.tasks import families as F
from classit_tasks.tasks.family import LeaderboardTask


GROUPS = {"nlp": "NLP", "human": "Human-likeness"}
NOT_EVALUATED_NOTE = "not evaluated tasks count as 0 on the leaderboard"


@dataclass
class Entry:
    key: str
    label: str
    group: str
    score: float | None  # ×100; None = not evaluated
    source: str = ""  # the result name the score comes from
    note: str = ""  # "fast set", or why the task was not evaluated

    @property
    def evaluated(self) -> bool:
        return self.score is not None


@dataclass
class Leaderboard:
    entries: list[Entry]
    aggregates: dict[str, float] = field(default_factory=dict)  # nlp / human / macro, missing tasks as 0
    evaluated_means: dict[str, float | None] = field(default_factory=dict)  # over evaluated tasks only

    @property
    def fast_sets(self) -> bool:
        return any(e.note == "fast set" for e in self.entries)

    @property
    def any_evaluated(self) -> bool:
        return any(e.evaluated for e in self.entries)


def _leaves(results: dict, name: str) -> list[str]:
    children = (results.get("group_subtasks") or {}).get(name)
    if not children:
        return [name]
    return [leaf for child in children for leaf in _leaves(results, child)]


def not_evaluated_status(results: dict, name: str) -> str:
    """The "not evaluated: …" status of a task or of all the leaves of a group, else ""."""
    reasons = []
    for leaf in _leaves(results, name):
        status = (results.get("results") or {}).get(leaf, {}).get("status,none")
        if isinstance(status, str) and status.startswith("not evaluated"):
            reasons.append(status.removeprefix("not evaluated: ").removeprefix("not evaluated"))
        else:
            return ""
    return "not evaluated: " + "; ".join(dict.fromkeys(r for r in reasons if r)) if reasons else ""


def _score(results: dict, name: str, task: LeaderboardTask) -> tuple[float | None, str | None]:
    """(score ×100, a note replacing the default one) of one result name: the task family's rule (reading: the mean
    of its two ΔR² scores; GLUE: all seven tasks, one that did not run counting 0)."""
    entry = (results.get("results") or {}).get(name)
    if not isinstance(entry, dict):
        return None, None
    return task.score(entry)


def leaderboard(results: dict, extra_scores: dict[str, float] | None = None) -> Leaderboard:
    """Per-task leaderboard scores (×100) and the 2025 aggregates of an lm-eval results dict (possibly merged from
    several runs: zero-shot and fine-tuning). ``extra_scores`` supplies scores computed elsewhere, by task key."""
    extra_scores = extra_scores or {}
    entries = []
    # key -> label, group, result names in order of preference (full set first), metric, rule: the family modules
    for key, task in F.leaderboard_tasks().items():
        entry = Entry(key, task.label, task.group, None)
        if key in extra_scores and extra_scores[key] is not None and math.isfinite(extra_scores[key]):
            entry.score, entry.source = float(extra_scores[key]), "given"
        for i, name in enumerate(task.names):
            if entry.evaluated:
                break
            if name not in (results.get("results") or {}):
                continue
            status = not_evaluated_status(results, name)
            score, note = (None, None) if status else _score(results, name, task)
            if score is not None:
                entry.score, entry.source, entry.note = score, name, "fast set" if i > 0 else ""
                if note is not None:
                    entry.note = note
            elif not entry.note:
                entry.note = status or f"not evaluated: {name} has no {task.metric} score"
        if not entry.evaluated and not entry.note:
            entry.note = f"not evaluated: {task.absent}"
        entries.append(entry)
    board = Leaderboard(entries)
    for group in GROUPS:
        members = [e for e in entries if e.group == group]
        board.aggregates[group] = sum(e.score or 0.0 for e in members) / len(members)
        evaluated = [e.score for e in members if e.evaluated]
        board.evaluated_means[group] = sum(evaluated) / len(evaluated) if evaluated else None
    board.aggregates["macro"] = (board.aggregates["nlp"] + board.aggregates["human"]) / 2
    means = [board.evaluated_means[g] for g in GROUPS]
    board.evaluated_means["macro"] = sum(means) / 2 if all(m is not None for m in means) else None
    return board


def table_rows(board: Leaderboard) -> list[list[str]]:
    """Header + one row per task and per aggregate: name, group, score ×100, note."""
    rows = [["Leaderboard task", "Group", "Score (×100)", "Note"]]
    for e in board.entries:
        rows.append([e.label, GROUPS[e.group], f"{e.score:.2f}" if e.evaluated else "0 (not evaluated)",
                     e.note.removeprefix("not evaluated: ") if e.note else ""])
    for group, label in (*GROUPS.items(), ("macro", "Macro")):
        members = [e for e in board.entries if group == "macro" or e.group == group]
        missing = sum(not e.evaluated for e in members)
        mean = board.evaluated_means[group]
        note = (f"{missing} of {len(members)} not evaluated, counted as 0; mean over evaluated: "
                f"{'n/a' if mean is None else f'{mean:.2f}'}") if missing else ""
        rows.append([f"{label} score", "mean of NLP and human-likeness" if group == "macro" else "aggregate",
                     f"{board.aggregates[group]:.2f}", note])
    return rows


def format_markdown(board: Leaderboard) -> str:
    rows = table_rows(board)
    lines = ["| " + " | ".join(rows[0]) + " |", "|---|---|---:|---|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    title = "BabyLM 2025 leaderboard aggregates (NLP, human-likeness, macro; " + NOT_EVALUATED_NOTE + ")"
    if board.fast_sets:
        title += "; fast-set scores are not leaderboard-comparable"
    return "\n".join(["", title, *lines])


def as_json(board: Leaderboard) -> dict:
    return {
        "tasks": [{"key": e.key, "label": e.label, "group": e.group, "score": e.score, "source": e.source,
                   "note": e.note} for e in board.entries],
        "aggregates": board.aggregates,
        "evaluated_means": board.evaluated_means,
        "rule": NOT_EVALUATED_NOTE,
    }
