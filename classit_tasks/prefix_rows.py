"""Pack the options of one item into a single input row that computes their shared token prefix once.

BLiMP pairs share their first words, entity-tracking options share a ~200-word prompt, EWoK options share their
context. A row holds the common prefix once, then each option's remaining input tokens; every option's tokens
attend to the prefix and to their own earlier tokens only (a block "tree" mask), and carry the position ids they
would have alone. So each option's log-probabilities equal those of a separate forward pass, while the prefix's
layers, LM head and log-softmax run once. A single sequence is a row with no options (plain causal attention),
whose last token is never an input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import torch


@dataclass
class Encoded:
    """A token sequence and which of its targets (positions 1..n-1) are scored."""

    ids: list[int]
    scored: list[bool]  # len(ids) - 1 entries: scored[t] says whether ids[t + 1] is scored


@dataclass
class Row:
    ids: list[int] = field(default_factory=list)  # input tokens
    positions: list[int] = field(default_factory=list)  # position id of each input token
    segments: list[int] = field(default_factory=list)  # 0 = shared prefix, k = option k's own tokens
    targets: list[tuple[int, int, int]] = field(default_factory=list)  # (member, predicting input index, token)
    members: list[int] = field(default_factory=list)  # which Encoded (global index) member k scores


def common_prefix_length(sequences: Sequence[Sequence[int]]) -> int:
    first = sequences[0]
    n = min(len(s) for s in sequences)
    for i in range(n):
        token = first[i]
        if any(s[i] != token for s in sequences[1:]):
            return i
    return n


def build_row(encoded: Sequence[Encoded], members: Sequence[int]) -> Row:
    """One row scoring all of ``encoded`` (global indices ``members``) with their common prefix shared."""
    p = common_prefix_length([e.ids for e in encoded]) if len(encoded) > 1 else len(encoded[0].ids)
    prefix_inputs = p if any(len(e.ids) > p for e in encoded) else p - 1
    row = Row(members=list(members))
    row.ids = list(encoded[0].ids[:prefix_inputs])
    row.positions = list(range(prefix_inputs))
    row.segments = [0] * prefix_inputs
    for k, enc in enumerate(encoded):
        base = len(row.ids)
        own = enc.ids[p:-1]
        row.ids += own
        row.positions += range(p, p + len(own))
        row.segments += [k + 1] * len(own)
        for t, keep in enumerate(enc.scored):  # ids[t + 1] is predicted by input index t of this option
            if keep:
                row.targets.append((k, t if t < p else base + t - p, enc.ids[t + 1]))
    return row


def batch_tensors(rows: Sequence[Row], dtype: torch.dtype):
    """input_ids, position_ids and (if any row shares a prefix) a 4D additive attention mask."""
    width = max(max(len(r.ids) for r in rows), 1)
    input_ids = torch.zeros((len(rows), width), dtype=torch.long)
    positions = torch.zeros((len(rows), width), dtype=torch.long)
    segments = torch.full((len(rows), width), -1, dtype=torch.long)
    for i, row in enumerate(rows):
        n = len(row.ids)
        input_ids[i, :n] = torch.tensor(row.ids, dtype=torch.long)
        positions[i, :n] = torch.tensor(row.positions, dtype=torch.long)
        segments[i, :n] = torch.tensor(row.segments, dtype=torch.long)
    if not bool((segments > 0).any()):
        return input_ids, None, None  # plain causal rows, right padding: no mask needed
    causal = torch.ones((width, width), dtype=torch.bool).tril()
    key = segments[:, None, :]
    allowed = causal & ((key == 0) | (key == segments[:, :, None]))
    mask = torch.zeros(allowed.shape, dtype=dtype).masked_fill_(~allowed, torch.finfo(dtype).min)
    return input_ids, positions, mask[:, None]
