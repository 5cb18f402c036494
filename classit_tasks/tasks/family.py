"""The record a task family module fills in with its facts and behaviour (``FAMILY``), read by
``classit_tasks.tasks.families``.

Each family module (``blimp.py``, ``supplement.py``, ``ewok.py``, ``entity_tracking.py``, ``comps.py``, ``wug.py``,
``aoa.py``, ``reading.py``, ``glue.py``) is the one home of its facts: data folders, file stems and official item
counts, leaf task and group names, chance level, the metrics it reports and how they are shown, the rows of the
report's ability breakdown its leaf tasks count in, and its leaderboard entries with the rule that reads their scores.
The task YAML generator (``python -m classit_tasks.tasks.yamls``), the loaders, the data check, the reports and the
leaderboard read them from there, so no module outside ``classit_tasks/tasks/`` decides anything by a family's name.
This module imports nothing else of classit, so every family module can import it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Callable, Mapping

OTHER = "Other"  # ability title of a leaf task whose family names none (and of a task no family claims)


def result_number(entry: Mapping, metric: str) -> float | None:
    """The finite number an lm-eval results entry reports for ``metric`` (key ``"<metric>,none"``), else None."""
    value = entry.get(f"{metric},none")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def ability_label(value: str) -> str:
    """A field / term value as a row label of the ability breakdown ("syntax/semantics" -> "syntax_semantics")."""
    return re.sub(r"[/\-\s]+", "_", value)


# (leaf task, its first document's metadata, its alias) -> [(ability title, row label)]
AbilityRule = Callable[[str, Mapping, str], list[tuple[str, str]]]
# a results entry -> (score ×100 or None, a note that replaces the default one, or None)
ScoreRule = Callable[[Mapping], tuple[float | None, str | None]]
# How the submission file writes an item's prediction (collate_preds.py of the 2025 pipeline): the chosen option's
# completion; the whole chosen sentence (COMPS); the completion and softmax(option scores)[0] (WUG); the word's
# surprisal and the previous word's (reading).
PREDICTION_FORMS = ("continuation", "sentence", "continuation_prob", "surprisal")


@dataclass(frozen=True)
class LeaderboardTask:
    """One task of the BabyLM 2025 leaderboard (classit_tasks.leaderboard.leaderboard) and how its score is read."""

    label: str
    group: str  # leaderboard group: "nlp" / "human"
    names: tuple[str, ...]  # result names in order of preference (full set first); () = never a result of one run
    metric: str  # the metric whose value ×100 is the score (or the name the task's own ``rule`` goes by)
    rule: ScoreRule | None = None  # the task's own reading of a results entry (mean of two scores, a fallback field)
    absent: str = "not in these results"  # why it is "not evaluated" when no result name is present
    # the submission's fast_eval_results fields of one checkpoint: key -> (metric, divisor); None = one field per
    # subtask, the value of ``metric`` as reported
    fast_fields: Mapping[str, tuple[str, float]] | None = None
    prediction: str = "continuation"  # how the submission writes an item's prediction: one of PREDICTION_FORMS

    def __post_init__(self) -> None:
        if self.prediction not in PREDICTION_FORMS:
            raise ValueError(f"LeaderboardTask {self.label}: prediction {self.prediction!r} is not one of "
                             f"{', '.join(PREDICTION_FORMS)}")

    def score(self, entry: Mapping) -> tuple[float | None, str | None]:
        """(score ×100 or None, a note that replaces the default one or None) of a results entry of ``names``."""
        if self.rule is not None:
            return self.rule(entry)
        value = result_number(entry, self.metric)
        return (None if value is None else 100.0 * value), None


@dataclass(frozen=True)
class Family:
    name: str  # "blimp", "supplement", ...
    leaves: tuple[str, ...]  # every leaf task name the family's YAMLs define
    metrics: tuple[str, ...]  # metrics its leaf tasks report, headline first
    chance: float | None  # accuracy of a uniform guesser; None where it is not a fixed number (GLUE: majority)
    expected_counts: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # data folder -> {stem: items}
    ability: str = ""  # title of its rows in the report's ability breakdown ("" = listed under OTHER)
    ability_rule: AbilityRule | None = None  # its own rows (BLiMP: field and phenomenon); default: (ability, alias)
    margin_abilities: tuple[str, ...] = ()  # ability titles whose growth report adds margin curves (choice tasks)
    leaderboard: Mapping[str, LeaderboardTask] = field(default_factory=dict)
    percent_metrics: tuple[str, ...] = ()  # metrics the tasks already report x100 (reading's ΔR²): shown as reported
    percent_prefixes: tuple[str, ...] = ()  # ... and every metric whose name starts with one of these (breakdowns)
    raw_metrics: tuple[str, ...] = ()  # values that are not scores (counts, nats, flags): shown as reported, no chance
    companions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # headline -> metrics shown beside it
    majority_chance: bool = False  # accuracy chance is the majority-class share of the evaluated items (GLUE)
    short_prefixes: tuple[str, ...] = ()  # group-name prefixes a figure drops from its leaf and subgroup names

    def abilities(self, task: str, meta: Mapping, alias: str) -> list[tuple[str, str]]:
        """(ability title, row label) of each row of the report's ability breakdown a leaf task counts in."""
        if self.ability_rule is not None:
            return self.ability_rule(task, meta, alias)
        return [(self.ability or OTHER, alias)]
