"""Where a checkpoint sits in training (words / tokens / steps seen) and how fast each ability grows.

Position comes from classit_train's state file ``classit_state.json`` in the checkpoint folder (keys
``words_seen``, ``tokens_seen``, ``global_step``, ``stage``), else from a Hugging Face ``trainer_state.json``
(``global_step``, ``num_input_tokens_seen``), else from the checkpoint's name (``checkpoint-500`` = 500 steps;
BabyLM's ``chck_10M`` = 10M words), else from the command line.

Growth pace, in the spirit of Song et al. 2023, "Dynamics of Instruction Tuning: Each Ability of Large Language
Models Has Its Own Growth Pace": per ability (BLiMP field / phenomenon, EWoK domain, entity-tracking operation
count, GLUE task) along one series of checkpoints:
  - slope: OLS slope of the score (display points) against log10(x), i.e. points gained per 10x more data
    (against the checkpoint index when no x is known);
  - first above chance: the first checkpoint whose 95% CI lower bound is above the chance level;
  - plateau: the first checkpoint from which every later score stays within the final checkpoint's CI half-width
    (at least 1 point) of the final score; none while the last checkpoint is still gaining.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from classit_tasks.artifacts.checkpoints import (
    STATE_FILE, TRAINER_STATE, position_in_name, read_state, read_trainer_state,
)



@dataclass
class Position:
    words: float | None = None
    tokens: float | None = None
    steps: float | None = None
    stage: str | None = None
    source: str = "unknown"

    def get(self, axis: str) -> float | None:
        return getattr(self, axis)


def position_from_name(name: str) -> Position:
    """Checkpoint folder names: ``checkpoint-500`` (steps), ``chck_10M`` / ``10M_words`` (words)."""
    found = position_in_name(name)
    if found is None:
        return Position()
    axis, value = found
    return Position(**{axis: value}, source="name")


def position_for(model_path: str | None, results_folder: Path | None = None) -> Position:
    """Position of a checkpoint, from its state file when it can be read, else from its folder name."""
    if not model_path:
        return Position()
    folder = Path(model_path)
    state = read_state(folder) if folder.is_dir() else None
    if state is not None:
        return Position(
            words=state.get("words_seen"), tokens=state.get("tokens_seen"), steps=state.get("global_step"),
            stage=state.get("stage"), source=str(folder / STATE_FILE),
        )
    trainer = read_trainer_state(folder) if folder.is_dir() else None
    if trainer is not None:
        tokens = trainer.get("num_input_tokens_seen") or None
        return Position(tokens=tokens, steps=trainer.get("global_step"), source=str(folder / TRAINER_STATE))
    return position_from_name(folder.name)


def pick_axis(positions: list[Position], wanted: str | None = None) -> str | None:
    """The x axis for growth curves: the requested one, else words, tokens, steps (the first all runs have)."""
    for axis in ([wanted] if wanted else ["words", "tokens", "steps"]):
        if all(p.get(axis) is not None for p in positions):
            return axis
    return None


# --------------------------------------------------------------------------------------------------- pace
@dataclass
class Pace:
    ability: str
    slope: float  # display points per decade of x (or per checkpoint when x is unknown)
    first_above_chance: int | None  # index into the series
    plateau: int | None  # index into the series
    gain: float  # last - first score, display points


def pace(
    ability: str,
    x: list[float] | None,
    scores: list[float],
    ci_low: list[float],
    ci_high: list[float],
    chance: float | None,
) -> Pace:
    """Growth pace of one ability along a series of checkpoints (scores and CIs in display points)."""
    k = len(scores)
    if x is not None and all(v is not None and v > 0 for v in x) and len(set(x)) > 1:
        xs = np.log10(np.asarray(x, dtype=float))
    else:
        xs = np.arange(k, dtype=float)
    ys = np.asarray(scores, dtype=float)
    ok = np.isfinite(ys)
    slope = float(np.polyfit(xs[ok], ys[ok], 1)[0]) if ok.sum() >= 2 and np.ptp(xs[ok]) > 0 else float("nan")
    first = None
    if chance is not None:
        first = next((i for i, low in enumerate(ci_low) if np.isfinite(low) and low > chance), None)
    plateau = None
    if k >= 2 and np.isfinite(ys[-1]):
        half = (ci_high[-1] - ci_low[-1]) / 2 if np.isfinite(ci_high[-1] - ci_low[-1]) else 0.0
        band = max(1.0, half)
        within = np.abs(ys - ys[-1]) <= band
        start = k - 1
        while start > 0 and within[start - 1]:
            start -= 1
        plateau = start if start < k - 1 else None
    gain = float(ys[-1] - ys[0]) if k else float("nan")
    return Pace(ability, slope, first, plateau, gain if math.isfinite(gain) else float("nan"))
