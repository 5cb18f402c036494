"""Config and input errors are one line naming the field (or file:line); the CLI prints them without a traceback.
The errors that need no corpus and no tokenizer are unit tests (tests/unit/train/test_train_config_files.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from classit_train import ConfigError, parse_config
from classit_train.cli import main

from train_helpers import REPO, tiny_config, write_config


@pytest.mark.parametrize("change, message", [
    ({"training": {"learning_rate": "fast"}}, "training.learning_rate: expected a number, got 'fast'"),
    ({"training": {"per_device_train_batch_sise": 8}}, "training.per_device_train_batch_sise: unknown field"),
    ({"data": {"loss_on": "prompt"}}, "data.loss_on: must be one of 'reply', 'all'; got 'prompt'"),
    ({"model": {"preset": "huge"}}, "model.preset: unknown preset 'huge'"),
    ({"stages": [{"name": "s", "sources": [{"source": "nope"}]}]}, "stages[0].sources[0].source: unknown source 'nope'"),
    ({"stages": [{"name": "s", "sources": [{"source": "switchboard", "weight": 0}]}]}, "stages[0].sources[0].weight: must be > 0"),
    ({"stages": [{"name": "s", "epochs": "two", "sources": [{"source": "switchboard"}]}]}, "stages[0].epochs: expected"),
    ({"sources": {"sw": {"type": "switchbord", "paths": ["x"]}}}, "sources.sw.type: unknown source type 'switchbord'"),
    ({"sources": {"sw": {"type": "switchboard", "paths": ["x"], "backchannels": "maybe"}}},
     "sources.sw.backchannels: must be one of 'drop', 'absorb', 'keep'"),
    ({"sources": {"sw": {"type": "prompt_reply"}}}, "sources.sw.paths: give either `paths`"),
    ({"stages": []}, "stages: at least one stage is required"),
])
def test_config_errors_name_the_field(tmp_path, tokenizer_dir, change, message):
    config = tiny_config(tmp_path / "out", tokenizer_dir, **change)
    with pytest.raises(ConfigError) as info:
        parse_config(config)
    assert str(info.value).startswith(message), str(info.value)
    assert "\n" not in str(info.value)


def test_missing_data_file_and_env_var_are_config_errors(tmp_path, tokenizer_dir, capsys, monkeypatch):
    config = tiny_config(tmp_path / "out", tokenizer_dir,
                         sources={"switchboard": {"type": "switchboard", "paths": [str(tmp_path / "missing.train")]},
                                  "simple_wiki": {"type": "switchboard", "paths": ["${CLASSIT_NOT_SET_VAR}/x.train"]}})
    path = write_config(tmp_path / "c.yaml", config)
    assert main(["data", "build", str(path), "--output_path", str(tmp_path / "b"), "--source", "switchboard"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("classit-train: error: sources.switchboard.paths[0]: no file matches") and err.count("\n") == 1
    monkeypatch.delenv("CLASSIT_NOT_SET_VAR", raising=False)
    assert main(["data", "build", str(path), "--output_path", str(tmp_path / "b"), "--source", "simple_wiki"]) == 2
    assert "sources.simple_wiki.paths[0]: environment variable CLASSIT_NOT_SET_VAR is not set" in capsys.readouterr().err


def test_bad_input_line_through_cli_names_file_and_line(tmp_path, tokenizer_dir, capsys):
    bad = tmp_path / "sw.train"
    bad.write_text("A:\tHi.\nB:\tHello.\nthis line has no speaker\n", encoding="utf-8")
    config = tiny_config(tmp_path / "out", tokenizer_dir, sources={"sw": {"type": "switchboard", "paths": [str(bad)]}},
                         stages=[{"name": "s", "sources": [{"source": "sw"}]}])
    path = write_config(tmp_path / "c.yaml", config)
    assert main(["train", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]  # after the progress bar
    assert err == f"classit-train: error: {bad}:3: expected 'A:<TAB>utterance' or 'B:<TAB>utterance', got 'this line has no speaker'"


def test_cli_subprocess_exits_nonzero_without_traceback(tmp_path, tokenizer_dir):
    config = tiny_config(tmp_path / "out", tokenizer_dir, training={"warmup_ratio": [1]})
    path = write_config(tmp_path / "c.yaml", config)
    proc = subprocess.run([sys.executable, "-m", "classit_train", "train", str(path)], cwd=REPO,
                          capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"}, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "classit-train: error: training.warmup_ratio: expected a number, got [1]"
    assert "Traceback" not in proc.stderr


