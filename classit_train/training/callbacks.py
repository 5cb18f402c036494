"""The trainer side of milestone checkpoints (see :mod:`classit_train.milestones` for the schedule and the rules)."""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from pathlib import Path

from transformers import TrainerCallback

from .checkpoint import write_state
from .io_utils import publish_dir
from .milestones import milestone_name
from .ownership import claim, remove_if_owned

logger = logging.getLogger(__name__)


class MilestoneCallback(TrainerCallback):
    """Writes ``<run_dir>/chck_{N}`` after the optimizer step at which the synced words seen first reach a milestone.

    Add it after the accounting callback (which syncs the counts at ``on_step_end``). Every process calls it (the
    model save may need all ranks); only the main process writes, through a ``.tmp-`` folder renamed into place.
    A resumed stage re-crosses the milestones after its ``checkpoint-N`` and rewrites them: with bit-identical
    resume the folders come out identical.
    """

    def __init__(self, trainer, run_dir: str | os.PathLike, milestones: list[int]):
        self.trainer, self.run_dir, self.milestones = trainer, Path(run_dir), list(milestones)
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
        trainer.save_model(str(tmp), _internal_call=True)  # model, config, generation config, tokenizer
        trainer.accelerator.wait_for_everyone()
        if trainer.args.should_save:
            ts = trainer.train_state
            state = dataclasses.replace(ts, stage_step=trainer.state.global_step,
                                        global_step=ts.global_step + trainer.state.global_step,
                                        milestone_words=words)
            if getattr(trainer, "finish_folder", None) is not None:
                trainer.finish_folder(tmp, state)  # generation config, use_cache, model card (hf_folder.py)
            write_state(tmp, state)  # written last: a folder with a state file is complete
            publish_dir(tmp, final)
            logger.info("milestone %s: %d words seen (step %d) -> %s", name, ts.words_seen, state.global_step, final)
        trainer.accelerator.wait_for_everyone()
        self.seconds.append(time.perf_counter() - start)
        return final
