"""Issue 15, success reported on failure: classit-eval writes its results and samples files as one set or not at
all; any failure to write exits 2 with one line naming the path and the reason; Ctrl-C exits 130, nothing half
written. Evaluations run on the real supplement data (--limit 1)."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys

import pytest
from tiny_models import EVAL_DATA

from classit_tasks.artifacts import atomic as atomic_results
from classit_tasks.cli import main
from classit_tasks.report.load import load_runs

TASKS = "classit_blimp_supplement_fast"


def _eval(checkpoint, output_path) -> int:
    return main(["--model_args", f"pretrained={checkpoint}", "--tasks", TASKS, "--data_dir", str(EVAL_DATA),
                 "--device", "cpu", "--limit", "1", "--output_path", str(output_path), "--log_samples"])


def _files(folder):
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


def _last_error(capsys) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines
    return lines[-1]


def test_complete_set_and_stale_temporaries_removed(checkpoints, tmp_path):
    out = tmp_path / "out"
    folder = out / str(checkpoints["bos"]).replace("/", "__")
    folder.mkdir(parents=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = folder / f"{atomic_results.TMP_PREFIX}{int(dead.stdout)}-samples_x.jsonl"
    stale.write_text("{cut mid-li")
    assert _eval(checkpoints["bos"], out) == 0
    names = _files(out)
    assert not stale.exists() and not [n for n in names if n.startswith(atomic_results.TMP_PREFIX)]
    results = [n for n in names if n.startswith("results_")]
    samples = [n for n in names if n.startswith("samples_")]
    assert len(results) == 1 and len(samples) == 5
    row = json.loads((next(out.rglob("samples_*.jsonl"))).read_text().splitlines()[0])
    assert set(row["arguments"]) == {"gen_args_0", "gen_args_1"} and isinstance(row["target"], str)
    [run] = load_runs([out], require_samples=True)  # the report reads the set back
    assert len(run.items) == 5
    hashes = json.loads(next(out.rglob("results_*.json")).read_text())["task_hashes"]
    assert len(hashes) == 5


def test_full_disk_mid_samples_leaves_nothing(checkpoints, tmp_path, capsys, monkeypatch):
    calls = {"n": 0}
    real = atomic_results.write_chunk

    def full_disk(handle, chunk):
        calls["n"] += 1
        if calls["n"] == 3:  # a samples file cut mid-line
            real(handle, chunk[: len(chunk) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(handle, chunk)

    monkeypatch.setattr(atomic_results, "write_chunk", full_disk)
    out = tmp_path / "out"
    assert _eval(checkpoints["bos"], out) == 2
    line = _last_error(capsys)
    assert line.startswith("classit-eval: error: ") and "samples_" in line and "No space left on device" in line
    assert _files(out) == []


def test_parent_path_is_a_file(checkpoints, tmp_path, capsys):
    blocker = tmp_path / "blocker"
    blocker.write_text("a user's file")
    assert _eval(checkpoints["bos"], blocker / "out") == 2
    line = _last_error(capsys)
    assert str(blocker) in line and ("Not a directory" in line or "File exists" in line)
    assert blocker.read_text() == "a user's file"


def test_read_only_folder(checkpoints, tmp_path, capsys, monkeypatch):
    out = tmp_path / "ro"
    if os.geteuid() == 0:  # root ignores permission bits: simulate the refusal of the file system
        def refuse(path, *a, **kw):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        monkeypatch.setattr(atomic_results, "open", refuse, raising=False)
    else:
        out.mkdir()
        out.chmod(0o555)
    try:
        assert _eval(checkpoints["bos"], out) == 2
    finally:
        if out.exists():
            out.chmod(0o755)
    line = _last_error(capsys)
    assert str(out) in line and "Permission denied" in line
    assert not list(out.rglob("results_*.json"))


def test_ctrl_c_while_writing_exits_130_with_nothing_half_written(checkpoints, tmp_path, capsys, monkeypatch):
    calls = {"n": 0}
    real = atomic_results.write_chunk

    def interrupted(handle, chunk):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        real(handle, chunk)

    monkeypatch.setattr(atomic_results, "write_chunk", interrupted)
    out = tmp_path / "out"
    assert _eval(checkpoints["bos"], out) == 130
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1] == "classit-eval: interrupted" and "Traceback" not in err
    assert _files(out) == []


@pytest.mark.parametrize("flag", ["--limit"])
def test_ctrl_c_during_scoring(checkpoints, tmp_path, capsys, monkeypatch, flag):
    from classit_tasks.scoring import model
    def interrupt(self, *a, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(model.ClassitLM, "loglikelihood", interrupt)
    assert _eval(checkpoints["bos"], tmp_path / "out") == 130
    assert "Traceback" not in capsys.readouterr().err
    assert not (tmp_path / "out").exists() or _files(tmp_path / "out") == []


KILL_DURING_COMMIT = """
import os, signal, sys
from classit_tasks.artifacts import atomic as atomic_results
renamed = []
real = atomic_results._rename
def rename_then_die(tmp, final):
    if len(renamed) == 2:  # kill -9 after two of the six renames
        os.kill(os.getpid(), signal.SIGKILL)
    real(tmp, final)
    renamed.append(final)
atomic_results._rename = rename_then_die
from classit_tasks.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_kill_9_while_writing_leaves_no_results_file(checkpoints, tmp_path):
    out = tmp_path / "out"
    argv = ["--model_args", f"pretrained={checkpoints['bos']}", "--tasks", TASKS, "--data_dir", str(EVAL_DATA),
            "--device", "cpu", "--limit", "1", "--output_path", str(out), "--log_samples"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", KILL_DURING_COMMIT, *argv], env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == -9, proc.stderr[-2000:]
    names = _files(out)
    assert not [n for n in names if n.startswith("results_")]  # never a results file without all its samples
    assert len([n for n in names if n.startswith("samples_")]) == 2
    assert any(n.startswith(atomic_results.TMP_PREFIX) for n in names)
    assert _eval(checkpoints["bos"], out) == 0  # the next run removes the dead writer's temporaries
    assert not [n for n in _files(out) if n.startswith(atomic_results.TMP_PREFIX)]
