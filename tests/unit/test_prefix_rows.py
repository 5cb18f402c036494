"""Prefix-trie rows: which sequences share a row, what the nodes and targets are."""

from __future__ import annotations

import torch

from classit_tasks.scoring.prefix_rows import Encoded, batch_targets, batch_tensors, pack_rows


def seq(ids, scored_from=1):
    """A sequence whose tokens from index ``scored_from`` on are scored."""
    return Encoded(list(ids), [t + 1 >= scored_from for t in range(len(ids) - 1)])


def test_trie_nodes_and_targets():
    a, b = seq([5, 6, 7, 8]), seq([5, 6, 9])
    (row,) = pack_rows([a, b], 128)
    # Inputs are all prefixes but the full sequence: a needs 5,6,7; b needs 5,6 (shared with a).
    assert list(row.ids) == [5, 6, 7]
    assert list(row.positions) == [0, 1, 2]
    assert list(row.parents) == [-1, 0, 1]
    assert sorted(row.members) == [0, 1]
    targets = sorted(zip(row.target_member, row.target_node, row.target_token))
    member_a, member_b = row.members.index(0), row.members.index(1)
    assert targets == sorted([(member_a, 0, 6), (member_a, 1, 7), (member_a, 2, 8),
                              (member_b, 0, 6), (member_b, 1, 9)])


def test_row_limit_short_and_long_sequences():
    # Short sequences: rows stay within max_row_tokens.
    short = [seq([1, i % 7 + 2, i % 5 + 2, 3]) for i in range(40)]
    assert all(len(r.ids) <= 16 for r in pack_rows(short, 16))
    # Long sequences sharing a long prompt (entity tracking): one row, though longer than max_row_tokens.
    prompt = list(range(10, 210))
    options = [seq(prompt + [300 + k, 400 + k], scored_from=200) for k in range(5)]
    rows = pack_rows(options, 128)
    assert len(rows) == 1
    assert len(rows[0].ids) == 200 + 5  # the prompt once, then one node per option
    # Without sharing, one row per sequence.
    assert len(pack_rows(options, 128, share_prefixes=False)) == 5


def test_tree_mask_lets_a_node_see_its_ancestors_only():
    a, b = seq([5, 6, 7, 8]), seq([5, 9, 4])
    rows = pack_rows([a, b], 128)
    input_ids, positions, mask = batch_tensors(rows, torch.float32)
    (row,) = rows
    assert list(row.ids) == [5, 6, 7, 9]
    visible = (mask[0, 0] == 0).int().tolist()
    assert visible == [[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 0, 0, 1]]
    assert positions[0].tolist() == [0, 1, 2, 1]
    flat, tokens, owners = batch_targets(rows, input_ids.shape[1])
    assert len(flat) == len(tokens) == len(owners) == 5
