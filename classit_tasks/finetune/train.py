"""Fine-tune one checkpoint on one task with one seed, and predict the reported (valid) file.

The loop is plain PyTorch driven by 🤗 Accelerate, so ``accelerate launch`` / ``torchrun`` give data parallelism
across GPUs and nodes. ``split_batches=True`` keeps the *global* batch at the protocol's size (32 or 16), split
over the processes, so the number of optimizer steps and the schedule are the same on 1 or N devices.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from classit_tasks.errors import ClassitError
from classit_tasks.finetune import metrics as M
from classit_tasks.finetune.batching import (
    Encoded,
    LengthGroupedBatches,
    PadStats,
    Reordered,
    length_order,
    make_collate,
    micro_batches,
)
from classit_tasks.finetune.config import FinetuneConfig
from classit_tasks.finetune.model import (
    SequenceClassifier,
    fit_embeddings,
    hidden_size_of,
    load_backbone,
    max_positions_of,
)
from classit_tasks.finetune.schedule import build_optimizer, build_scheduler, warmup_steps
from classit_tasks.finetune.tasks import GlueTask

logger = logging.getLogger(__name__)


class FinetuneError(ClassitError, ValueError):
    """A run that cannot proceed (one line, names the task and the cause)."""


def make_accelerator(device: str | None, mixed_precision: str = "no"):
    """The Accelerator of a fine-tuning run: CPU or CUDA, batches split across processes."""
    from accelerate import Accelerator
    from accelerate.utils import DataLoaderConfiguration

    if device not in (None, "cpu") and device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"--device {device}: CUDA is not available on this machine")
    if device not in (None, "cpu") and not device.startswith("cuda"):
        raise ValueError(f"--device: expected cpu or cuda, got '{device}'")
    return Accelerator(cpu=device == "cpu", mixed_precision=mixed_precision,
                       dataloader_config=DataLoaderConfiguration(split_batches=True))


@dataclass
class TaskData:
    """The records a run uses: ``train`` to fit, ``select`` to pick the epoch, ``report`` to score."""

    task: GlueTask
    train: list[dict]
    select: list[dict] | None  # None = select on ``report`` (2025) or take the last epoch
    report: list[dict]
    report_original_size: int
    files: dict[str, str] = field(default_factory=dict)


def heldout_split(task: GlueTask, records: list[dict], fraction: float, seed: int) -> tuple[list[dict], list[dict]]:
    """Split train into (fit, held-out). Records sharing ``task.heldout_group`` (the same passage, paragraph or
    WSC text) stay on one side, so the held-out slice never shares a passage with what was trained on."""
    keys = [r[task.heldout_group] if task.heldout_group else i for i, r in enumerate(records)]
    groups = list(dict.fromkeys(keys))
    random.Random(seed).shuffle(groups)
    target = max(1, round(fraction * len(records)))
    chosen, size = set(), 0
    counts: dict = {}
    for k in keys:
        counts[k] = counts.get(k, 0) + 1
    for g in groups:
        if size >= target:
            break
        chosen.add(g)
        size += counts[g]
    fit = [r for r, k in zip(records, keys) if k not in chosen]
    held = [r for r, k in zip(records, keys) if k in chosen]
    return fit, held


def encode(task: GlueTask, records: list[dict], tokenizer, max_length: int) -> Encoded:
    """Tokenize (text_a, text_b) as a text pair with the tokenizer's own special tokens (as 2025), truncating
    the longer text first to ``max_length``."""
    pairs = [task.texts(r) for r in records]
    enc = tokenizer(
        [a for a, _ in pairs], [b for _, b in pairs], truncation=True, max_length=max_length, padding=False
    )
    return Encoded(list(enc["input_ids"]), [int(r["label"]) for r in records])


@dataclass
class SeedResult:
    seed: int
    preds: np.ndarray  # predictions on the report file
    scores: dict[str, float]  # acc, f1, mcc (+ _stderr) on the report file
    best_epoch: int  # 1-based
    selection_scores: list[float]  # per epoch, on the selection set (empty for last_epoch)
    train_examples: int
    selection_examples: int
    optimizer_steps: int
    runtime_s: float
    step_losses: list[float] = field(default_factory=list)  # training loss of every optimizer step
    epoch_losses: list[float] = field(default_factory=list)  # mean training loss per epoch
    tokens: dict = field(default_factory=dict)  # real / padded tokens of the training passes, tokens per second
    model: torch.nn.Module | None = None  # the selected model, only when it is to be saved


@torch.no_grad()
def predict(model, loader, accelerator, autocast: bool = False, order: list[int] | None = None,
            micro: int | None = None, padding_side: str = "right") -> np.ndarray:
    """Argmax predictions over ``loader``; with ``order`` (the loader saw item ``order[i]`` i-th) they are put
    back in file order; with ``micro``, each batch runs as micro-batches cut to their own longest member."""
    model.eval()
    preds = []
    for batch in loader:
        parts = micro_batches(batch, micro, padding_side) if micro else [batch]
        out = []
        for part in parts:
            with accelerator.autocast() if autocast else contextlib.nullcontext():
                logits = model(part["input_ids"].to(accelerator.device), part["attention_mask"].to(accelerator.device))
            out.append(logits.argmax(dim=-1))
        preds.append(accelerator.gather_for_metrics(torch.cat(out)).cpu())
    out = torch.cat(preds).numpy() if preds else np.zeros(0, dtype=np.int64)
    if order is not None:
        restored = np.empty_like(out)
        restored[np.asarray(order, dtype=np.int64)] = out
        out = restored
    return out


def seed_everything(seed: int) -> None:
    """The 2025 ``seed_everything`` (python, torch CPU and CUDA), plus numpy."""
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def _check_positions(task: GlueTask, backbone, max_length: int) -> tuple[int, int | None]:
    """(the length inputs are truncated to, the model's positions when they are fewer than ``max_length``)."""
    positions = max_positions_of(backbone)
    if positions is not None and positions < max_length:
        return positions, positions
    return max_length, None


def finetune_seed(
    data: TaskData, pretrained: str, tokenizer, model_kwargs: dict, cfg: FinetuneConfig, seed: int, accelerator
) -> SeedResult:
    """Fine-tune a fresh copy of the checkpoint on ``data.train`` and predict ``data.report``.

    Under ``cfg.parity`` on one process, the random numbers are drawn as the 2025 code draws them, in the same
    order, from the same generators: ``seed_everything``, the backbone, the head's initialisation, then per epoch
    the training ``DataLoader``'s iterator seed and its ``RandomSampler`` seed (both from the global torch RNG, the
    order from a generator seeded with the second), dropout during the steps, and the valid ``DataLoader``'s
    iterator seed. The run then equals the official one step for step on the same machine (per-step loss,
    per-epoch valid metric, best epoch, predictions).
    """
    task = data.task
    start = time.time()
    exact = cfg.parity and accelerator.num_processes == 1
    if cfg.parity and not exact:
        logger.warning("%s: --parity on %d processes follows the 2025 protocol but is not bit-identical to a "
                       "single-device 2025 run (each process draws its own dropout masks)", task.task_name,
                       accelerator.num_processes)
    seed_everything(seed)
    backbone = load_backbone(pretrained, cfg.dtype, **model_kwargs)
    fit_embeddings(backbone, tokenizer)
    max_length, capped = _check_positions(task, backbone, cfg.max_length)
    model = SequenceClassifier(backbone, hidden_size_of(backbone), task.num_labels, cfg.pooling, cfg.dropout)
    model.head.float()

    batch_size = cfg.batch_size or task.batch_size
    eval_batch_size = cfg.eval_batch_size or 64  # 2025: --valid_batch_size 64 (eval_finetuning.sh keeps it)
    epochs = cfg.epochs or task.epochs
    for name, value in (("batch size", batch_size), ("eval batch size", eval_batch_size)):
        if value % accelerator.num_processes:
            raise FinetuneError(f"{task.task_name}: {name} {value} is not divisible by the "
                                f"{accelerator.num_processes} processes (the global batch is split across them)")

    train = encode(task, data.train, tokenizer, max_length)
    if len(train) < batch_size:
        raise FinetuneError(f"{task.task_name}: {len(train)} training examples, fewer than one batch of "
                            f"{batch_size} (batches are drop_last)")
    report = encode(task, data.report, tokenizer, max_length)
    select = encode(task, data.select, tokenizer, max_length) if data.select is not None else None
    if capped is not None:
        at_limit = sum(n >= max_length for part in (train, report, select) if part is not None for n in part.lengths())
        logger.warning("%s: --max_length %d exceeds the model's %d positions (%s); inputs truncated to %d tokens "
                       "(%d item(s) of %s reach that length)", task.task_name, cfg.max_length, capped,
                       f"{pretrained}/config.json", capped, at_limit, data.files.get("train", "the task's files"))
    train_stats = PadStats()
    collate = make_collate(tokenizer.pad_token_id, cfg.padding_side)
    train_collate = collate
    micro = None if cfg.parity else cfg.micro_batch_size
    if micro is None and not cfg.parity and accelerator.device.type == "cpu":
        micro = 8  # on CPU small length-homogeneous micro-batches cost no efficiency and skip most padding
    if micro is not None and micro >= batch_size // accelerator.num_processes:
        micro = None

    def eval_loader(encoded: Encoded) -> tuple[DataLoader, list[int] | None]:
        if cfg.parity:  # file order, as 2025
            return DataLoader(encoded, batch_size=eval_batch_size, collate_fn=collate), None
        order = length_order(encoded.lengths())
        return DataLoader(Reordered(encoded, order), batch_size=eval_batch_size, collate_fn=collate), order

    if cfg.parity:  # no generator: the order comes from the global torch RNG, as in 2025
        train_loader = DataLoader(train, batch_size=batch_size, shuffle=True, drop_last=True, collate_fn=train_collate)
    else:
        sampler = LengthGroupedBatches(train.lengths(), batch_size, seed, cfg.group_batches)
        train_loader = DataLoader(train, batch_sampler=sampler, collate_fn=train_collate)
    report_loader, report_order = eval_loader(report)
    select_loader, select_order = eval_loader(select) if select is not None else (None, None)

    optimizer = build_optimizer(model, cfg)
    total_steps = len(train_loader) * epochs  # len before prepare: split_batches keeps the step count
    scheduler = build_scheduler(optimizer, total_steps, cfg)
    if exact:  # accelerate's loader wrappers are kept out of the way of the global RNG
        model, optimizer = accelerator.prepare(model, optimizer)
    else:
        model, optimizer, train_loader, report_loader = accelerator.prepare(model, optimizer, train_loader,
                                                                            report_loader)
        if select_loader is not None:
            select_loader = accelerator.prepare(select_loader)
    autocast = accelerator.mixed_precision != "no"
    logger.info("%s seed %d: %d train / %s select / %d report examples, %d epochs x %d steps (warmup %d)",
                task.task_name, seed, len(train), len(data.select) if data.select is not None else "-",
                len(data.report), epochs, total_steps // epochs, warmup_steps(total_steps, cfg.warmup_fraction))

    select_labels = np.array([r["label"] for r in (data.select if data.select is not None else data.report)])
    best_score, best_epoch, best_state, best_preds = -float("inf"), epochs, None, None
    selection_scores: list[float] = []
    step_losses: list[torch.Tensor] = []
    epoch_losses: list[float] = []
    train_seconds = 0.0
    device = accelerator.device
    bar = tqdm(total=total_steps, desc=f"{task.task_name} seed {seed}", disable=not accelerator.is_local_main_process)
    for epoch in range(1, epochs + 1):
        model.train()
        epoch_start, first = time.perf_counter(), len(step_losses)
        for batch in train_loader:
            if micro:  # default mode: the batch's gradient, summed over length-homogeneous micro-batches
                loss = torch.zeros((), device=device)
                parts = micro_batches(batch, micro, cfg.padding_side)
                for k, part in enumerate(parts):
                    train_stats.add(part["attention_mask"])
                    sync = k == len(parts) - 1 or accelerator.num_processes == 1
                    with contextlib.nullcontext() if sync else accelerator.no_sync(model):
                        with accelerator.autocast() if autocast else contextlib.nullcontext():
                            logits = model(part["input_ids"].to(device), part["attention_mask"].to(device))
                        part_loss = F.cross_entropy(logits.float(), part["labels"].to(device), reduction="sum")
                        part_loss = part_loss / batch["labels"].shape[0]
                        accelerator.backward(part_loss)
                    loss = loss + part_loss.detach()
            else:  # one forward over the padded batch, as 2025
                train_stats.add(batch["attention_mask"])
                with accelerator.autocast() if autocast else contextlib.nullcontext():
                    logits = model(batch["input_ids"].to(device), batch["attention_mask"].to(device))
                loss = F.cross_entropy(logits.float(), batch["labels"].to(device))
                accelerator.backward(loss)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step_losses.append(loss.detach())
            bar.update(1)
        train_seconds += time.perf_counter() - epoch_start
        epoch_losses.append(float(torch.stack(step_losses[first:]).float().mean()) if len(step_losses) > first
                            else float("nan"))
        bar.set_postfix(epoch=epoch, loss=f"{epoch_losses[-1]:.4f}", lr=f"{scheduler.get_last_lr()[0]:.2e}")
        if cfg.select_on == "last_epoch":
            continue
        if select_loader is not None:
            preds = predict(model, select_loader, accelerator, autocast, select_order, micro, cfg.padding_side)
        else:
            preds = predict(model, report_loader, accelerator, autocast, report_order, micro, cfg.padding_side)
        score = M.compute(task.metric, select_labels, preds)
        selection_scores.append(score)
        logger.info("%s seed %d epoch %d: %s %.4f on the %s set", task.task_name, seed, epoch, task.metric, score,
                    "held-out" if select_loader is not None else "reported (valid)")
        if score > best_score:  # the first best epoch wins ties, as a strict ">" in 2025
            best_score, best_epoch = score, epoch
            if select_loader is None:
                best_preds = preds  # selecting on the report file: these are the reported predictions
            if select_loader is not None or cfg.save_model:
                best_state = {k: v.detach().to("cpu", copy=True)
                              for k, v in accelerator.unwrap_model(model).state_dict().items()}
    bar.close()

    unwrapped = accelerator.unwrap_model(model)
    if best_state is not None:
        unwrapped.load_state_dict(best_state)
    if best_preds is None:
        best_preds = predict(model, report_loader, accelerator, autocast, report_order, micro, cfg.padding_side)
    labels = np.array([r["label"] for r in data.report])
    scores: dict[str, float] = {}
    for m in task.metrics:
        scores[m] = M.compute(m, labels, best_preds)
        scores[f"{m}_stderr"] = M.stderr(m, labels, best_preds)
    losses = torch.stack(step_losses).float().cpu().tolist() if step_losses else []
    tokens = {**train_stats.to_dict(),
              "train_tokens_per_s": round(train_stats.real / train_seconds, 1) if train_seconds else None}
    return SeedResult(
        seed=seed, preds=best_preds, scores=scores, best_epoch=best_epoch, selection_scores=selection_scores,
        train_examples=len(train), selection_examples=len(select_labels) if cfg.select_on != "last_epoch" else 0,
        optimizer_steps=total_steps, runtime_s=round(time.time() - start, 2), step_losses=losses,
        epoch_losses=epoch_losses, tokens=tokens, model=unwrapped if cfg.save_model else None,
    )
