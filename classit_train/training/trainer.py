"""The curriculum runner: ordered stages, each one run of the transformers Trainer.

Entry point: :func:`run_curriculum`. For every stage it builds the stage's packed rows, a model (a preset, the
config's ``init_from`` checkpoint, or the previous stage's result), and a :class:`ClassitTrainer`; it resumes from
the stage's newest complete ``checkpoint-N`` if a previous run was interrupted, and skips stages whose end-of-stage
folder is already complete. Rerunning the same command after a crash therefore continues where it stopped.

Output layout::

    <output_dir>/config.yaml                    the resolved config
    <output_dir>/tokenizer/                     trained tokenizer (when tokenizer.train_files is set)
    <output_dir>/checkpoints/<NN-stage>/checkpoint-<step>/   every save_steps (Trainer format + state file)
    <output_dir>/<NN-stage>/                    end of each stage: HF model + tokenizer + classit_state.json
    <output_dir>/chck_{N}M, chck_{N}K           milestone checkpoints (words seen; see checkpoints/milestones.py)
    <output_dir>/final -> <NN-last-stage>       symlink to the last completed stage
"""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path

from typing import TYPE_CHECKING

import torch
from transformers import Trainer, TrainingArguments

from ..analysis import dynamics
from ..analysis.dynamics import DynamicsRecorder
from ..checkpoints.hf_folder import complete_hf_folder
from ..checkpoints.milestones import milestones, run_lineage
from ..checkpoints.ownership import claim, prepare_output_dir, publish_dir, remove_if_owned
from ..checkpoints.state import (TrainState, clean_partial, drop_incomplete_checkpoints, is_complete,
                                 latest_checkpoint, read_state, write_state)
from ..data.packing import PackedCollator, PaddingCollator, RowsDataset
from ..data.stage import StageData, build_stage_data
from ..errors import ConfigError
from ..files import expand_paths, expand_vars
from .callbacks import AccountingCallback, CheckpointStateCallback, DynamicsCallback, MilestoneCallback
from .models import build_model
from .tokenizer import load_tokenizer, train_tokenizer

if TYPE_CHECKING:  # annotations only: the run config sits above training (docs/architecture.md)
    from ..config.run import RunConfig, StageConfig, TrainingConfig

logger = logging.getLogger(__name__)
_FRACTIONAL_WARMUP_STEPS = int(__import__("transformers").__version__.split(".")[0]) >= 5


