"""The record a task family module fills in with its facts (``FAMILY``), read by ``classit_tasks.tasks.families``.

Each family module (``blimp.py``, ``supplement.py``, ``ewok.py``, ``entity_tracking.py``, ``comps.py``, ``wug.py``,
``aoa.py``, ``reading.py``, ``glue.py``) is the one home of its facts: data folders, file stems and official item
counts, leaf task and group names, chance level, the metrics it reports and its leaderboard entries. The task YAML
generator (``python -m classit_tasks.tasks.yamls``), the loaders, the data check and the reports read them from
there. This module imports nothing else of classit, so every family module can import it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

# leaderboard key -> (label, leaderboard group "nlp"/"human", result names in order of preference (full set first),
# metric); see classit_tasks.leaderboard.leaderboard
LeaderboardEntry = tuple[str, str, tuple[str, ...], str]


@dataclass(frozen=True)
class Family:
    name: str  # "blimp", "supplement", ...
    leaves: tuple[str, ...]  # every leaf task name the family's YAMLs define
    metrics: tuple[str, ...]  # metrics its leaf tasks report, headline first
    chance: float | None  # accuracy of a uniform guesser; None where it is not a fixed number (GLUE: majority)
    expected_counts: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # data folder -> {stem: items}
    ability: str = ""  # title of its rows in the report's ability breakdown
    leaderboard: Mapping[str, LeaderboardEntry] = field(default_factory=dict)
    percent_metrics: tuple[str, ...] = ()  # metrics the tasks already report x100 (reading's ΔR²)
