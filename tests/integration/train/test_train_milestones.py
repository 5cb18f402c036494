"""Milestone checkpoints (chck_{N}M / chck_{N}K) of real runs: config errors, folders and state across stages and
from a base, one folder per step that crosses several milestones, and kill -9 -> resume -> identical folders. The
schedule itself is a unit test (tests/unit/train/test_train_milestone_schedule.py)."""

from __future__ import annotations

import filecmp
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from classit_train.checkpoints.state import is_complete, read_state
from classit_train.cli import main
from classit_train.checkpoints.milestones import milestone_name, milestones, parse_milestone_name

from train_helpers import run_in_process, REPO, SWITCHBOARD, WIKI_DEV, tiny_config, write_config


def _env():
    return {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false", "PYTHONUNBUFFERED": "1"}


def _milestone_dirs(run: Path) -> list[str]:
    return sorted((p.name for p in run.iterdir() if parse_milestone_name(p.name)), key=parse_milestone_name)


def _step_words(trainer_dir: Path) -> dict[int, int]:
    """Stage step -> cumulative words seen after it, from the state files of the stage's checkpoint-N folders."""
    return {read_state(p).stage_step: read_state(p).words_seen for p in trainer_dir.glob("checkpoint-*")}


# --- the schedule ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("section, field, message", [
    ({"at_words": [0, 1000]}, "checkpoints.at_words[0]", "must be a positive number of words"),
    ({"at_words": [-2000]}, "checkpoints.at_words[0]", "must be a positive number of words"),
    ({"at_words": [2000, 1000]}, "checkpoints.at_words[1]", "increasing order"),
    ({"at_words": [1000, 1000]}, "checkpoints.at_words[1]", "duplicate milestone"),
    ({"at_words": [1000, 2.5]}, "checkpoints.at_words[1]", "whole number of words"),
    ({"at_words": ["lots"]}, "checkpoints.at_words[0]", "whole number of words"),
    ({"at_words": [1500]}, "checkpoints.at_words[0]", "not a multiple of 1,000"),
    ({"at_words": 5000}, "checkpoints.at_words", "expected list"),
    ({"schedule": "babylm2026"}, "checkpoints.schedule", "unknown schedule 'babylm2026'"),
    ({"scale": 0.0004}, "checkpoints.scale", "multiple of 0.001"),
    ({"scale": 0}, "checkpoints.scale", "positive"),
    ({"at_words": [1000], "schedule": "babylm"}, "checkpoints.schedule", "not both"),
    ({"every": 1000}, "checkpoints.every", "unknown field"),
])
def test_bad_checkpoints_section_is_one_line_before_anything_is_written(tmp_path, tokenizer_dir, capsys, section,
                                                                        field, message):
    out = tmp_path / "run"
    path = write_config(tmp_path / "cfg.yaml", tiny_config(out, tokenizer_dir, checkpoints=section))
    assert main(["train", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"classit-train: error: {field}: ") and message in err, err
    assert err.count("\n") == 1
    assert not out.exists()


# --- folders, state, stage boundaries, a run from a base ------------------------------------------------------------


def _two_stage(output_dir: Path, tokenizer_dir: Path, training: dict | None = None, **sections) -> dict:
    """switchboard then simple_wiki (a small sequential curriculum), a milestone every 1,000 words."""
    sections.setdefault("checkpoints", {"at_words": [k * 1000 for k in range(1, 30)]})
    sections.setdefault("stages", [{"name": "switchboard", "sources": [{"source": "switchboard"}]},
                                   {"name": "simple_wiki", "sources": [{"source": "simple_wiki"}]}])
    return tiny_config(
        output_dir, tokenizer_dir,
        training={"save_steps": 3, "lr_scheduler_type": "cosine", "warmup_ratio": 0.1, **(training or {})},
        sources={"switchboard": {"type": "switchboard", "paths": [str(SWITCHBOARD)], "max_records": 120},
                 "simple_wiki": {"type": "simple_wiki", "paths": [str(WIKI_DEV)], "max_records": 60}},
        **sections)


@pytest.fixture(scope="module")
def series(tmp_path_factory, tokenizer_dir):
    """An uninterrupted two-stage run with a milestone every 1,000 words (the reference of the kill -9 test)."""
    root = tmp_path_factory.mktemp("milestones")
    config = _two_stage(root / "ref" / "run", tokenizer_dir)
    final = run_in_process(config)
    return {"run": root / "ref" / "run", "final": final, "config": config}


def test_milestone_folders_state_and_stage_boundaries(series):
    run = series["run"]
    names = _milestone_dirs(run)
    end1, end2 = read_state(run / "01-switchboard"), read_state(run / "02-simple_wiki")
    assert len(names) >= 6 and names[0] == "chck_1K"
    # exactly one folder per milestone reached (none skipped: every step here sees < 1,000 words)
    assert [parse_milestone_name(n) for n in names] == [k * 1000 for k in range(1, end2.words_seen // 1000 + 1)]
    for name in names:
        folder, m = run / name, parse_milestone_name(name)
        for file in ("config.json", "model.safetensors", "generation_config.json", "tokenizer.json",
                     "tokenizer_config.json", "classit_state.json"):
            assert (folder / file).is_file(), (name, file)
        assert is_complete(folder)
        state = read_state(folder)
        assert state.milestone_words == m and state.words_seen >= m
        assert (state.branch, state.parent, state.words_offset) == ("run", None, 0)
        assert not state.stage_complete and state.global_step == state.stage_step + (
            end1.global_step if state.stage == "simple_wiki" else 0)
        assert state.stage == ("switchboard" if m <= end1.words_seen else "simple_wiki")
    # written after the step at which the words first reach the milestone: consistent with every checkpoint-N
    for stage_dir in ("01-switchboard", "02-simple_wiki"):
        for step, words in _step_words(run / "checkpoints" / stage_dir).items():
            for name in names:
                state = read_state(run / name)
                if state.stage == stage_dir[3:]:
                    assert (state.stage_step <= step) == (state.milestone_words <= words), (name, step, words)
                    assert (state.stage_step == step) <= (state.words_seen == words)
    # every stage boundary is a series member: a stage-end folder with the lineage keys
    for end, stage in ((end1, "switchboard"), (end2, "simple_wiki")):
        assert (end.stage, end.stage_complete, end.milestone_words, end.branch, end.parent) == (stage, True, None,
                                                                                              "run", None)
    from transformers import AutoModelForCausalLM

    AutoModelForCausalLM.from_pretrained(run / names[-1])
    assert not list(run.glob(".tmp-*"))


def test_run_from_a_base_continues_its_words_and_one_step_over_two_milestones_writes_one_folder(series, tmp_path,
                                                                                               tokenizer_dir):
    base = read_state(series["final"])
    offset = base.words_seen
    at = [k * 1000 for k in range(1, offset // 1000 + 40)]
    config = _two_stage(tmp_path / "merged", tokenizer_dir, model={"preset": None, "init_from": str(series["final"])},
                        tokenizer={}, checkpoints={"at_words": at},
                        training={"per_device_train_batch_size": 24, "max_steps": 5, "save_steps": 1},
                        stages=[{"name": "merged", "sources": [{"source": "switchboard"}, {"source": "simple_wiki"}]}])
    final = run_in_process(config)
    end = read_state(final)
    assert end.words_offset == offset and end.words_seen > offset
    assert end.parent == str((series["run"] / "02-simple_wiki").resolve()) and end.branch == "merged"
    by_step = _step_words(tmp_path / "merged" / "checkpoints" / "01-merged")
    assert sorted(by_step) == [1, 2, 3, 4, 5]
    words = [offset] + [by_step[k] for k in range(1, 6)]
    crossed = [[m for m in at if a < m <= b] for a, b in zip(words, words[1:])]
    assert any(len(c) > 1 for c in crossed), "no step crossed two milestones: nothing tested"
    expected = [milestone_name(c[-1]) for c in crossed if c]  # one folder per step, named for the largest
    assert _milestone_dirs(tmp_path / "merged") == expected
    for name, step_crossed in zip(expected, [c for c in crossed if c]):
        state = read_state(tmp_path / "merged" / name)
        assert state.milestone_words == step_crossed[-1] and state.words_offset == offset
        assert state.parent == end.parent and state.words_seen >= state.milestone_words > offset


# --- kill -9 -> resume -> identical milestone folders ---------------------------------------------------------------


def _same_folder(a: Path, b: Path) -> None:
    """Every file byte-identical, except training_args.bin (a pickle holding the run's own output path)."""
    names_a = sorted(p.name for p in a.iterdir())
    assert names_a == sorted(p.name for p in b.iterdir()), (a, b)
    for name in names_a:
        if name != "training_args.bin":
            assert filecmp.cmp(a / name, b / name, shallow=False), f"{b / name} differs from {a / name}"


def test_kill_9_after_a_milestone_then_resume_gives_identical_milestone_folders(series, tmp_path):
    config = dict(series["config"], output_dir=str(tmp_path / "killed" / "run"))
    run = tmp_path / "killed" / "run"
    path = write_config(tmp_path / "cfg.yaml", config)
    command = [sys.executable, "-m", "classit_train", "train", str(path)]
    proc = subprocess.Popen(command, cwd=REPO, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.time() + 240
        while not is_complete(run / "chck_2K"):  # after the first milestone and the checkpoint-3 before it
            assert proc.poll() is None, "training ended before it could be killed"
            assert time.time() < deadline, "no chck_2K within the time limit"
            time.sleep(0.01)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (run / "02-simple_wiki").exists(), "killed after the run ended: nothing tested"
    assert all(is_complete(run / name) for name in _milestone_dirs(run))  # no half-written folder under a final name

    resumed = subprocess.run(command, cwd=REPO, env=_env(), capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    resumed_from = re.search(r"resuming stage switchboard from \S*checkpoint-(\d+)", resumed.stderr)
    assert resumed_from, resumed.stderr[-3000:]
    ref = series["run"]
    # the resumed run rewrites exactly the milestones after the checkpoint it resumed from
    rewritten = re.findall(r"milestone (chck_\d+K): ", resumed.stderr)
    after = [n for n in _milestone_dirs(ref) if read_state(ref / n).stage == "simple_wiki"
             or read_state(ref / n).stage_step > int(resumed_from.group(1))]
    assert rewritten == after
    assert _milestone_dirs(run) == _milestone_dirs(ref)
    for name in _milestone_dirs(ref) + ["01-switchboard", "02-simple_wiki"]:
        _same_folder(ref / name, run / name)
    assert not list(run.glob(".tmp-*"))


def test_demo_base_gets_at_least_six_milestones():
    """The package's tiny_pretrain.yaml (what `classit-train demo` runs; demo.sh caps sources at 1000 records) reaches
    >= 6 milestones of its scaled schedule in its one epoch (words seen = the records' words, each once)."""
    from importlib import resources

    from classit_train import load_config
    from classit_train.data.sources import iter_source

    with resources.as_file(resources.files("classit_train").joinpath("configs/tiny_pretrain.yaml")) as path:
        config = load_config(path)
    assert (config.stages[0].epochs, [s.weight for s in config.stages[0].sources]) == (1, [1.0, 1.0, 1.0])
    for cap in (1000, None):
        words = 0
        for name, spec in config.sources.items():
            spec = dict(spec, max_records=min(spec.get("max_records") or cap, cap) if cap else spec.get("max_records"))
            words += sum(record.num_words for record in iter_source(spec, name))
        reached = [m for m in milestones(config.checkpoints, config.budget.max_words) if m <= words]
        assert len(reached) >= 6, (cap, words, reached)
