"""The fast suite end to end through `classit-eval` and through plain `lm_eval --include_path`, and bad input."""

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

LIMIT = "8"


def results_files(folder):
    return sorted(folder.rglob("results_*.json"))


def run(cmd, **kw):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900, **kw)


def check_results(path, expect_groups):
    results = json.loads(path.read_text())
    for key in ("results", "groups", "group_subtasks", "configs", "versions", "n-samples", "config"):
        assert key in results
    for group in expect_groups:
        assert 0.0 <= results["results"][group]["acc,none"] <= 1.0
    return results


def test_classit_eval_fast_suite(checkpoints, tmp_path):
    out = tmp_path / "out"
    proc = run(
        [sys.executable, "-m", "classit_tasks.cli", "--model_args", f"pretrained={checkpoints['bos']}",
         "--tasks", "classit_zero_shot_fast", "--data_dir", str(EVAL_DATA), "--device", "cpu",
         "--batch_size", "32", "--limit", LIMIT, "--output_path", str(out), "--log_samples"],
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    [path] = results_files(out)
    results = check_results(path, ["classit_blimp_fast", "classit_blimp_supplement_fast"])
    assert results["config"]["model"] == "classit-hf"
    assert len(list(out.rglob("samples_classit_blimp_fast_*.jsonl"))) == 67
    assert "Leaderboard summary" in proc.stdout and "| classit_blimp_fast |" in proc.stdout


def test_classit_eval_batches_64_rows_unless_told(checkpoints, tmp_path):
    """lm-eval's default batch size, 1, would score one row per forward pass: classit-eval defaults to 64."""
    for extra, expected in (([], "64"), (["--batch_size", "8"], "8")):
        out = tmp_path / f"out{expected}"
        code = main(["--model_args", f"pretrained={checkpoints['bos']}", "--tasks", "classit_blimp_supplement_fast",
                     "--data_dir", str(EVAL_DATA), "--device", "cpu", "--limit", "4", "--output_path", str(out),
                     *extra])
        assert code == 0
        [path] = results_files(out)
        assert str(json.loads(path.read_text())["config"]["batch_size"]) == expected


def test_plain_lm_eval_with_include_path(checkpoints, tmp_path):
    out = tmp_path / "out"
    proc = run(
        ["lm_eval", "--model", "hf", "--model_args", f"pretrained={checkpoints['nobos']},dtype=float32",
         "--tasks", "classit_blimp_fast,classit_blimp_supplement_fast", "--include_path", "task_yamls",
         "--device", "cpu", "--batch_size", "32", "--limit", LIMIT, "--output_path", str(out)],
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    [path] = results_files(out)
    check_results(path, ["classit_blimp_fast", "classit_blimp_supplement_fast"])


def _error(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err and err[-1].startswith("classit-eval: error: ")
    return err[-1]


@pytest.fixture
def base_args(checkpoints, tmp_path):
    return ["--model_args", f"pretrained={checkpoints['bos']}", "--device", "cpu", "--limit", "2",
            "--output_path", str(tmp_path / "out")]


def test_unknown_task(capsys, base_args, tmp_path):
    assert "nosuchtask" in _error(capsys, [*base_args, "--tasks", "nosuchtask"])
    assert not results_files(tmp_path)


def test_missing_data_folder(capsys, base_args, tmp_path):
    message = _error(capsys, [*base_args, "--tasks", "classit_blimp_fast", "--data_dir", str(tmp_path / "nope")])
    assert "nope" in message
    assert not results_files(tmp_path)


def test_checkpoint_without_tokenizer(capsys, checkpoints, tmp_path):
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("config.json", "model.safetensors"):
        shutil.copy(checkpoints["bos"] / name, bare / name)
    message = _error(capsys, ["--model_args", f"pretrained={bare}", "--tasks", "classit_blimp_fast",
                              "--device", "cpu", "--output_path", str(tmp_path / "out")])
    assert str(bare) in message and "tokenizer" in message
    assert not results_files(tmp_path)


def test_malformed_line_stops_the_run_without_results(capsys, base_args, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(EVAL_DATA / "fast_eval" / "supplement_fast", data / "fast_eval" / "supplement_fast")
    path = data / "fast_eval" / "supplement_fast" / "turn_taking.jsonl"
    lines = path.read_text().splitlines()
    lines[4] = "{not json"
    path.write_text("\n".join(lines) + "\n")
    message = _error(capsys, [*base_args, "--tasks", "classit_blimp_supplement_fast", "--data_dir", str(data)])
    assert f"{path}:5: malformed JSON" in message
    assert not results_files(tmp_path)
