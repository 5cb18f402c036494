"""Data-parallel classit-hf: two processes (torchrun, gloo on CPU) give the same per-item scores as one."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import REPO
from tiny_models import EVAL_DATA

from classit_tasks.cli import main

TASKS = "classit_blimp_anaphor_gender_agreement,classit_ewok_fast_social_properties"


def _samples(folder) -> dict:
    out = {}
    for path in folder.rglob("samples_*.jsonl"):
        task = path.name[len("samples_"):].rsplit("_", 1)[0]
        for line in path.read_text().splitlines():
            sample = json.loads(line)
            out[(task, sample["doc_id"])] = [float(r[0][0]) for r in sample["resps"]]
    return out


def _results(folder) -> dict:
    [path] = list(folder.rglob("results_*.json"))
    return json.loads(path.read_text())["results"]


@pytest.mark.skipif(shutil.which("torchrun") is None, reason="torchrun not installed")
def test_two_processes_equal_one(checkpoints, tmp_path, one_thread):
    common = ["--model_args", f"pretrained={checkpoints['nobos']}", "--tasks", TASKS, "--data_dir", str(EVAL_DATA),
              "--device", "cpu", "--limit", "24", "--log_samples"]
    assert main([*common, "--output_path", str(tmp_path / "one")]) == 0
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    env.pop("ACCELERATE_USE_CPU", None)
    proc = subprocess.run(["torchrun", "--standalone", "--nproc_per_node", "2", "-m", "classit_tasks.cli", *common,
                           "--output_path", str(tmp_path / "two")], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "data-parallel over 2 processes" in proc.stderr and "on rank 1" in proc.stderr  # the work was split
    one, two = _samples(tmp_path / "one"), _samples(tmp_path / "two")
    assert one.keys() == two.keys() and len(one) == 24 * 2
    for key in one:  # float32 sums over differently composed batches: equal to ~1e-7 relative
        assert two[key] == pytest.approx(one[key], rel=1e-5, abs=1e-5), key
    r1, r2 = _results(tmp_path / "one"), _results(tmp_path / "two")
    for task in r1:
        assert r2[task]["acc,none"] == r1[task]["acc,none"], task
    assert len(list((tmp_path / "two").rglob("results_*.json"))) == 1  # rank 0 alone writes
