"""Issue 15, tracebacks instead of one line (classit-eval side): bad data files, bad flags, broken checkpoints and
unwritable report/compare outputs end in one line naming the file / line / field and exit 2."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from tiny_models import EVAL_DATA

from classit_tasks.cli import main

SUPPLEMENT = EVAL_DATA / "fast_eval" / "supplement_fast"


def _line(capsys, argv, code=2) -> str:
    assert main(argv) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines and lines[-1].startswith("classit-eval")
    return lines[-1]


def _args(checkpoint, tmp_path, *extra, data=EVAL_DATA):
    return ["--model_args", f"pretrained={checkpoint}", "--tasks", "classit_blimp_supplement_fast", "--data_dir",
            str(data), "--device", "cpu", "--limit", "1", "--output_path", str(tmp_path / "out"), *extra]


def _data_copy(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(SUPPLEMENT, data / "fast_eval" / "supplement_fast")
    return data, data / "fast_eval" / "supplement_fast" / "turn_taking.jsonl"


def test_non_utf8_and_utf16_and_empty_data_files(checkpoints, tmp_path, capsys):
    data, path = _data_copy(tmp_path)
    lines = path.read_bytes().splitlines(keepends=True)
    lines[6] = lines[6][:10] + b"\xff" + lines[6][10:]
    path.write_bytes(b"".join(lines))
    line = _line(capsys, _args(checkpoints["bos"], tmp_path, data=data))
    assert f"{path}:7: not valid UTF-8 (byte 0xff at column 11)" in line
    path.write_bytes(b"".join(lines[:6]).decode("utf-8").encode("utf-16"))
    assert f"{path}: file is UTF-16-encoded; save it as UTF-8" in _line(capsys, _args(checkpoints["bos"], tmp_path,
                                                                                      data=data))
    path.write_bytes(b"")
    meta = ["--metadata", json.dumps({"check_counts": False})]
    assert f"{path}: no items (the file is empty)" in _line(capsys, _args(checkpoints["bos"], tmp_path, *meta,
                                                                          data=data))
    assert not list(tmp_path.rglob("results_*.json"))


@pytest.mark.parametrize("limit", ["0", "-3"])
def test_non_positive_limit(checkpoints, tmp_path, capsys, limit):
    argv = _args(checkpoints["bos"], tmp_path)
    argv[argv.index("--limit") + 1] = limit
    assert f"--limit {limit}: give a positive number" in _line(capsys, argv)


def test_broken_checkpoints(checkpoints, tmp_path, capsys):
    def variant(name):
        folder = tmp_path / name
        shutil.copytree(checkpoints["bos"], folder)
        return folder

    no_weights = variant("no_weights")
    (no_weights / "model.safetensors").unlink()
    assert f"{no_weights}: no weights" in _line(capsys, _args(no_weights, tmp_path))
    truncated = variant("truncated")
    weights = truncated / "model.safetensors"
    os.truncate(weights, weights.stat().st_size // 2)
    assert f"{weights}: truncated weights file" in _line(capsys, _args(truncated, tmp_path))
    bad_json = variant("bad_json")
    (bad_json / "config.json").write_text('{"model_type": "llama",\n')
    assert f"{bad_json / 'config.json'}: line 2: not valid JSON" in _line(capsys, _args(bad_json, tmp_path))
    remote = variant("remote")
    config = json.loads((remote / "config.json").read_text())
    config.update(model_type="custom_x", auto_map={"AutoModelForCausalLM": "modeling_x.X"})
    (remote / "config.json").write_text(json.dumps(config))
    line = _line(capsys, _args(remote, tmp_path))
    assert "needs its own Python code (auto_map)" in line and "trust_remote_code=True" in line
    assert not list(tmp_path.rglob("results_*.json"))


def test_unwritable_report_and_compare_outputs(checkpoints, tmp_path, capsys):
    assert main(_args(checkpoints["bos"], tmp_path, "--log_samples")) == 0
    capsys.readouterr()
    blocker = tmp_path / "blocker"
    blocker.write_text("a user's file")
    run = str(tmp_path / "out")
    line = _line(capsys, ["report", run, "--output_path", str(blocker / "rep"), "--item_resamples", "100", "--no_html"])
    assert line.startswith("classit-eval report: error: ") and str(blocker) in line
    line = _line(capsys, ["compare", "--baseline", run, "--candidate", run, "--item_resamples", "100",
                          "--output_path", str(blocker / "c.json")], code=2)
    assert line.startswith("classit-eval compare: error: ") and str(blocker) in line
    assert blocker.read_text() == "a user's file"
