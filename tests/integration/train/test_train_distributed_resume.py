"""The Trainer engine end to end in real processes: 2 CPU processes (gloo, torchrun) match 1 process at the same
global batch, and a run killed with SIGKILL mid-stage and restarted ends with the uninterrupted run's weights."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from classit_train.checkpoints.state import is_complete, read_state

from train_helpers import run_in_process, REPO, SWITCHBOARD, WIKI_DEV, tiny_config, write_config

# 2 processes x 4 rows vs 1 process x 8 rows: same rows per optimizer step, gradients all-reduced in another order.
LOSS_RTOL = 1e-4
WEIGHT_ATOL = 1e-5


def _env():
    return {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false", "PYTHONUNBUFFERED": "1"}


def _run(command, timeout=300) -> subprocess.CompletedProcess:
    """Run a command in its own process group; on timeout kill the whole group (torchrun's workers included)."""
    proc = subprocess.Popen(command, cwd=REPO, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"{command[2:5]} timed out after {timeout}s: {err[-2000:]}")
    return subprocess.CompletedProcess(command, proc.returncode, out, err)


def _log_losses(trainer_dir: Path) -> list[float]:
    last = max(trainer_dir.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    return [h["loss"] for h in json.loads((last / "trainer_state.json").read_text())["log_history"] if "loss" in h]


def test_two_gloo_processes_match_one_process(tmp_path, tokenizer_dir):
    config = tiny_config(tmp_path / "one", tokenizer_dir,
                         training={"max_steps": 6, "lr_scheduler_type": "cosine", "per_device_train_batch_size": 8},
                         checkpoints={"at_words": [1000, 2000]})
    one = run_in_process(config)
    path = write_config(tmp_path / "cfg.yaml", config)
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                "-m", "classit_train", "train", str(path), "--output_path", str(tmp_path / "two"),
                "--set", "training.per_device_train_batch_size=4"]
    proc = _run(torchrun)
    assert proc.returncode == 0, proc.stderr[-3000:]
    two = tmp_path / "two" / "final"

    l1, l2 = _log_losses(tmp_path / "one" / "checkpoints" / "01-merged"), _log_losses(tmp_path / "two" / "checkpoints" / "01-merged")
    assert len(l1) == len(l2) == 6
    assert l2 == pytest.approx(l1, rel=LOSS_RTOL), (l1, l2)
    s1, s2 = read_state(one), read_state(two)
    assert (s1.words_seen, s1.tokens_seen, s1.global_step) == (s2.words_seen, s2.tokens_seen, s2.global_step)
    w1, w2 = load_file(one / "model.safetensors"), load_file(two / "model.safetensors")
    for name in w1:
        torch.testing.assert_close(w2[name], w1[name], atol=WEIGHT_ATOL, rtol=0)
    # milestones: both ranks agree on the (synced) words seen; one folder each, written by rank 0 only
    for milestone in ("chck_1K", "chck_2K"):
        m1, m2 = read_state(tmp_path / "one" / milestone), read_state(tmp_path / "two" / milestone)
        assert (m1.words_seen, m1.global_step) == (m2.words_seen, m2.global_step) and m2.milestone_words > 0
    assert not list((tmp_path / "two").glob(".tmp-*"))
    print(f"1 vs 2 processes: max |Δloss| = {max(abs(a - b) for a, b in zip(l1, l2)):.2e}")


def test_kill_9_mid_stage_then_resume_equals_uninterrupted(tmp_path, tokenizer_dir):
    config = tiny_config(tmp_path / "ref", tokenizer_dir,
                         training={"save_steps": 5, "lr_scheduler_type": "cosine", "warmup_ratio": 0.1},
                         sources={"switchboard": {"type": "switchboard", "paths": [str(SWITCHBOARD)], "max_records": 300},
                                  "simple_wiki": {"type": "simple_wiki", "paths": [str(WIKI_DEV)], "max_records": 120}})
    reference = run_in_process(config)
    ref_state = read_state(reference)
    assert ref_state.stage_step >= 20

    config["output_dir"] = str(tmp_path / "killed")
    path = write_config(tmp_path / "cfg.yaml", config)
    command = [sys.executable, "-m", "classit_train", "train", str(path)]
    trainer_dir = tmp_path / "killed" / "checkpoints" / "01-merged"
    proc = subprocess.Popen(command, cwd=REPO, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.time() + 240
        while not is_complete(trainer_dir / "checkpoint-10"):
            assert proc.poll() is None, "training ended before it could be killed"
            assert time.time() < deadline, "no checkpoint-10 within the time limit"
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (tmp_path / "killed" / "01-merged").exists(), "killed after the stage ended: nothing tested"
    survivors = sorted(p.name for p in trainer_dir.iterdir() if p.name.startswith("checkpoint-"))
    assert all(is_complete(trainer_dir / name) for name in survivors)  # no half-written folder under a final name

    resumed = _run(command)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resuming stage merged from" in resumed.stderr
    final = tmp_path / "killed" / "final"
    state = read_state(final)
    assert (state.stage_step, state.words_seen, state.tokens_seen) == (ref_state.stage_step, ref_state.words_seen,
                                                                      ref_state.tokens_seen)
    w_ref, w_res = load_file(reference / "model.safetensors"), load_file(final / "model.safetensors")
    assert w_ref.keys() == w_res.keys()
    for name in w_ref:
        assert torch.equal(w_ref[name], w_res[name]), f"{name} differs after resume"
