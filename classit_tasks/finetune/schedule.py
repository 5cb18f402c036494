"""Optimizer and learning-rate schedule of the BabyLM 2025 fine-tuning protocol."""

from __future__ import annotations

import math

import torch

from classit_tasks.finetune.config import FinetuneConfig


def build_optimizer(model: torch.nn.Module, cfg: FinetuneConfig) -> torch.optim.AdamW:
    """AdamW with weight decay on *all* parameters (biases and norms included), amsgrad off, as in 2025."""
    return torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad],
        lr=cfg.learning_rate, betas=cfg.betas, eps=cfg.eps, weight_decay=cfg.weight_decay, amsgrad=False,
    )


def warmup_steps(total_steps: int, warmup_fraction: float) -> int:
    return int(total_steps * warmup_fraction)


def lr_factor(step: int, total_steps: int, warmup: int, min_factor: float) -> float:
    """Multiplier of the base lr at optimizer step ``step`` (0-based, the value used for that step).

    Linear warmup 0 -> 1 over ``warmup`` steps, then half a cosine from 1 down to ``min_factor``, never below it
    (the "cosine_schedule_with_warmup" of the ltgoslo GPT-BERT / BabyLM 2025 fine-tuning code).
    """
    if step < warmup:
        return step / max(1, warmup)
    progress = (step - warmup) / max(1, total_steps - warmup)
    return max(min_factor, min_factor + (1.0 - min_factor) * 0.5 * (1.0 + math.cos(math.pi * progress)))


def build_scheduler(optimizer: torch.optim.Optimizer, total_steps: int, cfg: FinetuneConfig):
    warmup = warmup_steps(total_steps, cfg.warmup_fraction)
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(step, total_steps, warmup, cfg.min_lr_factor)
    )
