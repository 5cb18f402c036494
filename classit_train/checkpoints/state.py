"""Checkpoint folders and their state files.

Every checkpoint -- the Trainer's every-N-steps ``checkpoint-N`` folders and the end-of-stage model folders -- is a
normal Hugging Face model folder (config, weights, tokenizer) plus ``classit_state.json``:

    {"stage": "merged", "stage_index": 1, "num_stages": 2, "stage_step": 120, "global_step": 420,
     "tokens_seen": 123456, "words_seen": 98765, "stage_complete": false, "budget_max_words": null,
     "branch": "tiny-merged", "parent": "/abs/runs/tiny-pretrain/01-pretrain", "words_offset": 50000,
     "milestone_words": null, ...}

Milestone folders ``chck_{N}M`` / ``chck_{N}K`` (:mod:`classit_train.checkpoints.milestones`) are of the same kind.

End-of-stage and milestone folders are written under a temporary name and renamed into place only when complete
(a crash leaves at most a hidden ``.tmp-*`` folder, cleaned up on restart). ``checkpoint-N`` folders are written
by the Trainer in place; their state file is written last
(:class:`classit_train.training.callbacks.CheckpointStateCallback`), and one without it is incomplete:
:func:`latest_checkpoint` never resumes from one, and :func:`drop_incomplete_checkpoints` deletes them when the
stage restarts.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from ..files import write_json_atomic

STATE_FILE = "classit_state.json"
CHECKPOINT_PREFIX = "checkpoint-"  # transformers.trainer_utils.PREFIX_CHECKPOINT_DIR in every supported version
_CHECKPOINT = re.compile(rf"^{CHECKPOINT_PREFIX}(\d+)$")


@dataclass
class TrainState:
    stage: str
    stage_index: int
    num_stages: int
    stage_step: int = 0
    global_step: int = 0
    tokens_seen: int = 0
    words_seen: int = 0
    stage_complete: bool = False
    budget_max_words: int | None = None
    budget_exhausted: bool = False
    branch: str = ""                    # the run's name (its output folder's name)
    parent: str | None = None           # the init_from checkpoint (resolved path), None from scratch
    words_offset: int = 0               # words the parent had seen (words_seen counts on from there)
    milestone_words: int | None = None  # the milestone a chck_* folder was written for (None elsewhere)

    def to_json(self) -> dict:
        return asdict(self)


def write_state(folder: str | os.PathLike, state: TrainState) -> None:
    write_json_atomic(Path(folder) / STATE_FILE, state.to_json())


def read_state(folder: str | os.PathLike) -> TrainState | None:
    path = Path(folder) / STATE_FILE
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return TrainState(**{k: data[k] for k in TrainState.__dataclass_fields__ if k in data})


def is_complete(folder: str | os.PathLike) -> bool:
    """A checkpoint folder counts only if it has its state file (written last) and weights."""
    folder = Path(folder)
    has_weights = any(folder.glob("*.safetensors")) or any(folder.glob("pytorch_model*.bin"))
    return folder.is_dir() and (folder / STATE_FILE).is_file() and has_weights


def latest_checkpoint(trainer_dir: str | os.PathLike) -> Path | None:
    """The complete ``checkpoint-N`` folder with the largest N, if any."""
    trainer_dir = Path(trainer_dir)
    if not trainer_dir.is_dir():
        return None
    found = []
    for child in trainer_dir.iterdir():
        match = _CHECKPOINT.match(child.name)
        if match and is_complete(child):
            found.append((int(match.group(1)), child))
    return max(found)[1] if found else None


def clean_partial(folder: str | os.PathLike) -> None:
    """Remove temporary folders a killed run left behind in ``folder``: only those classit-train recorded as its
    own (``ownership`` manifest), never an entry of the user's that merely looks temporary."""
    from .ownership import clean_owned

    if Path(folder).is_dir():
        clean_owned(folder)


def drop_incomplete_checkpoints(trainer_dir: str | os.PathLike) -> None:
    """Delete ``checkpoint-N`` folders without a state file (left by a run killed while saving)."""
    trainer_dir = Path(trainer_dir)
    if not trainer_dir.is_dir():
        return
    for child in trainer_dir.iterdir():
        if child.is_dir() and child.name.startswith(CHECKPOINT_PREFIX) and not (child / STATE_FILE).is_file():
            shutil.rmtree(child, ignore_errors=True)
