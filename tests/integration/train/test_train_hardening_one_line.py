"""Issue 15, tracebacks instead of one line (classit-train side): a bad byte names its real line, UTF-16 files, an
empty corpus, a YAML tag in --set and a full disk while checkpointing end in one line and exit 2."""

from __future__ import annotations

import errno
import itertools
import os

from classit_train.cli import main

from train_helpers import SWITCHBOARD, tiny_config, write_config


def _line(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err.strip().splitlines()[-1]


def _config_on(tmp_path, tokenizer_dir, corpus, **extra):
    config = tiny_config(tmp_path / "out", tokenizer_dir,
                         sources={"switchboard": {"type": "switchboard", "paths": [str(corpus)], "max_records": 40}},
                         stages=[{"name": "merged", "sources": [{"source": "switchboard"}]}], **extra)
    return write_config(tmp_path / "c.yaml", config)


def _real_lines(n):
    with open(SWITCHBOARD, "rb") as handle:
        return list(itertools.islice(handle, n))


def test_bad_byte_on_line_51_is_reported_on_line_51(tmp_path, tokenizer_dir, capsys):
    corpus = tmp_path / "sw.train"
    lines = _real_lines(400)
    lines[50] = lines[50][:5] + b"\xff" + lines[50][5:]
    corpus.write_bytes(b"".join(lines))
    line = _line(capsys, ["train", str(_config_on(tmp_path, tokenizer_dir, corpus))])
    assert line == f"classit-train: error: {corpus}:51: not valid UTF-8 (byte 0xff at column 6); save the file as UTF-8"


def test_utf16_and_empty_corpus(tmp_path, tokenizer_dir, capsys):
    corpus = tmp_path / "sw.train"
    corpus.write_bytes(b"".join(_real_lines(20)).decode("utf-8").encode("utf-16"))
    assert f"{corpus}: file is UTF-16-encoded" in _line(capsys, ["train", str(_config_on(tmp_path, tokenizer_dir,
                                                                                          corpus))])
    corpus.write_bytes(b"")
    line = _line(capsys, ["train", str(_config_on(tmp_path, tokenizer_dir, corpus))])
    assert line.startswith("classit-train: error: ") and ("no records" in line or "empty" in line), line


def test_yaml_tag_in_set(tmp_path, tokenizer_dir, capsys):
    config = _config_on(tmp_path, tokenizer_dir, SWITCHBOARD)
    line = _line(capsys, ["train", str(config), "--set", "training.seed=!!python/object/apply:os.getpid []"])
    assert line.startswith("classit-train: error: --set: ") and "invalid YAML value" in line


def test_full_disk_while_checkpointing(tmp_path, tokenizer_dir, capsys, monkeypatch, one_thread):
    from classit_train.training import callbacks, trainer

    def full_disk(folder, state):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), os.path.join(folder, "classit_state.json"))

    monkeypatch.setattr(trainer, "write_state", full_disk)  # stage ends
    monkeypatch.setattr(callbacks, "write_state", full_disk)  # step checkpoints (checkpoint-N)
    config = _config_on(tmp_path, tokenizer_dir, SWITCHBOARD,
                        training={"max_steps": 2, "save_steps": 1, "per_device_train_batch_size": 4,
                                  "disable_tqdm": True, "logging_steps": 1})
    line = _line(capsys, ["train", str(config)])
    assert line.startswith("classit-train: error: ") and "classit_state.json: No space left on device" in line
    checkpoints = tmp_path / "out" / "checkpoints" / "01-merged"
    assert not list(checkpoints.glob("checkpoint-*"))  # nothing half-written was published
