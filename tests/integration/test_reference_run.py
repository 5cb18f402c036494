"""scripts/reference_run.sh on a tiny budget (--smoke): the reference run's first milestone under its BabyLM name
(--until base), then the rest of the path from there (instruction tuning, sweep + AoA, fine-tuning, report,
comparisons; about 90 s), a rerun that repeats nothing, and scripts/reference_summary.py on the result, so the path
cannot rot. Its numbers mean nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys

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

    rest = _run(out)  # carries on after --until: the base is not trained again
    assert rest.returncode == 0, rest.stdout[-3000:] + rest.stderr[-3000:]
    assert rest.stdout.count("done before, skipped") == 1
    for run in ("base", "merged", "sequential"):  # one folder per model: zero-shot (from the sweep) + fine-tuning
        names = sorted(p.name for p in (out / "results" / run).glob("*.json"))
        assert [n for n in names if n.startswith("results_")] and [n for n in names if n.startswith("finetune_rte_mrpc_")]
        assert [n for n in names if n.startswith("finetune_wsc_")], names
    report = json.loads((out / "report" / "report.json").read_text())
    assert [r["label"] for r in report["runs"]] == ["base", "merged", "sequential"]
    for pair in ("base_to_merged", "base_to_sequential", "merged_to_sequential"):
        assert (out / "report" / f"compare_{pair}.json").is_file()
    assert len((out / "timings.tsv").read_text().splitlines()) == 1 + 9

    final = _run(out, timeout=120)
    assert final.returncode == 0 and final.stdout.count("done before, skipped") == 9, final.stderr[-3000:]

    dest = tmp_path / "committed"
    summary = subprocess.run([sys.executable, "scripts/reference_summary.py", str(out), str(dest)], cwd=REPO,
                             capture_output=True, text=True, timeout=120)
    assert summary.returncode == 0, summary.stderr[-3000:]
    data = json.loads((dest / "summary.json").read_text())
    assert set(data["final_models"]) == {"base", "merged", "sequential"}
    assert "acc,none" in data["final_models"]["base"]["classit_blimp_fast"]
    assert str(out.resolve()) not in (dest / "summary.json").read_text()  # no machine's folders in what is committed


def test_reference_run_rejects_an_unknown_step(tmp_path):
    result = _run(tmp_path / "ref", "--until", "nothing", timeout=60)
    assert result.returncode == 2 and "--until nothing is not a step" in result.stderr
    assert not (tmp_path / "ref").exists()
