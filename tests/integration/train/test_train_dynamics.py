"""Training dynamics (classit_train.analysis.dynamics) on the real corpora: packed == unpacked == a hand computation
with one forward pass per example, gradient accumulation, resume from a checkpoint, and 2 processes == 1 process."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from classit_train import parse_config, run_curriculum
from classit_train.analysis.dynamics import DYNAMICS_FILE, read_dynamics
from classit_train.data.formatting import IGNORE_INDEX

from train_helpers import REPO, tiny_config, write_config

TOL = 1e-5


def _run(config: dict, hook=None) -> Path:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return run_curriculum(parse_config(config), stage_data_hook=hook)
    finally:
        torch.set_num_threads(before)


def _config(out: Path, tokenizer_dir: Path, packing: bool, lr: float, batch: int, accumulation: int, epochs: int = 2,
            **training) -> dict:
    return tiny_config(out, tokenizer_dir, data={"packing": packing, "dynamics": True},
                       training={"per_device_train_batch_size": batch, "gradient_accumulation_steps": accumulation,
                                 "learning_rate": lr, "save_steps": 1000, **training},
                       stages=[{"name": "merged", "epochs": epochs,
                                "sources": [{"source": "switchboard"}, {"source": "simple_wiki"}]}])


def _aligned(a, b, field: str) -> tuple[np.ndarray, np.ndarray]:
    where = {k: i for i, k in enumerate(b.ids)}
    return getattr(a, field), getattr(b, field)[:, [where[k] for k in a.ids]]


@pytest.fixture(scope="module")
def frozen_runs(tmp_path_factory, tokenizer_dir):
    """lr = 0 (weights never change): a packed run with gradient accumulation and an unpacked run, 2 epochs each."""
    out = tmp_path_factory.mktemp("dyn")
    rows = {}
    packed = _run(_config(out / "packed", tokenizer_dir, True, 0.0, 4, 2),
                  hook=lambda stage, data: rows.__setitem__("data", data))
    unpacked = _run(_config(out / "unpacked", tokenizer_dir, False, 0.0, 8, 1))
    return {"packed": read_dynamics(packed / DYNAMICS_FILE), "unpacked": read_dynamics(unpacked / DYNAMICS_FILE),
            "model": packed, "data": rows["data"]}


def test_packed_equals_unpacked(frozen_runs):
    a, b = frozen_runs["packed"], frozen_runs["unpacked"]
    assert sorted(a.ids) == sorted(b.ids) and len(a.ids) == 240
    assert a.num_epochs == b.num_epochs == 2
    assert a.meta["packing"] is True and a.meta["gradient_accumulation_steps"] == 2
    for field in ("mean_prob", "geo_prob", "greedy"):
        x, y = _aligned(a, b, field)
        assert not np.isnan(x).any() and not np.isnan(y).any()
        np.testing.assert_allclose(x, y, atol=TOL, rtol=0, err_msg=field)
    x, y = _aligned(a, b, "tokens")
    assert (x == y).all() and (x > 0).all()


def test_dynamics_equal_one_forward_pass_per_example(frozen_runs):
    """The recorded values equal a direct computation: each example alone through the (unchanged) model."""
    from transformers import AutoModelForCausalLM

    dyn, data = frozen_runs["packed"], frozen_runs["data"]
    model = AutoModelForCausalLM.from_pretrained(str(frozen_runs["model"])).eval()
    position = {k: i for i, k in enumerate(dyn.ids)}
    checked = 0
    for row in data.rows[:6]:
        start = 0
        for length, index in zip(row.lengths, row.example_index):
            ids = torch.tensor([row.input_ids[start:start + length]])
            labels = row.labels[start:start + length]
            start += length
            with torch.no_grad():
                logits = model(input_ids=ids).logits[0].double()
            logp = torch.log_softmax(logits, -1)
            probs, logs, hits = [], [], []
            for t in range(1, length):
                if labels[t] == IGNORE_INDEX:
                    continue
                lp = float(logp[t - 1, labels[t]])
                probs.append(math.exp(lp))
                logs.append(lp)
                hits.append(int(logits[t - 1].argmax()) == labels[t])
            i = position[data.example_ids[index]]
            for epoch in range(dyn.num_epochs):
                assert dyn.tokens[epoch, i] == len(probs)
                assert dyn.mean_prob[epoch, i] == pytest.approx(sum(probs) / len(probs), abs=TOL)
                assert dyn.geo_prob[epoch, i] == pytest.approx(math.exp(sum(logs) / len(logs)), abs=TOL)
                assert dyn.greedy[epoch, i] == pytest.approx(sum(hits) / len(hits), abs=TOL)
            checked += 1
    assert checked >= 6


def test_resumed_stage_continues_the_dynamics(tmp_path, tokenizer_dir):
    """Drop the finished stage and its later checkpoints, rerun: the resumed dynamics equal the uninterrupted ones."""
    config = _config(tmp_path / "run", tokenizer_dir, True, 3e-3, 8, 1, save_steps=5)
    final = _run(config)
    whole = read_dynamics(final / DYNAMICS_FILE)
    ckpts = tmp_path / "run" / "checkpoints" / "01-merged"
    steps = sorted(int(p.name.split("-")[1]) for p in ckpts.glob("checkpoint-*"))
    assert len(steps) >= 3, steps
    keep = steps[len(steps) // 2]  # a checkpoint inside the run (mid-epoch or at an epoch's end)
    for step in steps:
        if step > keep:
            shutil.rmtree(ckpts / f"checkpoint-{step}")
    shutil.rmtree(tmp_path / "run" / "01-merged")
    (tmp_path / "run" / "final").unlink()
    resumed = read_dynamics(_run(config) / DYNAMICS_FILE)
    assert resumed.ids == whole.ids
    for field in ("mean_prob", "geo_prob", "greedy"):
        np.testing.assert_allclose(getattr(resumed, field), getattr(whole, field), atol=TOL, rtol=0, err_msg=field)
    assert (resumed.tokens == whole.tokens).all()


def test_recording_does_not_change_training(tmp_path, tokenizer_dir):
    """With dynamics the Trainer computes the loss through the recorder's loss function: same losses and weights."""
    from safetensors.torch import load_file

    with_dyn = _config(tmp_path / "on", tokenizer_dir, True, 3e-3, 4, 2, epochs=1, logging_steps=1)
    without = _config(tmp_path / "off", tokenizer_dir, True, 3e-3, 4, 2, epochs=1, logging_steps=1)
    without["data"]["dynamics"] = False
    on, off = _run(with_dyn), _run(without)
    assert (on / DYNAMICS_FILE).is_file() and not (off / DYNAMICS_FILE).exists()
    w_on, w_off = load_file(on / "model.safetensors"), load_file(off / "model.safetensors")
    for name in w_on:
        torch.testing.assert_close(w_on[name], w_off[name], atol=1e-5, rtol=0)


