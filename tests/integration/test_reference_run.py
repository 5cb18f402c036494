"""scripts/reference_run.sh on a tiny budget (--smoke --until base): the reference run's first milestone under its
BabyLM name, and a rerun that resumes instead of repeating work, so the path cannot rot. (The whole smoke path,
sweep, fine-tuning and report included, takes several minutes; the short demo in .ci/run covers those commands.)
Its numbers mean nothing."""

from __future__ import annotations

import json
import os
import subprocess

from repo_paths import REPO, SHARED_DATA


def _run(out, *extra, timeout=600):
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    return subprocess.run(["bash", "scripts/reference_run.sh", str(SHARED_DATA), str(out), "--smoke", *extra],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)


def test_reference_run_first_milestone_and_resume(tmp_path):
    out = tmp_path / "ref"
    first = _run(out, "--until", "base")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "stopped after step base (--until)" in first.stdout
    # the smoke run scales the BabyLM milestones by 1/100: chck_1M becomes chck_10K
    milestones = sorted(p.name for p in (out / "base").glob("chck_*") if p.is_dir())
    assert milestones[:2] == ["chck_10K", "chck_20K"], milestones
    state = json.loads((out / "base" / "chck_10K" / "classit_state.json").read_text())
    assert state["words_seen"] >= 10_000
    assert (out / "base" / "final" / "model.safetensors").is_file()
    assert not (out / "merged").exists()
    rows = (out / "timings.tsv").read_text().splitlines()
    assert rows[0].split("\t") == ["step", "wall_s", "user_cpu_s", "sys_cpu_s"] and rows[1].startswith("base\t")

    again = _run(out, "--until", "base", timeout=120)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "pre-train the base (milestones chck_1M, chck_2M, ...): done before, skipped" in again.stdout
    assert len((out / "timings.tsv").read_text().splitlines()) == 2


def test_reference_run_rejects_an_unknown_step(tmp_path):
    result = _run(tmp_path / "ref", "--until", "nothing", timeout=60)
    assert result.returncode == 2 and "--until nothing is not a step" in result.stderr
    assert not (tmp_path / "ref").exists()
