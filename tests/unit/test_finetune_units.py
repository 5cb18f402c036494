"""Unit tests of the fine-tuning wrapper: protocol constants, schedule, optimizer, head, pooling, tasks, YAMLs (no
data: the tests on the real GLUE files are in tests/integration/test_finetune_task_files.py)."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from classit_tasks.finetune import metrics as M
from classit_tasks.finetune.cli import build_parser, make_config
from classit_tasks.finetune.config import FinetuneConfig
from classit_tasks.finetune.model import ClassificationHead, pool
from classit_tasks.finetune.schedule import build_optimizer, build_scheduler, lr_factor, warmup_steps
from classit_tasks.finetune.tasks import TASKS, resolve_tasks
from classit_tasks.finetune.train import heldout_split

REPO = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- protocol constants (spec "(Super)GLUE")
def test_protocol_defaults():
    cfg = FinetuneConfig()
    assert (cfg.learning_rate, cfg.betas, cfg.eps, cfg.weight_decay) == (3e-5, (0.9, 0.999), 1e-8, 0.01)
    assert (cfg.warmup_fraction, cfg.min_lr_factor, cfg.max_length, cfg.seeds, cfg.dropout) == (
        0.06, 0.1, 512, (42,), 0.1)
    assert (cfg.pooling, cfg.select_on) == ("last", "heldout")
    assert {n: (t.batch_size, t.epochs) for n, t in TASKS.items()} == {
        "boolq": (16, 10), "multirc": (16, 10), "rte": (32, 10), "wsc": (32, 30),
        "mrpc": (32, 10), "qqp": (32, 10), "mnli": (32, 10)}
    assert {n: t.metric for n, t in TASKS.items() if t.metric != "acc"} == {"mrpc": "f1", "qqp": "f1"}
    assert TASKS["mnli"].num_labels == 3 and all(t.num_labels == 2 for n, t in TASKS.items() if n != "mnli")


# ---------------------------------------------------------------- schedule and optimizer
def test_schedule_warmup_six_percent_then_cosine_to_a_tenth():
    total = 1000
    warm = warmup_steps(total, 0.06)
    assert warm == 60
    f = [lr_factor(s, total, warm, 0.1) for s in range(total + 50)]
    assert f[0] == 0.0 and f[30] == pytest.approx(0.5) and f[60] == pytest.approx(1.0)
    assert all(b > a for a, b in zip(f[:60], f[1:61]))  # linear, increasing warmup
    assert all(b <= a + 1e-12 for a, b in zip(f[60:total], f[61:total + 1]))  # monotone decay
    mid = 60 + (total - 60) // 2
    assert f[mid] == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * ((mid - 60) / 940))))
    assert f[mid] == pytest.approx(0.55, abs=1e-3)  # halfway through the cosine: (1 + 0.1) / 2
    assert f[total] == pytest.approx(0.1) and min(f[60:]) == pytest.approx(0.1)  # floor, never below


def test_scheduler_drives_adamw_as_specified():
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.LayerNorm(4))
    cfg = FinetuneConfig()
    opt = build_optimizer(model, cfg)
    assert isinstance(opt, torch.optim.AdamW)
    (group,) = opt.param_groups  # weight decay on all parameters, biases and norms included
    assert len(group["params"]) == 4
    assert (group["lr"], group["betas"], group["eps"], group["weight_decay"], group["amsgrad"]) == (
        3e-5, (0.9, 0.999), 1e-8, 0.01, False)
    sched = build_scheduler(opt, 100, cfg)
    assert opt.param_groups[0]["lr"] == 0.0  # warmup starts from zero
    lrs = []
    for _ in range(100):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs[6] == pytest.approx(3e-5) and max(lrs) == pytest.approx(3e-5)
    assert lrs[3] == pytest.approx(1.5e-5)
    assert lrs[-1] == pytest.approx(3e-6, rel=0.02)


# ---------------------------------------------------------------- head and pooling
def test_head_architecture():
    head = ClassificationHead(8, 3, dropout=0.1)
    kinds = [type(m).__name__ for m in head.net]
    assert kinds == ["LayerNorm", "Linear", "GELU", "LayerNorm", "Dropout", "Linear"]
    assert head.net[0].weight is None and head.net[3].weight is None  # no affine
    assert head.net[1].weight.shape == (8, 8) and head.net[5].weight.shape == (3, 8) and head.net[4].p == 0.1


def test_pooling_picks_first_last_mean_with_either_padding():
    hidden = torch.arange(2 * 4 * 1, dtype=torch.float).reshape(2, 4, 1)  # values = position index (+4 row 2)
    right = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0]])
    left = torch.tensor([[0, 1, 1, 1], [0, 0, 1, 1]])
    assert pool(hidden, right, "first").flatten().tolist() == [0.0, 4.0]
    assert pool(hidden, right, "last").flatten().tolist() == [2.0, 5.0]
    assert pool(hidden, left, "last").flatten().tolist() == [3.0, 7.0]
    assert pool(hidden, right, "mean").flatten().tolist() == [1.0, 4.5]


def test_pad_token_fallback():
    from tokenizers import Tokenizer, models
    from transformers import LlamaConfig, LlamaModel, PreTrainedTokenizerFast

    from classit_tasks.finetune.model import ensure_pad_token, fit_embeddings

    def tokenizer(**special):
        vocab = {"a": 0, "b": 1, "</s>": 2}
        return PreTrainedTokenizerFast(tokenizer_object=Tokenizer(models.WordLevel(vocab, unk_token="a")), **special)

    with_eos = tokenizer(eos_token="</s>")
    assert with_eos.pad_token is None and ensure_pad_token(with_eos) == "eos_token" and with_eos.pad_token_id == 2
    bare = tokenizer()
    assert ensure_pad_token(bare) == "added <pad>" and bare.pad_token_id == 3
    backbone = LlamaModel(LlamaConfig(vocab_size=3, hidden_size=8, intermediate_size=16, num_hidden_layers=1,
                                      num_attention_heads=2, num_key_value_heads=2))
    fit_embeddings(backbone, bare)
    assert backbone.get_input_embeddings().num_embeddings == 4


# ---------------------------------------------------------------- tasks and data
def test_input_templates_are_the_spec_templates():
    wsc = {"text": "Mark told Pete lies.", "span1_text": "Mark", "span2_text": "He", "label": 0}
    assert TASKS["wsc"].texts(wsc) == ('Does "He" refer to "Mark" in this passage?', "Mark told Pete lies.")
    mrc = {"paragraph": "P.", "question": "Q?", "answer": "A", "label": 1}
    assert TASKS["multirc"].texts(mrc) == ("Question: Q? Answer: A", "P.")
    assert TASKS["boolq"].texts({"question": "q", "passage": "p", "label": 1}) == ("q", "p")
    assert TASKS["qqp"].texts({"question1": "a", "question2": "b", "label": 1}) == ("a", "b")
    assert TASKS["mnli"].texts({"premise": "a", "hypothesis": "b", "label": 2}) == ("a", "b")


def test_resolve_tasks():
    assert [t.name for t in resolve_tasks("classit_glue")] == list(TASKS)
    assert [t.name for t in resolve_tasks("rte,classit_glue_wsc,rte")] == ["rte", "wsc"]
    with pytest.raises(ValueError, match="unknown task 'cola'"):
        resolve_tasks("rte,cola")


def test_heldout_split_is_disjoint_grouped_and_fixed():
    records = [{"text": f"t{i // 3}", "label": i % 2} for i in range(300)]
    fit, held = heldout_split(TASKS["wsc"], records, 0.1, seed=0)
    assert len(fit) + len(held) == 300 and 27 <= len(held) <= 33
    assert not {r["text"] for r in fit} & {r["text"] for r in held}  # a WSC text never on both sides
    assert heldout_split(TASKS["wsc"], records, 0.1, seed=0) == (fit, held)


def test_bad_label_names_file_line_and_field(tmp_path):
    from classit_tasks.tasks.data import ClassitDataError
    from classit_tasks.finetune.tasks import load_split

    folder = tmp_path / "glue_filtered"
    folder.mkdir()
    (folder / "rte.valid.jsonl").write_text('{"sentence1": "a", "sentence2": "b", "label": 1}\n'
                                            '{"sentence1": "a", "sentence2": "b", "label": 2}\n')
    with pytest.raises(ClassitDataError, match=r"rte\.valid\.jsonl:2: field 'label' must be 0\.\.1, got 2"):
        load_split(TASKS["rte"], "valid", tmp_path)


# ---------------------------------------------------------------- metrics
def test_metrics_and_seed_summary():
    labels, preds = np.array([1, 1, 0, 0, 1]), np.array([1, 0, 0, 1, 1])
    assert M.compute("acc", labels, preds) == pytest.approx(0.6)
    assert M.compute("f1", labels, preds) == pytest.approx(2 / 3)
    assert M.compute("mcc", labels, preds) == pytest.approx(1 / 6)
    assert M.stderr("acc", labels, preds) == pytest.approx(np.std([1, 0, 1, 0, 1], ddof=1) / math.sqrt(5))
    runs = [{"acc": 0.5, "acc_stderr": 0.1}, {"acc": 0.7, "acc_stderr": 0.3}]
    out = M.summarize(runs, ("acc",))
    assert out["acc,none"] == pytest.approx(0.6) and out["acc_stderr,none"] == pytest.approx(0.2)
    assert out["acc_seed_std,none"] == pytest.approx(np.std([0.5, 0.7], ddof=1))
    assert "acc_seed_std,none" not in M.summarize(runs[:1], ("acc",))


def test_bootstrap_metrics_from_confusion_counts_match_sklearn():
    from sklearn.metrics import f1_score, matthews_corrcoef

    rng = np.random.default_rng(0)
    for k in (2, 3):
        labels, preds = rng.integers(0, k, 60), rng.integers(0, k, 60)
        cm = np.zeros((1, k, k))
        np.add.at(cm[0], (labels, preds), 1)
        assert M._from_confusion("mcc", cm)[0] == pytest.approx(matthews_corrcoef(labels, preds))
        if k == 2:
            assert M._from_confusion("f1", cm)[0] == pytest.approx(f1_score(labels, preds))
    labels, preds = rng.integers(0, 2, 400), rng.integers(0, 2, 400)
    assert 0.01 < M.stderr("f1", labels, preds) < 0.06 and 0.02 < M.stderr("mcc", labels, preds) < 0.08


# ---------------------------------------------------------------- parity flags
def _cfg(*argv):
    return make_config(build_parser().parse_args(["--model_args", "pretrained=/x", *argv]))


def test_parity_flag_sets_the_2025_behaviour():
    assert (_cfg().pooling, _cfg().select_on, _cfg().parity) == ("last", "heldout", False)
    parity = _cfg("--parity")
    assert (parity.pooling, parity.select_on, parity.padding_side, parity.parity) == ("first", "valid", "right", True)
    assert _cfg("--pooling", "mean", "--select_on", "valid").pooling == "mean"
    assert _cfg("--seeds", "1,2,3").seeds == (1, 2, 3)
    with pytest.raises(ValueError, match="--parity uses --pooling first"):
        _cfg("--parity", "--pooling", "last")


# ---------------------------------------------------------------- YAMLs
def test_glue_yamls_are_generated_from_the_family_module():
    """The zero-shot YAMLs are written from classit_tasks/tasks/glue.py (the table the fine-tuning wrapper reads),
    and are up to date (the read-only check of the one generator)."""
    from classit_tasks.finetune import tasks as finetune_tasks
    from classit_tasks.tasks import glue

    assert finetune_tasks.TASKS is glue.TASKS  # one home for the GLUE facts
    proc = subprocess.run([sys.executable, "-m", "classit_tasks.tasks.yamls", "--check", "--task_dir",
                           str(REPO / "task_yamls")], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    paths = sorted((REPO / "task_yamls/glue").glob("*.yaml"))
    assert len(paths) == len(glue.TASKS) + 1
    for path in paths:
        assert path.read_text().startswith(
            "# Generated by python -m classit_tasks.tasks.yamls; edit classit_tasks/tasks/glue.py instead\n"), path
