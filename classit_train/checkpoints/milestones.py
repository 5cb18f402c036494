"""Milestone checkpoints: a model folder each time the words seen cross a milestone (the BabyLM schedule).

The BabyLM rules (2025, 2026) ask for checkpoints at 1M, 2M, …, 10M words seen, then every 10M up to 100M, then
every 100M up to 1B, named ``chck_{N}M``. ``classit-train`` writes them into the run folder as
``<output_dir>/chck_{N}M`` (``chck_{N}K`` for milestones that are not whole millions, e.g. in tiny runs): ordinary
Hugging Face model folders (config, weights, tokenizer, generation config) plus ``classit_state.json``.

Config (section ``checkpoints``; all optional)::

    checkpoints: {schedule: babylm}               # the default: 1M..10M, 20M..100M, 200M..1B, capped at the budget
    checkpoints: {schedule: babylm, scale: 0.02}  # the same schedule × 0.02: 20K..200K, 400K..2M, 4M..20M
    checkpoints: {at_words: [5000, 10K, 1M]}      # exactly these (integers, or strings with a K/M/B suffix)
    checkpoints: {schedule: none}                 # no milestones (training.save_steps still applies)

When: a milestone ``m`` is written after the optimizer step at which the cumulative words seen (synced over all
processes, including the ``init_from`` base's count) first reach ``m`` -- i.e. the step with
``words_before < m <= words_after``. The folder holds the weights after that step; its state records the exact
``words_seen`` (``>= m``, by less than one step's words) and ``milestone_words = m``. One step that crosses several
milestones (a step larger than the milestone spacing, only seen in tiny runs) writes ONE folder, named for the
largest of them, and logs a warning naming the others: folders with the same weights at the same words position
would be one point twice in a growth curve.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError

SCHEDULES = ("babylm", "none")
MILESTONE_UNIT = 1_000  # milestones are whole thousands of words (folder names chck_{N}K / chck_{N}M)
_NAME = re.compile(r"^chck_(\d+)([KM])$")
_WORDS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMB])\s*$", re.IGNORECASE)
_SUFFIX = {"K": 1_000, "M": 1_000_000, "B": 1_000_000_000}


@dataclass
class CheckpointsConfig:
    """Milestone checkpoints: a named ``schedule`` (``babylm``, ``none``) times ``scale``, or explicit ``at_words``."""

    schedule: str | None = None
    scale: float | None = None
    at_words: list[Any] | None = None


def babylm_schedule(scale_thousandths: int = 1000, cap: int | None = None) -> list[int]:
    """The BabyLM milestones (1M..10M by 1M, 20M..100M by 10M, 200M..1B by 100M) times ``scale_thousandths / 1000``,
    up to ``cap`` words (inclusive)."""
    millions = list(range(1, 11)) + list(range(20, 101, 10)) + list(range(200, 1001, 100))
    words = [m * scale_thousandths * 1_000 for m in millions]  # m million × (k / 1000), exact in integers
    return [w for w in words if cap is None or w <= cap]


def milestone_name(words: int) -> str:
    """``chck_{N}M`` for whole millions, else ``chck_{N}K`` (the BabyLM names; K for scaled-down runs)."""
    if words % 1_000_000 == 0:
        return f"chck_{words // 1_000_000}M"
    return f"chck_{words // 1_000}K"


def parse_milestone_name(name: str) -> int | None:
    """The words position a milestone folder name stands for (``chck_20K`` -> 20000), or None."""
    match = _NAME.match(name)
    return int(match.group(1)) * _SUFFIX[match.group(2)] if match else None


def _words_value(value: Any, where: str) -> int:
    """A positive whole number of words: an integer (or integral float), or a string such as ``20K``, ``1.5M``."""
    if isinstance(value, bool):
        raise ConfigError(where, f"expected a whole number of words, got {value!r}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        match = _WORDS.match(value)
        if not match:
            raise ConfigError(where, f"expected a whole number of words (e.g. 20000 or '20K', '1M'), got {value!r}")
        number = float(match.group(1)) * _SUFFIX[match.group(2).upper()]
        if not number.is_integer():
            raise ConfigError(where, f"{value!r} is not a whole number of words")
        value = int(number)
    if not isinstance(value, int):
        raise ConfigError(where, f"expected a whole number of words, got {value!r}")
    if value <= 0:
        raise ConfigError(where, f"must be a positive number of words, got {value}")
    if value % MILESTONE_UNIT:
        raise ConfigError(where, f"{value:,} is not a multiple of 1,000 words (milestone folders are named "
                                 f"chck_{{N}}K / chck_{{N}}M)")
    return value


def validate_checkpoints(cc: CheckpointsConfig) -> CheckpointsConfig:
    """Check the ``checkpoints`` section; returns it with ``at_words`` as integers. Raises ConfigError naming the field."""
    if cc.at_words is not None:
        if cc.schedule is not None or cc.scale is not None:
            given = "checkpoints.schedule" if cc.schedule is not None else "checkpoints.scale"
            raise ConfigError(given, "give either checkpoints.at_words or a schedule (with its scale), not both")
        if not cc.at_words:
            raise ConfigError("checkpoints.at_words", "empty list (use checkpoints.schedule: none for no milestones)")
        words = [_words_value(v, f"checkpoints.at_words[{i}]") for i, v in enumerate(cc.at_words)]
        for i in range(1, len(words)):
            if words[i] == words[i - 1]:
                raise ConfigError(f"checkpoints.at_words[{i}]", f"duplicate milestone {words[i]:,}")
            if words[i] < words[i - 1]:
                raise ConfigError(f"checkpoints.at_words[{i}]", f"{words[i]:,} comes after {words[i - 1]:,}: "
                                                                "list the milestones in increasing order")
        return dataclasses.replace(cc, at_words=words)
    if cc.schedule is not None and cc.schedule not in SCHEDULES:
        raise ConfigError("checkpoints.schedule", f"unknown schedule {cc.schedule!r} (choose from "
                                                  f"{', '.join(SCHEDULES)}, or give checkpoints.at_words)")
    if cc.scale is not None:
        if cc.schedule == "none":
            raise ConfigError("checkpoints.scale", "a scale needs a schedule (checkpoints.schedule: babylm)")
        if not cc.scale > 0 or not math.isfinite(cc.scale):
            raise ConfigError("checkpoints.scale", f"must be a positive number, got {cc.scale}")
        _scale_thousandths(cc.scale)
    return cc


def _scale_thousandths(scale: float) -> int:
    """``scale`` as a whole number of thousandths (so that every scaled milestone is a whole 1,000 words)."""
    k = round(scale * 1000)
    if k < 1 or abs(scale * 1000 - k) > 1e-6 * max(1, k):
        raise ConfigError("checkpoints.scale", f"must be a multiple of 0.001 (the first milestone, 1M × scale, must be "
                                               f"a whole 1,000 words), got {scale}")
    return k


def milestones(cc: CheckpointsConfig, budget_max_words: int | None) -> list[int]:
    """The milestone word counts of a run (cumulative words seen, increasing). A named schedule is capped at the
    budget; an explicit ``at_words`` list is used as given."""
    if cc.at_words is not None:
        return [int(w) for w in cc.at_words]
    if cc.schedule == "none":
        return []
    return babylm_schedule(_scale_thousandths(cc.scale) if cc.scale is not None else 1000, cap=budget_max_words)


def run_lineage(config) -> dict:
    """The state keys that place a run in its lineage: ``branch`` (the run folder's name), ``parent`` (the resolved
    ``init_from`` checkpoint, or None) and ``words_offset`` (words the parent had seen, from its state, else 0)."""
    from ..files import expand_vars
    from .state import read_state

    out = Path(expand_vars(config.output_dir, "output_dir"))
    parent, offset = None, 0
    if config.model.init_from:
        path = Path(expand_vars(config.model.init_from, "model.init_from")).resolve()
        parent = str(path)
        base = read_state(path)
        offset = base.words_seen if base is not None else 0
    return {"branch": out.resolve().name, "parent": parent, "words_offset": offset}