class ClassitTrainer(Trainer):
    """The stock Trainer plus words/tokens-seen accounting (state files: :class:`CheckpointStateCallback`) and
    training dynamics (``dynamics``: the recorder, when data.dynamics is on; its loss comes as ``compute_loss_func``,
    see :func:`classit_train.analysis.dynamics.recording_loss`)."""

    def __init__(self, *args, train_state: TrainState, dynamics: DynamicsRecorder | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.train_state = train_state
        self.dynamics = dynamics
        self._pending = torch.zeros(2, dtype=torch.long)  # words, tokens since the last sync (this process)

    # -- accounting -------------------------------------------------------------------------------------------
    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        inputs = dict(inputs)
        words, tokens = inputs.pop("num_words", None), inputs.pop("num_tokens", None)
        example_index = inputs.pop("example_index", None)
        if model.training and words is not None:
            self._pending += torch.stack([words.detach().cpu().sum(), tokens.detach().cpu().sum()])
        # With a KV cache the model skips packed-sequence masking: never build one while training.
        inputs["use_cache"] = False
        if self.dynamics is not None:  # its loss function (compute_loss_func) records this micro-batch
            self.dynamics.pending_index = example_index if model.training else None
        return super().compute_loss(model, inputs, return_outputs=return_outputs, num_items_in_batch=num_items_in_batch)

    def sync_counts(self) -> None:
        """Add every process's words/tokens since the last call to the (global) state; call on all ranks."""
        pending = self._pending.to(self.args.device)
        if self.args.world_size > 1:
            pending = self.accelerator.reduce(pending, reduction="sum")
        self.train_state.words_seen += int(pending[0])
        self.train_state.tokens_seen += int(pending[1])
        self._pending.zero_()

    def save_model_files(self, folder: str) -> None:
        """Save model, config, generation config and tokenizer into ``folder`` as the Trainer saves its own
        checkpoints: every process calls it, and it never pushes to the Hub (``save_model`` does when
        ``push_to_hub`` is set and the call is not the Trainer's own)."""
        self.save_model(folder, _internal_call=True)


# ---------------------------------------------------------------------------------------------------------------


def training_arguments(tc: TrainingConfig, output_dir: str, max_seq_length: int) -> TrainingArguments:
    """``TrainingArguments`` for one stage (``warmup_ratio`` maps to transformers 5's fractional ``warmup_steps``)."""
    warmup = tc.warmup_steps if tc.warmup_steps else tc.warmup_ratio
    # transformers < 5 takes a ratio only as warmup_ratio (warmup_steps must be an int there).
    warmup_key = "warmup_steps" if tc.warmup_steps or _FRACTIONAL_WARMUP_STEPS else "warmup_ratio"
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    # Multi-process CPU runs (gloo) only become distributed with use_cpu=True; a single process needs no backend.
    use_cpu = distributed and not torch.cuda.is_available()
    kwargs = dict(
        output_dir=output_dir,
        per_device_train_batch_size=tc.per_device_train_batch_size,
        gradient_accumulation_steps=tc.gradient_accumulation_steps,
        learning_rate=tc.learning_rate,
        lr_scheduler_type=tc.lr_scheduler_type,
        **{warmup_key: warmup},
        weight_decay=tc.weight_decay,
        max_grad_norm=tc.max_grad_norm,
        adam_beta2=tc.adam_beta2,
        num_train_epochs=tc.num_train_epochs,
        max_steps=tc.max_steps,
        save_strategy="steps",
        save_steps=tc.save_steps,
        save_total_limit=tc.save_total_limit,
        logging_steps=tc.logging_steps,
        logging_first_step=True,
        seed=tc.seed,
        data_seed=tc.seed,
        bf16=tc.bf16,
        report_to=tc.report_to,
        ddp_backend=(tc.ddp_backend or ("gloo" if use_cpu else None)) if distributed else None,
        use_cpu=use_cpu,
        dataloader_num_workers=tc.dataloader_num_workers,
        disable_tqdm=tc.disable_tqdm,
        remove_unused_columns=False,
        dataloader_pin_memory=torch.cuda.is_available(),
    )
    kwargs.update(tc.extra_args)
    try:
        return TrainingArguments(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError("training", f"invalid TrainingArguments: {str(exc).splitlines()[0]}") from None


def prepare_tokenizer(config: RunConfig, output_dir: Path, is_main: bool = True):
    """Load ``tokenizer.path``, or train one from ``tokenizer.train_files`` (once) and save it."""
    tc = config.tokenizer
    if tc.train_files:
        target = Path(expand_vars(tc.path, "tokenizer.path")) if tc.path else output_dir / "tokenizer"
        if not (target / "tokenizer.json").is_file():
            files = expand_paths(tc.train_files, "tokenizer.train_files")
            if is_main:
                tmp = target.with_name(f".tmp-{target.name}")
                remove_if_owned(tmp)  # a leftover of a killed run; never a folder classit did not create
                claim(tmp)
                train_tokenizer(files, vocab_size=tc.vocab_size, add_bos=tc.add_bos, min_frequency=tc.min_frequency,
                                max_words=tc.max_words, output_dir=tmp)
                target.parent.mkdir(parents=True, exist_ok=True)
                publish_dir(tmp, target)
        return target
    if tc.path:
        path = Path(expand_vars(tc.path, "tokenizer.path"))
        if not (path / "tokenizer.json").is_file() and not (path / "tokenizer_config.json").is_file():
            raise ConfigError("tokenizer.path", f"no tokenizer found in {path}")
        return path
    return Path(expand_vars(config.model.init_from, "model.init_from"))


def _barrier() -> None:
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.barrier()


def _is_main() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def make_collator(config: RunConfig, tokenizer, attn_implementation: str):
    if not config.data.packing:
        return PaddingCollator(tokenizer.pad_token_id)
    return PackedCollator(tokenizer.pad_token_id, flatten=attn_implementation.startswith("flash"))


def run_curriculum(config: RunConfig, stage_data_hook=None, fresh: bool = False) -> Path:
    """Train every stage of ``config`` (resuming where a previous run stopped); returns the final model folder."""
    out = Path(expand_vars(config.output_dir, "output_dir"))
    prepare_output_dir(out, config, fresh=fresh, is_main=_is_main())  # lock, refuse/warn on a changed config

    tokenizer_dir = prepare_tokenizer(config, out, is_main=_is_main())
    if config.tokenizer.train_files and not _is_main():
        import time

        while not (tokenizer_dir / "tokenizer.json").is_file():  # rank 0 is training it
            time.sleep(1)
    tokenizer = load_tokenizer(tokenizer_dir)

    previous: Path | None = Path(expand_vars(config.model.init_from, "model.init_from")) if config.model.init_from else None
    if previous is not None and not (previous / "config.json").is_file():
        raise ConfigError("model.init_from", f"no Hugging Face model folder at {previous}")
    state = None
    if previous is not None and read_state(previous) is not None:
        base = read_state(previous)  # continue the words/tokens count of the run we start from
        state = TrainState(stage="", stage_index=-1, num_stages=len(config.stages), global_step=base.global_step,
                           tokens_seen=base.tokens_seen, words_seen=base.words_seen)
    last_done: Path | None = None
    for index, stage in enumerate(config.stages):
        stage_dir = out / f"{index + 1:02d}-{stage.name}"
        if is_complete(stage_dir):
            done = read_state(stage_dir)
            logger.info("stage %s already complete (%s), skipping", stage.name, stage_dir)
            previous, state, last_done = stage_dir, done, stage_dir
            if done.budget_exhausted:
                break
            continue
        if state is not None and state.budget_exhausted:
            break
        budget = config.budget
        if state is not None and budget.mode == "enforce" and budget.max_words is not None and state.words_seen >= budget.max_words:
            raise ConfigError("budget.max_words", f"{state.words_seen:,} words already seen (by {previous}) >= the "
                              f"budget of {budget.max_words:,}: nothing left to train stage {stage.name!r} on")
        state = run_stage(config, index, stage, tokenizer, previous, state, stage_dir, stage_data_hook)
        previous, last_done = stage_dir, stage_dir
        if state.budget_exhausted:
            logger.warning("words budget exhausted after stage %s: remaining stages skipped", stage.name)
            break
    if last_done is not None and _is_main():
        link = out / "final"
        tmp_link = out / ".tmp-final"
        remove_if_owned(tmp_link)
        claim(tmp_link)
        os.symlink(last_done.name, tmp_link)
        os.replace(tmp_link, link)
    _barrier()
    return out / "final"


def run_stage(config: RunConfig, index: int, stage: StageConfig, tokenizer, previous: Path | None,
              state: TrainState | None, stage_dir: Path, stage_data_hook=None) -> TrainState:
    """Run one stage with the Trainer and publish its end-of-stage folder."""
    tc = config.stage_training(stage)
    trainer_dir = stage_dir.parent / "checkpoints" / stage_dir.name
    if _is_main():
        clean_partial(trainer_dir)
        drop_incomplete_checkpoints(trainer_dir)
    data: StageData = build_stage_data(config, stage, tokenizer, show_progress=_is_main(), stage_index=index)
    if stage_data_hook is not None:
        stage_data_hook(stage, data)
    logger.info("stage %d/%d %s: %s", index + 1, len(config.stages), stage.name, data.summary())

    attn = config.model.attn_implementation
    if previous is not None:
        from transformers import AutoModelForCausalLM

        model = AutoModelForCausalLM.from_pretrained(str(previous), attn_implementation=attn)
    else:
        model = build_model(config.model.preset, tokenizer, seed=tc.seed, attn_implementation=attn,
                            **config.model.overrides)
    if len(tokenizer) > model.config.vocab_size:
        raise ConfigError("tokenizer", f"tokenizer has {len(tokenizer)} tokens but the model only {model.config.vocab_size}")

    start = TrainState(stage=stage.name, stage_index=index, num_stages=len(config.stages),
                       global_step=state.global_step if state else 0,
                       tokens_seen=state.tokens_seen if state else 0, words_seen=state.words_seen if state else 0,
                       budget_max_words=config.budget.max_words, **run_lineage(config))
    resume = latest_checkpoint(trainer_dir)
    train_state = dataclasses.replace(start)
    if resume is not None:
        saved = read_state(resume)
        train_state.words_seen, train_state.tokens_seen = saved.words_seen, saved.tokens_seen
        logger.info("resuming stage %s from %s", stage.name, resume)

    args = training_arguments(tc, str(trainer_dir), config.data.max_seq_length)
    recorder = dynamics.stage_recorder(data, stage.name, resume, _is_main()) if config.data.dynamics else None
    trainer = ClassitTrainer(model=model, args=args, train_dataset=RowsDataset(data.rows),
                             data_collator=make_collator(config, tokenizer, attn), processing_class=tokenizer,
                             train_state=train_state, dynamics=recorder,
                             compute_loss_func=dynamics.recording_loss(recorder) if recorder is not None else None)
    trainer.add_callback(AccountingCallback(trainer, config.budget.max_words, config.budget.mode))
    trainer.add_callback(CheckpointStateCallback(trainer, tokenizer, config, dynamics=recorder))
    schedule = milestones(config.checkpoints, config.budget.max_words)  # chck_* folders in the run folder
    trainer.add_callback(MilestoneCallback(trainer, tokenizer, config, stage_dir.parent, schedule))
    if recorder is not None:
        trainer.add_callback(DynamicsCallback(recorder))
    if config.budget.max_words is not None and config.budget.mode != "off":
        planned = train_state.words_seen + int(data.num_words * tc.num_train_epochs)
        if tc.max_steps <= 0 and planned > config.budget.max_words:
            logger.warning("stage %s would reach %d words seen, over the budget of %d (budget.mode=%s)",
                           stage.name, planned, config.budget.max_words, config.budget.mode)
    trainer.train(resume_from_checkpoint=str(resume) if resume else None)

    final = dataclasses.replace(trainer.train_state, stage_step=trainer.state.global_step,
                                global_step=start.global_step + trainer.state.global_step, stage_complete=True)
    tmp = stage_dir.with_name(f".tmp-{stage_dir.name}")
    if _is_main():
        remove_if_owned(tmp)
        claim(tmp)
    _barrier()
    trainer.save_model(str(tmp))  # model, config, generation config, tokenizer (rank 0 writes)
    _barrier()
    if recorder is not None:
        dynamics.finish(recorder, args.device, tmp, _is_main(), {
            "packing": config.data.packing, "world_size": args.world_size,
            "gradient_accumulation_steps": args.gradient_accumulation_steps})
    if _is_main():
        complete_hf_folder(tmp, tokenizer, final, config)
        write_state(tmp, final)
        publish_dir(tmp, stage_dir)
    _barrier()
    return final
