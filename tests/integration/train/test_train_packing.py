"""Packing boundaries, no cross-example attention (packed per-token losses == each example run alone)."""

from __future__ import annotations

from itertools import islice

import pytest
import torch
import torch.nn.functional as F

from classit_train import Record, build_model
from classit_train.data.formatting import IGNORE_INDEX, encode_record
from classit_train.data.packing import PackedCollator, RowsDataset, pack_examples
from classit_train.data.sources import iter_source

from train_helpers import BABYLM_DEV, SWITCHBOARD, WIKI_DEV

TOLERANCE = 1e-5  # float32 on CPU; leakage shows up as differences of order 1e-1


def real_examples(tok, max_len, n=60):
    sw = islice(iter_source({"type": "switchboard", "paths": [str(SWITCHBOARD)]}, "sw"), n)
    wiki = islice(iter_source({"type": "simple_wiki", "paths": [str(WIKI_DEV)]}, "wiki"), n)
    text = islice(iter_source({"type": "plain_text", "paths": [str(BABYLM_DEV[0])], "words_per_record": 40}, "t"), n)
    return [e for r in [*sw, *wiki, *text] for e in encode_record(tok, r, max_len, loss_on="reply")]


def test_packing_keeps_every_example_once_within_bounds(tokenizer):
    examples = real_examples(tokenizer, 128)
    rows = pack_examples(examples, 128, seed=3)
    assert all(len(r.input_ids) <= 128 and sum(r.lengths) == len(r.input_ids) for r in rows)
    packed = sorted(tuple(r.input_ids[o:o + n]) for r in rows for o, n in zip(_offsets(r.lengths), r.lengths))
    assert packed == sorted(tuple(e.input_ids) for e in examples)
    assert sum(r.num_words for r in rows) == sum(e.num_words for e in examples)
    fill = sum(len(r.input_ids) for r in rows) / (len(rows) * 128)
    assert fill > 0.9, f"rows are only {fill:.1%} full"  # a small sample; the benchmark measures the real mix

    batch = PackedCollator(tokenizer.pad_token_id)([RowsDataset(rows)[i] for i in range(4)])
    for r, row in enumerate(rows[:4]):
        starts = _offsets(row.lengths)
        pos = batch["position_ids"][r].tolist()
        assert [i for i, p in enumerate(pos[: len(row.input_ids)]) if p == 0] == starts  # resets exactly at boundaries
        assert all(batch["labels"][r, s].item() == IGNORE_INDEX for s in starts)  # no cross-example target
        assert (batch["labels"][r, len(row.input_ids):] == IGNORE_INDEX).all()
    assert "attention_mask" not in batch


def _offsets(lengths):
    out, o = [], 0
    for n in lengths:
        out.append(o)
        o += n
    return out


def _token_losses(model, batch):
    kwargs = {k: v for k, v in batch.items() if k in ("input_ids", "position_ids", "attention_mask")}
    logits = model(**kwargs, use_cache=False).logits
    labels = batch["labels"]
    losses = F.cross_entropy(logits[:, :-1].flatten(0, 1).float(), labels[:, 1:].flatten(), reduction="none")
    return losses.view(labels.shape[0], -1), labels[:, 1:] != IGNORE_INDEX


@pytest.mark.parametrize("attn", ["sdpa", "eager"])
@pytest.mark.parametrize("flatten", [False, True])
def test_packed_losses_equal_examples_alone(tokenizer, attn, flatten, one_thread):
    torch.manual_seed(0)
    model = build_model("tiny", tokenizer, seed=0, attn_implementation=attn).train()  # train(): as in training
    examples = real_examples(tokenizer, 96, n=6)
    rows = pack_examples(examples, 96, seed=0)[:3]
    collate = PackedCollator(tokenizer.pad_token_id, flatten=flatten)
    batch = collate([RowsDataset(rows)[i] for i in range(len(rows))])
    with torch.no_grad():
        packed, mask = _token_losses(model, batch)
        checked = 0
        for r, row in enumerate(rows):
            base = sum(len(x.input_ids) for x in rows[:r]) if flatten else 0
            out_row = 0 if flatten else r
            for off, n in zip(_offsets(row.lengths), row.lengths):
                ids = torch.tensor([row.input_ids[off:off + n]])
                labels = torch.tensor([row.labels[off:off + n]])
                alone, alone_mask = _token_losses(model, {"input_ids": ids, "labels": labels})
                got = packed[out_row, base + off: base + off + n - 1]
                diff = (got - alone[0])[alone_mask[0]].abs().max().item() if alone_mask.any() else 0.0
                assert diff < TOLERANCE, f"example at {off} leaks: max |Δloss| = {diff}"
                assert mask[out_row, base + off: base + off + n - 1].tolist() == alone_mask[0].tolist()
                checked += 1
        assert checked >= 4
        # the check has teeth: without the position-id resets, later examples see earlier ones
        leaky, _ = _token_losses(model, {"input_ids": batch["input_ids"], "labels": batch["labels"]})
        assert (leaky - packed)[mask].abs().max().item() > 1e-3


def test_trainer_loss_on_packed_batch_is_mean_over_examples(tokenizer, tmp_path, one_thread):
    from transformers import TrainingArguments

    from classit_train.checkpoints.state import TrainState
    from classit_train.training.trainer import ClassitTrainer

    model = build_model("tiny", tokenizer, seed=1).train()
    recs = [Record(prompt="How are you?", reply="Fine, thanks."), Record(text="the dog ran home fast"),
            Record(prompt="Tell me about cats.", reply="Cats are small animals that purr.")]
    examples = [e for r in recs for e in encode_record(tokenizer, r, 64)]
    rows = pack_examples(examples, 128)
    assert len(rows) == 1
    batch = PackedCollator(tokenizer.pad_token_id)([RowsDataset(rows)[0]])
    trainer = ClassitTrainer(model=model, args=TrainingArguments(output_dir=str(tmp_path), report_to=[], use_cpu=True),
                             train_state=TrainState("s", 0, 1))
    with torch.no_grad():
        loss = trainer.compute_loss(model, dict(batch)).item()
        total, count = 0.0, 0
        for e in examples:
            out = model(input_ids=torch.tensor([e.input_ids]), labels=torch.tensor([e.labels]), use_cache=False)
            n = sum(l != IGNORE_INDEX for l in e.labels[1:])
            total += out.loss.item() * n
            count += n
    # float32 means of ~6-nat token losses computed in two layouts: the rounding error scales with the magnitude
    assert loss == pytest.approx(total / count, rel=2e-6, abs=1e-6)
    assert trainer._pending.tolist() == [rows[0].num_words, len(rows[0].input_ids)]
