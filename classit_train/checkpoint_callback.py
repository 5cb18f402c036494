"""Step checkpoints through public Trainer hooks only (the same code under transformers 4.46 … 5.x).

The Trainer writes ``checkpoint-N`` itself (and rotates old ones under ``save_total_limit``); at ``on_save``, once
every process has written its part, the main process completes the folder (:func:`complete_hf_folder`) and writes
``classit_state.json`` **last**. A ``checkpoint-N`` without its state file is therefore incomplete (a killed save):
:func:`classit_train.checkpoint.latest_checkpoint` never resumes from one, and :func:`drop_incomplete_checkpoints`
deletes them when the stage restarts.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

from transformers import TrainerCallback

from .checkpoint import STATE_FILE, write_state
from .hf_folder import complete_hf_folder

CHECKPOINT_PREFIX = "checkpoint-"  # transformers.trainer_utils.PREFIX_CHECKPOINT_DIR in every supported version


class CheckpointStateCallback(TrainerCallback):
    """Completes each ``checkpoint-N`` the Trainer saved and writes its state file (main process)."""

    def __init__(self, trainer, tokenizer, config=None):
        self.trainer, self.tokenizer, self.config = trainer, tokenizer, config

    def on_save(self, args, state, control, **kwargs):
        trainer = self.trainer
        trainer.accelerator.wait_for_everyone()  # every rank has written its files (RNG states ...)
        folder = Path(args.output_dir) / f"{CHECKPOINT_PREFIX}{state.global_step}"
        if trainer.dynamics is not None:  # the recorder's sums so far (collective: every rank takes part)
            trainer.dynamics.save_partial(folder, args.device, args.should_save)
        if args.should_save and folder.is_dir():
            ts = trainer.train_state
            saved = dataclasses.replace(ts, stage_step=state.global_step, global_step=ts.global_step + state.global_step)
            try:
                complete_hf_folder(folder, self.tokenizer, saved, self.config)
                write_state(folder, saved)  # last: from now on the folder counts as complete
            except BaseException:  # e.g. a full disk: the Trainer's folder is never left half-written
                shutil.rmtree(folder, ignore_errors=True)
                raise
        trainer.accelerator.wait_for_everyone()
        return control


def drop_incomplete_checkpoints(trainer_dir: str | os.PathLike) -> None:
    """Delete ``checkpoint-N`` folders without a state file (left by a run killed while saving)."""
    trainer_dir = Path(trainer_dir)
    if not trainer_dir.is_dir():
        return
    for child in trainer_dir.iterdir():
        if child.is_dir() and child.name.startswith(CHECKPOINT_PREFIX) and not (child / STATE_FILE).is_file():
            shutil.rmtree(child, ignore_errors=True)
