"""Input errors of runs on the real corpora are one line naming the field (or file:line); the CLI prints them without
a traceback. The config errors that need no corpus and no tokenizer are unit tests
(tests/unit/train/test_train_config_files.py)."""

from __future__ import annotations

import os
import subprocess
import sys

from classit_train.cli import main

from train_helpers import REPO, tiny_config, write_config


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


