"""Tokenized examples, padding collation, and the two ways of cutting them into batches.

- Parity (``--parity``): the 2025 loaders, ``DataLoader(shuffle=True, drop_last=True)`` with *no* generator, so the
  order is drawn from the global torch RNG exactly as the official code draws it (see ``train.py``).
- Default: length-grouped batches. Each epoch a seeded permutation is cut to a whole number of batches (the same
  ``drop_last`` step count as 2025), split into mega-batches of ``group_batches`` batches, each mega-batch sorted
  by length and cut into batches, and the batch order shuffled again: batches stay random, but their members have
  similar lengths, so almost no compute goes to padding. Evaluation runs over the items sorted by length and puts
  the predictions back in file order. On CPU each batch is run as length-homogeneous micro-batches of 8 whose
  gradients are summed (``micro_batches``): the same step, with almost no padding.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class Encoded:
    """Token ids (no padding) and integer labels of one split."""

    input_ids: list[list[int]]
    labels: list[int]

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[list[int], int]:
        return self.input_ids[i], self.labels[i]

    def lengths(self) -> list[int]:
        return [len(ids) for ids in self.input_ids]


@dataclass
class PadStats:
    """Tokens seen by the forward passes: real tokens and padded slots (``padding_fraction`` = pad / total)."""

    real: int = 0
    padded: int = 0
    batches: int = 0

    def add(self, attention_mask: torch.Tensor) -> None:
        real = int(attention_mask.sum())
        self.real += real
        self.padded += attention_mask.numel() - real
        self.batches += 1

    @property
    def padding_fraction(self) -> float:
        total = self.real + self.padded
        return self.padded / total if total else 0.0

    def to_dict(self) -> dict:
        return {"real_tokens": self.real, "padded_tokens": self.padded, "batches": self.batches,
                "padding_fraction": round(self.padding_fraction, 4)}


def make_collate(pad_id: int, padding_side: str, stats: PadStats | None = None):
    """Pad a batch of (ids, label) to its longest member; ``stats`` (if given) counts real and padded slots."""

    def collate(batch: list[tuple[list[int], int]]) -> dict[str, torch.Tensor]:
        width = max(len(ids) for ids, _ in batch)
        input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
        attention_mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, (ids, _) in enumerate(batch):
            span = slice(0, len(ids)) if padding_side == "right" else slice(width - len(ids), width)
            input_ids[row, span] = torch.tensor(ids, dtype=torch.long)
            attention_mask[row, span] = 1
        if stats is not None:
            stats.add(attention_mask)
        labels = torch.tensor([label for _, label in batch], dtype=torch.long)
        return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}

    return collate


@dataclass
class LengthGroupedBatches:
    """Batch sampler of the default mode: shuffled, drop_last, members of a batch of similar length.

    Epoch ``e`` (counted by the calls to ``__iter__``) draws from ``torch.Generator().manual_seed(seed + e)``, so a
    run is reproducible from its seed alone and does not touch the global RNG.
    """

    lengths: list[int]
    batch_size: int
    seed: int
    group_batches: int = 50
    epoch: int = field(default=0, init=False)

    def __len__(self) -> int:
        return len(self.lengths) // self.batch_size

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self):
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        self.epoch += 1
        n_batches = len(self)
        order = torch.randperm(len(self.lengths), generator=generator).tolist()[: n_batches * self.batch_size]
        group = self.group_batches * self.batch_size
        batches = []
        for start in range(0, len(order), group):
            chunk = sorted(order[start : start + group], key=lambda i: self.lengths[i], reverse=True)
            batches += [chunk[b : b + self.batch_size] for b in range(0, len(chunk), self.batch_size)]
        for b in torch.randperm(len(batches), generator=generator).tolist():
            yield batches[b]


def length_order(lengths: list[int]) -> list[int]:
    """Item indices sorted by length, longest first (evaluation batches with little padding)."""
    return sorted(range(len(lengths)), key=lambda i: -lengths[i])


class Reordered(torch.utils.data.Dataset):
    """``data`` seen in the order ``order`` (evaluation in length order; predictions are put back afterwards)."""

    def __init__(self, data: Encoded, order: list[int]) -> None:
        self.data, self.order = data, order

    def __len__(self) -> int:
        return len(self.order)

    def __getitem__(self, i: int):
        return self.data[self.order[i]]


def micro_batches(batch: dict[str, torch.Tensor], size: int, padding_side: str) -> list[dict[str, torch.Tensor]]:
    """Consecutive slices of ``size`` rows, each cut to its own longest member. The default mode's batches are
    length-sorted, so the slices are length-homogeneous and almost free of padding; the training loop sums their
    gradients (loss scaled by slice / batch size), which is the batch's gradient."""
    out = []
    for start in range(0, batch["labels"].shape[0], size):
        part = {k: v[start : start + size] for k, v in batch.items()}
        width = int(part["attention_mask"].sum(dim=1).max())
        cut = slice(0, width) if padding_side == "right" else slice(part["input_ids"].shape[1] - width, None)
        part["input_ids"], part["attention_mask"] = part["input_ids"][:, cut], part["attention_mask"][:, cut]
        out.append(part)
    return out
