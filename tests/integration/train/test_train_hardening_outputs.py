"""Issue 15, destroying user files: classit-train deletes only what it created, refuses a finished run trained with
another config (unless --fresh), warns about changed settings at resume, and runs one trainer per output folder."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time

import pytest

from classit_train import ConfigError, parse_config, run_curriculum
from classit_train.cli import main
from classit_train.checkpoints.lock import LOCK_NAME
from classit_train.checkpoints.ownership import MANIFEST, claim, prepare_output_dir

from train_helpers import tiny_config, write_config

USER_FILES = (".tmp-mine", ".staging-notes", "results.old-2024", "notes.txt")


def _user_files(folder):
    for name in USER_FILES:
        path = folder / name
        if name.startswith(".tmp"):
            path.mkdir(parents=True)
            (path / "keep.txt").write_text("mine")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("mine")


def _assert_user_files(folder):
    for name in USER_FILES:
        assert (folder / name).exists(), name


def test_failed_run_deletes_nothing_and_leftovers_are_removed_by_the_manifest_only(tmp_path, tokenizer_dir, capsys):
    out = tmp_path / "out"
    _user_files(out)
    _user_files(out / "checkpoints" / "01-merged")
    leftover = claim(out / ".tmp-01-merged")  # what a killed classit-train left (recorded in the manifest)
    leftover.mkdir()
    config = tiny_config(out, tokenizer_dir, sources={"switchboard": {"type": "switchboard",
                                                                      "paths": [str(tmp_path / "missing.train")]}},
                         stages=[{"name": "merged", "sources": [{"source": "switchboard"}]}])
    assert main(["train", str(write_config(tmp_path / "c.yaml", config))]) == 2
    assert "missing.train" in capsys.readouterr().err
    _assert_user_files(out)
    _assert_user_files(out / "checkpoints" / "01-merged")
    assert not leftover.exists()
    assert not set(USER_FILES) & set((out / MANIFEST).read_text().split())


def test_one_trainer_per_output_folder(tmp_path, tokenizer_dir, capsys):
    out = tmp_path / "out"
    out.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); "
         "fcntl.flock(fd, fcntl.LOCK_EX); os.write(fd, str(os.getpid()).encode()); print('ok', flush=True); "
         "time.sleep(60)", str(out / LOCK_NAME)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok"
        config = write_config(tmp_path / "c.yaml", tiny_config(out, tokenizer_dir))
        assert main(["train", str(config)]) == 2
        line = capsys.readouterr().err.strip().splitlines()[-1]
        assert line == (f"classit-train: error: {out.resolve()}: another classit-train (pid {holder.pid}) is writing "
                        "into this output folder; wait for it to finish or choose another --output_path")
    finally:
        holder.kill()
        holder.wait()


def _finished(out, config):
    """The files a finished run leaves (config.yaml, a stage folder, checkpoints/, final): no training needed."""
    prepare_output_dir(out, parse_config(config))
    (out / "01-merged").mkdir()
    (out / "checkpoints" / "01-merged").mkdir(parents=True)
    os.symlink("01-merged", out / "final")


def test_finished_run_with_another_config_is_refused_unless_fresh(tmp_path, tokenizer_dir):
    out = tmp_path / "out"
    _finished(out, tiny_config(out, tokenizer_dir))
    (out / "notes.txt").write_text("mine")
    changed = parse_config(tiny_config(out, tokenizer_dir, training={"learning_rate": 1e-3}))
    with pytest.raises(ConfigError, match=r"holds a finished run trained with another config \(1 setting\(s\) differ, "
                                          r"e.g. training.learning_rate: 0.003 -> 0.001\).*--fresh"):
        run_curriculum(changed)
    assert (out / "config.yaml").read_text().count("learning_rate: 0.003") == 1  # still describes the weights
    prepare_output_dir(out, changed, fresh=True)
    assert not (out / "final").exists() and not (out / "01-merged").exists() and not (out / "checkpoints").exists()
    assert (out / "notes.txt").read_text() == "mine"
    assert "learning_rate: 0.001" in (out / "config.yaml").read_text()
    # the same config again (another output path only) is no change
    prepare_output_dir(out, changed)


def test_resume_warns_about_changed_settings(tmp_path, tokenizer_dir, caplog):
    out = tmp_path / "out"
    prepare_output_dir(out, parse_config(tiny_config(out, tokenizer_dir)))
    changed = parse_config(tiny_config(out, tokenizer_dir, training={"learning_rate": 1e-3, "seed": 8}))
    with caplog.at_level(logging.WARNING, logger="classit_train"):
        prepare_output_dir(out, changed)
    message = " ".join(r.getMessage() for r in caplog.records)
    assert "2 changed setting(s)" in message and "training.learning_rate: 0.003 -> 0.001" in message
    assert "training.seed: 7 -> 8" in message