@pytest.mark.slow
def test_two_processes_equal_one(tmp_path, tokenizer_dir):
    """2 gloo processes x 4 rows record what 1 process x 8 rows records (per-rank sums all-reduced).

    lr = 0: with several processes the Trainer pads an epoch's last global batch with rows from its start, so a
    few examples are trained twice in that epoch (their tokens then count twice, pooled) and the weights of a
    learning run would differ from the 1-process run's."""
    config = _config(tmp_path / "one", tokenizer_dir, True, 0.0, 8, 1, epochs=1)
    config["sources"]["switchboard"]["max_records"], config["sources"]["simple_wiki"]["max_records"] = 100, 50
    one = read_dynamics(_run(config) / DYNAMICS_FILE)
    path = write_config(tmp_path / "cfg.yaml", config)
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               "-m", "classit_train", "train", str(path), "--output_path", str(tmp_path / "two"),
               "--set", "training.per_device_train_batch_size=4"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    two = read_dynamics(tmp_path / "two" / "final" / DYNAMICS_FILE)
    assert two.meta["world_size"] == 2 and two.ids == one.ids
    same = two.tokens == one.tokens
    assert (two.tokens[~same] == 2 * one.tokens[~same]).all()  # the padding rows only
    assert same.mean() > 0.8
    for field in ("mean_prob", "geo_prob", "greedy"):
        np.testing.assert_allclose(getattr(two, field), getattr(one, field), atol=TOL, rtol=0, err_msg=field)


