"""Sequence packing without cross-example attention, and the collators.

Packing puts several examples into one row of at most ``max_seq_length`` tokens (best-fit decreasing). Rows
carry ``position_ids`` that restart at 0 for every example and no ``attention_mask``: transformers then builds a
block-diagonal causal mask for sdpa/eager attention (``masking_utils.find_packed_sequence_indices``), so no token
attends to another example. For flash-attention (``flatten=True``) a batch is concatenated into one row and the
same position-id resets drive the varlen kernel. Padding only fills the end of a row, with label -100.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass
from typing import Sequence

import torch

from .formatting import IGNORE_INDEX, Example


@dataclass
class PackedRow:
    input_ids: list[int]
    labels: list[int]
    lengths: list[int]
    num_words: int
    example_index: list[int] | None = None  # per example of the row: its index in the stage's id table (dynamics)


def pack_examples(examples: Sequence[Example], max_seq_length: int, seed: int = 0,
                  example_index: Sequence[int] | None = None) -> list[PackedRow]:
    """Best-fit-decreasing bin packing into rows of at most ``max_seq_length`` tokens; rows are then shuffled.

    ``example_index`` (one integer per example) rides along in the rows, for per-example training dynamics."""
    order = sorted(range(len(examples)), key=lambda i: (-len(examples[i].input_ids), i))
    bins: list[list[int]] = []
    free: list[tuple[int, int]] = []  # sorted (remaining capacity, bin index)
    for i in order:
        n = len(examples[i].input_ids)
        if n > max_seq_length:
            raise ValueError(f"example of {n} tokens exceeds max_seq_length={max_seq_length}; encode it first")
        k = bisect.bisect_left(free, (n, -1))
        if k < len(free):
            remaining, b = free.pop(k)
            bins[b].append(i)
            if remaining - n > 0:
                bisect.insort(free, (remaining - n, b))
        else:
            bins.append([i])
            if max_seq_length - n > 0:
                bisect.insort(free, (max_seq_length - n, len(bins) - 1))
    rows = []
    for members in bins:
        ids, labels, lengths, words = [], [], [], 0
        for i in members:
            ids += examples[i].input_ids
            labels += examples[i].labels
            lengths.append(len(examples[i].input_ids))
            words += examples[i].num_words
        index = [example_index[i] for i in members] if example_index is not None else None
        rows.append(PackedRow(ids, labels, lengths, words, index))
    random.Random(seed).shuffle(rows)
    return rows


def unpacked_rows(examples: Sequence[Example], seed: int = 0, example_index: Sequence[int] | None = None) -> list[PackedRow]:
    """One example per row (the padding baseline), shuffled the same way."""
    rows = [PackedRow(list(e.input_ids), list(e.labels), [len(e.input_ids)], e.num_words,
                      [example_index[i]] if example_index is not None else None) for i, e in enumerate(examples)]
    random.Random(seed).shuffle(rows)
    return rows


def position_ids_for(lengths: Sequence[int]) -> list[int]:
    return [p for n in lengths for p in range(n)]


class RowsDataset(torch.utils.data.Dataset):
    """A list of packed rows as a map-style dataset of dicts."""

    def __init__(self, rows: list[PackedRow]):
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict:
        row = self.rows[i]
        item = {"input_ids": row.input_ids, "labels": row.labels, "lengths": row.lengths, "num_words": row.num_words}
        if row.example_index is not None:
            item["example_index"] = row.example_index
        return item


def token_example_index(features: list[dict], width: int) -> torch.Tensor | None:
    """Per position, the stage-level index of the example it belongs to (-1 on padding); None without indices."""
    if "example_index" not in features[0]:
        return None
    out = torch.full((len(features), width), -1, dtype=torch.long)
    for r, f in enumerate(features):
        out[r, : len(f["input_ids"])] = torch.repeat_interleave(
            torch.tensor(f["example_index"], dtype=torch.long), torch.tensor(f["lengths"], dtype=torch.long))
    return out


@dataclass
class PackedCollator:
    """Batch packed rows: ``input_ids``, ``labels``, ``position_ids`` (restarting per example), no attention mask.

    ``flatten=True`` concatenates the batch into a single row (flash-attention varlen path, no padding at all).
    ``num_words`` and ``num_tokens`` ride along for budget accounting, ``example_index`` (per position, when the rows
    carry example indices) for training dynamics; the trainer removes them before the model.
    """

    pad_token_id: int
    flatten: bool = False
    pad_to_multiple_of: int | None = None

    def __call__(self, features: list[dict]) -> dict[str, torch.Tensor]:
        if self.flatten:
            features = [{
                "input_ids": [t for f in features for t in f["input_ids"]],
                "labels": [t for f in features for t in f["labels"]],
                "lengths": [n for f in features for n in f["lengths"]],
                "num_words": sum(f["num_words"] for f in features),
                **({"example_index": [k for f in features for k in f["example_index"]]}
                   if "example_index" in features[0] else {}),
            }]
        width = max(len(f["input_ids"]) for f in features)
        if self.pad_to_multiple_of:
            width = -(-width // self.pad_to_multiple_of) * self.pad_to_multiple_of
        input_ids = torch.full((len(features), width), self.pad_token_id, dtype=torch.long)
        labels = torch.full((len(features), width), IGNORE_INDEX, dtype=torch.long)
        position_ids = torch.zeros((len(features), width), dtype=torch.long)
        for r, f in enumerate(features):
            n = len(f["input_ids"])
            input_ids[r, :n] = torch.tensor(f["input_ids"])
            labels[r, :n] = torch.tensor(f["labels"])
            pad = width - n
            # Padding forms its own block (positions restart at 0), so real tokens never attend to it.
            position_ids[r] = torch.tensor(position_ids_for(list(f["lengths"]) + ([pad] if pad else [])))
        batch = {
            "input_ids": input_ids, "labels": labels, "position_ids": position_ids,
            "num_words": torch.tensor(sum(f["num_words"] for f in features), dtype=torch.long),
            "num_tokens": torch.tensor(sum(len(f["input_ids"]) for f in features), dtype=torch.long),
        }
        index = token_example_index(features, width)
        if index is not None:
            batch["example_index"] = index
        return batch


@dataclass
class PaddingCollator:
    """One example per row, right-padded, with an attention mask (the unpacked path)."""

    pad_token_id: int

    def __call__(self, features: list[dict]) -> dict[str, torch.Tensor]:
        width = max(len(f["input_ids"]) for f in features)
        input_ids = torch.full((len(features), width), self.pad_token_id, dtype=torch.long)
        labels = torch.full((len(features), width), IGNORE_INDEX, dtype=torch.long)
        attention_mask = torch.zeros((len(features), width), dtype=torch.long)
        for r, f in enumerate(features):
            n = len(f["input_ids"])
            input_ids[r, :n] = torch.tensor(f["input_ids"])
            labels[r, :n] = torch.tensor(f["labels"])
            attention_mask[r, :n] = 1
        batch = {
            "input_ids": input_ids, "labels": labels, "attention_mask": attention_mask,
            "num_words": torch.tensor(sum(f["num_words"] for f in features), dtype=torch.long),
            "num_tokens": torch.tensor(sum(len(f["input_ids"]) for f in features), dtype=torch.long),
        }
        index = token_example_index(features, width)
        if index is not None:
            batch["example_index"] = index
        return batch
