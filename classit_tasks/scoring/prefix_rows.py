"""Pack token sequences into rows that compute every shared token prefix once (a prefix trie per row).

BLiMP pairs share their first words and a paradigm's items share template openings, entity-tracking options
share a ~200-word prompt, EWoK options share their context. Sorting all sequences lexicographically puts
sequences with a common prefix next to each other; a row is then the prefix trie of a run of them, flattened in
that order. Each trie node is one input position: it attends to its ancestors and itself only (a tree mask) and
carries its depth as position id, so every sequence's log-probabilities equal those of its own forward pass,
while shared prefixes go through the layers, the LM head and the log-softmax once. A row that holds a single
sequence is an ordinary causal row; its last token, never an input, is dropped as in any causal scorer.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import Sequence

import torch


@dataclass
class Encoded:
    """A token sequence and which of its targets (positions 1..n-1) are scored."""

    ids: list[int]
    scored: list[bool]  # len(ids) - 1 entries: scored[t] says whether ids[t + 1] is scored


def _ints() -> array:
    return array("q")


@dataclass
class Row:
    """One input row: trie nodes, and the scored targets of its member sequences.

    Stored as flat integer arrays (8 bytes per entry instead of a Python object each), since a run over full BLiMP
    holds ~1M nodes and ~1.5M targets at once.
    """

    ids: array = field(default_factory=_ints)  # input token of each trie node
    positions: array = field(default_factory=_ints)  # depth of each node = its position id
    parents: array = field(default_factory=_ints)  # parent node of each node (-1 for a root)
    target_member: array = field(default_factory=_ints)  # per scored target: member (index into members)
    target_node: array = field(default_factory=_ints)  # ... the node whose output predicts it
    target_token: array = field(default_factory=_ints)  # ... the token
    members: list[int] = field(default_factory=list)  # global index of each member sequence

    @property
    def is_chain(self) -> bool:
        return len(self.members) <= 1


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def pack_rows(encoded: Sequence[Encoded], max_row_tokens: int, share_prefixes: bool = True) -> list[Row]:
    """Rows of at most ``max_row_tokens`` trie nodes, or twice the length of the row's first sequence if that is
    more: long sequences still share their prefix with their neighbours (an entity-tracking prompt of ~170 tokens
    and its options fit one row), while the attention width of rows of short sequences stays small."""
    order = sorted(range(len(encoded)), key=lambda i: encoded[i].ids) if share_prefixes else range(len(encoded))
    rows: list[Row] = []
    row: Row | None = None
    limit = max_row_tokens
    stack: list[int] = []  # trie path of the previous sequence: node index at each depth
    previous: Sequence[int] = ()
    for index in order:
        enc = encoded[index]
        inputs = len(enc.ids) - 1  # nodes this sequence needs: prefixes of length 1 .. n-1
        shared = min(_common_prefix(previous, enc.ids), len(stack)) if share_prefixes and row else 0
        if row is None or not share_prefixes or len(row.ids) + inputs - shared > limit:
            row, stack, shared = Row(), [], 0
            limit = max(max_row_tokens, 2 * inputs)
            rows.append(row)
        # New nodes for depths shared .. inputs-1: a chain hanging off the node at depth shared-1.
        first = len(row.ids)
        if inputs > shared:
            row.parents.append(stack[shared - 1] if shared else -1)
            row.parents.extend(range(first, first + inputs - shared - 1))
            row.ids.extend(enc.ids[shared:inputs])
            row.positions.extend(range(shared, inputs))
        stack[shared:] = range(first, first + inputs - shared)
        member = len(row.members)
        row.members.append(index)
        scored = [t for t, keep in enumerate(enc.scored) if keep]  # ids[t + 1] is predicted by the node at depth t
        row.target_member.extend([member] * len(scored))
        row.target_node.extend([stack[t] for t in scored])
        row.target_token.extend([enc.ids[t + 1] for t in scored])
        previous = enc.ids
    return rows


def batch_tensors(rows: Sequence[Row], dtype: torch.dtype):
    """input_ids, position_ids and (unless every row is a plain chain) a 4D additive tree attention mask."""
    width = max(max(len(r.ids) for r in rows), 1)
    input_ids = _padded([row.ids for row in rows], width, 0)
    positions = _padded([row.positions for row in rows], width, 0)
    if all(row.is_chain for row in rows):
        return input_ids, None, None  # causal rows, right padding: no mask needed
    # Ancestors-or-self of every node: walk all parent pointers up one level at a time (max depth steps).
    parents = _padded([row.parents for row in rows], width, -1)
    allowed = torch.eye(width, dtype=torch.bool).repeat(len(rows), 1, 1)  # self (padding attends to itself only)
    b_idx = torch.arange(len(rows))[:, None].expand(-1, width)
    q_idx = torch.arange(width)[None, :].expand(len(rows), -1)
    ancestor = parents
    while True:
        found = ancestor >= 0
        if not found.any():
            break
        allowed[b_idx[found], q_idx[found], ancestor[found]] = True
        ancestor = torch.where(found, parents.gather(1, ancestor.clamp(min=0)), -1)
    mask = torch.zeros(allowed.shape, dtype=dtype).masked_fill_(~allowed, torch.finfo(dtype).min)
    return input_ids, positions, mask[:, None]


def _tensor(values: array) -> torch.Tensor:
    return torch.frombuffer(values, dtype=torch.int64) if len(values) else torch.zeros(0, dtype=torch.int64)


def _padded(arrays: Sequence[array], width: int, fill: int) -> torch.Tensor:
    """One row per array, right-padded with ``fill`` to ``width``."""
    out = torch.full((len(arrays), width), fill, dtype=torch.long)
    for i, values in enumerate(arrays):
        if len(values):
            out[i, : len(values)] = _tensor(values)
    return out


def batch_targets(rows: Sequence[Row], width: int):
    """The scored targets of a batch as flat tensors: input position (row * width + node), token, and owner (the
    member's index in the batch, members numbered row by row)."""
    flat, tokens, owners = [], [], []
    first_member = 0
    for r, row in enumerate(rows):
        flat.append(_tensor(row.target_node) + r * width)
        tokens.append(_tensor(row.target_token))
        owners.append(_tensor(row.target_member) + first_member)
        first_member += len(row.members)
    return torch.cat(flat), torch.cat(tokens), torch.cat(owners)
