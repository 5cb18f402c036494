"""Every ``TrainerCallback`` of classit-train, through public Trainer hooks only (the same code under transformers
4.56 … 5.x). Each is given what it works with in its constructor; none attaches anything to the Trainer.

* :class:`AccountingCallback`: syncs words/tokens seen after every optimizer step and enforces the words budget;
* :class:`CheckpointStateCallback`: completes every ``checkpoint-N`` the Trainer saved and writes its state file;
* :class:`MilestoneCallback`: writes ``chck_{N}`` folders when the words seen cross a milestone
  (:mod:`classit_train.checkpoints.milestones` holds the schedule and the rules);
* :class:`DynamicsCallback`: tells the training-dynamics recorder which epoch the next micro-batches belong to.

The trainer they act on is a :class:`classit_train.training.trainer.ClassitTrainer` (its words/tokens accounting
and :meth:`~classit_train.training.trainer.ClassitTrainer.save_model_files`).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import shutil
import time
from pathlib import Path

from transformers import TrainerCallback

from ..analysis.dynamics import DynamicsRecorder
from ..checkpoints.hf_folder import complete_hf_folder
from ..checkpoints.milestones import milestone_name
from ..checkpoints.ownership import claim, publish_dir, remove_if_owned
from ..checkpoints.state import CHECKPOINT_PREFIX, write_state

logger = logging.getLogger(__name__)


class AccountingCallback(TrainerCallback):
    """Syncs words/tokens seen after every optimizer step and enforces the words budget."""

    def __init__(self, trainer, max_words: int | None, mode: str):
        self.trainer, self.max_words, self.mode = trainer, max_words, mode
        self.warned = False

    def on_step_end(self, args, state, control, **kwargs):
        self.trainer.sync_counts()
        seen = self.trainer.train_state.words_seen
        if self.max_words is not None and seen >= self.max_words and self.mode != "off":
            if self.mode == "enforce":
                self.trainer.train_state.budget_exhausted = True
                control.should_training_stop = True
                control.should_save = False
                logger.warning("words budget reached (%d >= %d): stopping", seen, self.max_words)
            elif not self.warned:
                logger.warning("words budget exceeded (%d >= %d); budget.mode=warn, continuing", seen, self.max_words)
                self.warned = True
        return control

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs is not None and "loss" in logs:
            logs["words_seen"] = self.trainer.train_state.words_seen
            logs["tokens_seen"] = self.trainer.train_state.tokens_seen


class CheckpointStateCallback(TrainerCallback):
    """Completes each ``checkpoint-N`` the Trainer saved and writes its state file (main process).

    The Trainer writes ``checkpoint-N`` itself (and rotates old ones under ``save_total_limit``); at ``on_save``, once
    every process has written its part, the main process completes the folder (:func:`complete_hf_folder`) and
    writes ``classit_state.json`` **last**. A ``checkpoint-N`` without its state file is therefore incomplete (a
    killed save): see :mod:`classit_train.checkpoints.state`.
    """

    def __init__(self, trainer, tokenizer, config=None, dynamics: DynamicsRecorder | None = None):
        self.trainer, self.tokenizer, self.config, self.dynamics = trainer, tokenizer, config, dynamics

    def on_save(self, args, state, control, **kwargs):
        trainer = self.trainer
        trainer.accelerator.wait_for_everyone()  # every rank has written its files (RNG states ...)
        folder = Path(args.output_dir) / f"{CHECKPOINT_PREFIX}{state.global_step}"
        if self.dynamics is not None:  # the recorder's sums so far (collective: every rank takes part)
            self.dynamics.save_partial(folder, args.device, args.should_save)
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


class MilestoneCallback(TrainerCallback):
    """Writes ``<run_dir>/chck_{N}`` after the optimizer step at which the synced words seen first reach a milestone.

    Add it after the accounting callback (which syncs the counts at ``on_step_end``). Every process calls it (the
    model save may need all ranks); only the main process writes, through a ``.tmp-`` folder renamed into place.
    A resumed stage re-crosses the milestones after its ``checkpoint-N`` and rewrites them: with bit-identical
    resume the folders come out identical.
    """

    def __init__(self, trainer, tokenizer, config, run_dir: str | os.PathLike, milestones: list[int]):
        self.trainer, self.tokenizer, self.config = trainer, tokenizer, config
        self.run_dir, self.milestones = Path(run_dir), list(milestones)
        self.words_before: int | None = None
        self.seconds: list[float] = []  # wall time of each milestone save (for the benchmark / logs)

    def on_train_begin(self, args, state, control, **kwargs):
        self.words_before = self.trainer.train_state.words_seen
        ahead = [m for m in self.milestones if m > self.words_before]
        if ahead:
            logger.info("milestone checkpoints ahead (words seen now %d): %s", self.words_before,
                        ", ".join(milestone_name(m) for m in ahead[:12]) + (" …" if len(ahead) > 12 else ""))

    def on_step_end(self, args, state, control, **kwargs):
        now = self.trainer.train_state.words_seen
        before = self.words_before if self.words_before is not None else now
        self.words_before = now
        crossed = [m for m in self.milestones if before < m <= now]
        if not crossed:
            return control
        if len(crossed) > 1:
            logger.warning("step %d crossed %d milestones (%s) with %d words: one folder, %s, is written",
                           state.global_step, len(crossed), ", ".join(milestone_name(m) for m in crossed),
                           now - before, milestone_name(crossed[-1]))
        self.save(crossed[-1])
        return control

    def save(self, words: int) -> Path:
        trainer, name = self.trainer, milestone_name(words)
        final, tmp = self.run_dir / name, self.run_dir / f".tmp-{name}"
        start = time.perf_counter()
        if trainer.args.should_save:
            remove_if_owned(tmp)  # a leftover of a killed run; never a folder classit did not create
            claim(tmp)
        trainer.accelerator.wait_for_everyone()
        trainer.save_model_files(str(tmp))  # model, config, generation config, tokenizer
        trainer.accelerator.wait_for_everyone()
        if trainer.args.should_save:
            ts = trainer.train_state
            state = dataclasses.replace(ts, stage_step=trainer.state.global_step,
                                        global_step=ts.global_step + trainer.state.global_step,
                                        milestone_words=words)
            complete_hf_folder(tmp, self.tokenizer, state, self.config)  # generation config, use_cache, model card
            write_state(tmp, state)  # written last: a folder with a state file is complete
            publish_dir(tmp, final)
            logger.info("milestone %s: %d words seen (step %d) -> %s", name, ts.words_seen, state.global_step, final)
        trainer.accelerator.wait_for_everyone()
        self.seconds.append(time.perf_counter() - start)
        return final


class DynamicsCallback(TrainerCallback):
    """Tells the recorder which epoch the next micro-batches belong to."""

    def __init__(self, recorder: DynamicsRecorder):
        self.recorder = recorder

    def on_epoch_begin(self, args, state, control, **kwargs):
        # state.epoch is the fraction of epochs done (e.g. 1.5 when resuming mid-way through the second epoch).
        self.recorder.epoch = int(math.floor((state.epoch or 0.0) + 1e-6))
        return control
