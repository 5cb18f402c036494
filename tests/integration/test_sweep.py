"""``classit-eval sweep`` on a real tiny training run (classit-train with save_steps: checkpoint-N folders and
stage-end folders with classit_state.json) and on tiny saved models with contract state files (branches):
discovery, equality with a single evaluation, request reuse, resumption after kill -9, bad input, scale-out."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tiny_models import build_model, build_tokenizer

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "helpers"))

TASK = "classit_blimp_fast"  # 67 paradigms; with --limit 1 a checkpoint is scored in well under a second


def _env() -> dict:
    env = dict(os.environ)
    env.update(PYTHONPATH=str(REPO), OMP_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false", HF_HUB_OFFLINE="1",
               HF_DATASETS_OFFLINE="1")
    return env


def _sweep(*args: str) -> int:
    from classit_tasks.sweep.cli import sweep_main

    return sweep_main([*map(str, args)])


@pytest.fixture(scope="module")
def real_run(tmp_path_factory) -> Path:
    """classit-train, two stages (pretrain -> dialogue), 6 steps each, a checkpoint every 2 steps."""
    from classit_train import parse_config, run_curriculum, train_tokenizer
    from train_helpers import BABYLM_DEV, SWITCHBOARD, WIKI_DEV, tiny_config

    root = tmp_path_factory.mktemp("sweep_real")
    train_tokenizer([SWITCHBOARD, WIKI_DEV], vocab_size=512, add_bos=True, max_words=20_000, output_dir=root / "tok",
                    show_progress=False)
    config = tiny_config(
        root / "run", root / "tok", training={"save_steps": 2, "max_steps": 6},
        sources={"text": {"type": "plain_text", "paths": [str(BABYLM_DEV[0])], "words_per_record": 64,
                          "max_records": 100},
                 "switchboard": {"type": "switchboard", "paths": [str(SWITCHBOARD)], "max_records": 60}},
        stages=[{"name": "pretrain", "loss_on": "all", "epochs": 1, "sources": [{"source": "text"}]},
                {"name": "dialogue", "epochs": 1, "sources": [{"source": "switchboard"}]}])
    run_curriculum(parse_config(config))
    return root / "run"


@pytest.fixture(scope="module")
def branches(tmp_path_factory) -> Path:
    """Saved tiny models with the contract's state keys: base (1M, 2M, 4M), merged and a 2-stage sequential run
    started from base/chck_4M."""
    root = tmp_path_factory.mktemp("sweep_branches")
    tok = build_tokenizer("bos", root / "tok")
    base = root / "base"

    def save(folder: Path, seed: int, **state):
        build_model(tok, folder, seed=seed)
        (folder / "classit_state.json").write_text(json.dumps(state))

    for i, words in enumerate((1, 2, 4)):
        save(base / f"chck_{words}M", i, stage="pretrain", words_seen=words * 10**6, global_step=10 * (i + 1),
             branch="base", parent=None, words_offset=0, milestone_words=words * 10**6)
    for j, words in enumerate((5, 6)):
        save(root / "merged" / f"chck_{words}M", 10 + j, stage="merged", words_seen=words * 10**6,
             global_step=40 + j, branch="merged", parent=str(base / "chck_4M"), words_offset=4 * 10**6)
        save(root / "sequential" / f"chck_{words}M", 20 + j, stage=("swbd", "wiki")[j], words_seen=words * 10**6,
             global_step=40 + j, branch="sequential", parent=str(base / "chck_4M"), words_offset=4 * 10**6)
    return root


# ---------------------------------------------------------------------------------------------------- discovery
def test_discovery_of_a_real_run(real_run):
    from classit_tasks.sweep.discover import discover

    found = discover([real_run])
    names = [c.name for c in found]
    # the stage-end folder holds the same weights as the stage's last Trainer checkpoint: evaluated once
    assert names == ["01-pretrain/checkpoint-2", "01-pretrain/checkpoint-4", "01-pretrain",
                     "02-dialogue/checkpoint-2", "02-dialogue/checkpoint-4", "02-dialogue"]
    assert found[2].aliases == [str(real_run / "checkpoints" / "01-pretrain" / "checkpoint-6")]
    words = [c.words_seen for c in found]
    assert words == sorted(words) and words[0] > 0 and len(set(words)) == 6
    assert [c.stage for c in found] == ["pretrain"] * 3 + ["dialogue"] * 3
    assert {c.branch for c in found} == {"run"} and len({c.key for c in found}) == 6
    assert all(c.position_source == "classit_state.json" for c in found)


def test_same_weights_stand_at_their_earliest_position(tmp_path):
    """A run's first step can leave its base's weights unchanged (learning rate 0 at the start of a warmup): the one
    model is the base's checkpoint, not the later folder, so the lineage base -> merged stays right."""
    from classit_tasks.sweep.discover import discover

    tok = build_tokenizer("bos", tmp_path / "tok")
    for folder, words, branch, parent in (("run_b/chck_1M", 1, "base", None),
                                          ("run_a/chck_2M", 2, "merged", "run_b/chck_1M")):
        build_model(tok, tmp_path / folder, seed=0)  # identical weights
        (tmp_path / folder / "classit_state.json").write_text(json.dumps(
            {"stage": branch, "words_seen": words * 10**6, "branch": branch,
             "parent": parent and str(tmp_path / parent)}))
    build_model(tok, tmp_path / "run_a" / "chck_3M", seed=1)
    (tmp_path / "run_a" / "chck_3M" / "classit_state.json").write_text(json.dumps(
        {"stage": "merged", "words_seen": 3 * 10**6, "branch": "merged", "parent": str(tmp_path / "run_b/chck_1M")}))
    found = discover([tmp_path / "run_a", tmp_path / "run_b"])
    assert [(c.branch, c.name) for c in found] == [("base", "chck_1M"), ("merged", "chck_3M")]
    assert found[0].aliases == [str(tmp_path / "run_a" / "chck_2M")]


def test_sweep_equals_single_evaluation_and_reuses_requests(real_run, tmp_path, monkeypatch, capsys):
    """One model object, weights swapped in place, requests tokenized once: scores identical to a fresh
    evaluation of the checkpoint."""
    import classit_tasks.scoring.model as model_module
    from lm_eval import simple_evaluate

    calls = []
    original = model_module.encode_babylm2025
    monkeypatch.setattr(model_module, "encode_babylm2025", lambda tok, strings: calls.append(len(strings)) or
                        original(tok, strings))
    out = tmp_path / "sweep"
    assert _sweep(real_run, "--tasks", TASK, "--output_path", out, "--limit", 2, "--no_report") == 0
    err = capsys.readouterr().err
    assert "model objects built 1, weights swapped in 5; requests tokenized 1x, reused 5x" in err
    assert len(calls) == 1  # one tokenizer call for the whole series
    index = json.loads((out / "sweep.json").read_text())
    assert index["format"] == "classit-sweep/1" and index["tasks"] == [TASK]
    assert [c["status"] for c in index["checkpoints"]] == ["complete"] * 6
    entry = index["checkpoints"][4]
    (results_file,) = (out / entry["results_dir"]).glob("results_*.json")
    swept = json.loads(results_file.read_text())["results"]
    assert len(list((out / entry["results_dir"]).glob("samples_*.jsonl"))) == 67
    monkeypatch.setattr(model_module, "encode_babylm2025", original)
    fresh = simple_evaluate(model="classit-hf", model_args=f"pretrained={entry['path']}", tasks=[TASK], limit=2,
                            batch_size=64, device="cpu", bootstrap_iters=0,
                            task_manager=_manager())["results"]
    assert set(swept) == set(fresh)
    for task in fresh:
        assert swept[task]["acc,none"] == pytest.approx(fresh[task]["acc,none"], abs=1e-9), task


def _manager():
    from classit_tasks import harness, task_dir

    return harness.task_manager(task_dir(), {})


# ---------------------------------------------------------------------------------------------------- resumption
def _wait_for_unit(out: Path, proc: subprocess.Popen, timeout: float = 240) -> None:
    end = time.time() + timeout
    while time.time() < end:
        for manifest in out.glob("checkpoints/*/checkpoint.json"):
            try:
                if json.loads(manifest.read_text()).get("units"):
                    return
            except ValueError:
                pass
        if proc.poll() is not None:
            pytest.fail("the sweep ended before it could be killed")
        time.sleep(0.05)
    pytest.fail("no unit completed in time")


def _unit_contents(out: Path) -> dict:
    """(key, file kind) -> content that does not depend on when it ran: samples lines, results numbers."""
    found = {}
    index = json.loads((out / "sweep.json").read_text())
    for entry in index["checkpoints"]:
        folder = out / entry["results_dir"]
        manifest = json.loads((folder / "checkpoint.json").read_text())
        for unit in manifest["units"].values():
            for name in unit["files"]:
                text = (folder / name).read_text()
                kind = name.rsplit("_", 1)[0]
                found[(entry["key"], kind)] = json.loads(text)["results"] if kind == "results" else text
    return found


def test_resume_after_kill_9_gives_identical_files(real_run, tmp_path, capsys):
    args = [sys.executable, "-m", "classit_tasks.cli", "sweep", str(real_run), "--tasks", TASK, "--limit", "1",
            "--no_report"]
    killed = tmp_path / "killed"
    proc = subprocess.Popen([*args, "--output_path", str(killed)], env=_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    _wait_for_unit(killed, proc)
    time.sleep(0.3)  # likely in the middle of the next checkpoint
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = {p.parent.name for p in killed.glob("checkpoints/*/checkpoint.json")
                   if json.loads(p.read_text()).get("units")}
    assert 1 <= len(done_before) < 6
    # plant what a kill during a unit leaves: a staging folder and an unlisted results file (here in the folder of a
    # complete checkpoint, which the rerun does not evaluate again but must clean)
    victim = killed / "checkpoints" / sorted(done_before)[0]
    (victim / ".staging-x-1").mkdir(exist_ok=True)
    (victim / "results_2000-01-01T00-00-00.json").write_text("{half")
    rest = [str(real_run), "--tasks", TASK, "--limit", "1", "--no_report"]
    assert _sweep(*rest, "--output_path", killed) == 0
    assert f"{len(done_before)} (checkpoint, task) unit(s) already complete" in capsys.readouterr().err
    assert not (victim / ".staging-x-1").exists() and not (victim / "results_2000-01-01T00-00-00.json").exists()
    clean = tmp_path / "clean"
    assert _sweep(*rest, "--output_path", clean) == 0
    assert _unit_contents(killed) == _unit_contents(clean)
    for out in (killed, clean):
        names = {p.name for p in out.rglob("*")}
        assert not any(n.startswith((".staging", ".tmp-")) for n in names)


# ---------------------------------------------------------------------------------------------------- bad input
def test_bad_input_one_line_messages(branches, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    out = tmp_path / "out"
    assert _sweep(empty, "--tasks", TASK, "--output_path", out) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and f"{empty}: no checkpoints found" in err

    # a checkpoint without state whose name says nothing: refused, then placed with --positions
    loose = tmp_path / "loose"
    shutil.copytree(branches / "base" / "chck_1M", loose / "model-a")
    (loose / "model-a" / "classit_state.json").unlink()
    assert _sweep(loose / "model-a", "--tasks", TASK, "--output_path", out) == 2
    assert "model-a: no position in training" in capsys.readouterr().err
    from classit_tasks.sweep.discover import discover, parse_positions

    (ck,) = discover([loose / "model-a"], parse_positions("model-a=3M"))
    assert (ck.words_seen, ck.position_source) == (3_000_000, "--positions")
    (ck,) = discover([branches / "base" / "chck_2M"])
    assert ck.words_seen == 2_000_000

    # two checkpoints of one branch at the same position with different weights
    twin = tmp_path / "twin"
    shutil.copytree(branches / "base", twin / "base")
    shutil.copytree(branches / "merged" / "chck_5M", twin / "base" / "chck_1M_again")
    state = json.loads((twin / "base" / "chck_1M_again" / "classit_state.json").read_text())
    state.update(branch="base", words_seen=1_000_000)
    (twin / "base" / "chck_1M_again" / "classit_state.json").write_text(json.dumps(state))
    assert _sweep(twin / "base", "--tasks", TASK, "--output_path", out) == 2
    err = capsys.readouterr().err
    assert "same words position (1,000,000) in branch 'base'" in err and "chck_1M" in err

    # an output folder that is not a sweep folder
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    assert _sweep(branches / "base", "--tasks", TASK, "--output_path", foreign) == 2
    assert f"{foreign}: not empty and not a sweep folder" in capsys.readouterr().err

    # --revisions offline: one line naming the model and revision
    assert _sweep("babylm/some-model", "--revisions", "chck_1M", "--tasks", TASK, "--output_path", out) == 2
    assert "babylm/some-model@chck_1M: cannot download" in capsys.readouterr().err
    assert not out.exists()


def test_failed_checkpoint_other_runs_and_settings(branches, tmp_path, capsys):
    runs = tmp_path / "runs"
    shutil.copytree(branches / "base", runs / "base")
    broken = runs / "base" / "chck_2M" / "model.safetensors"
    broken.write_bytes(broken.read_bytes()[:1000])  # a truncated weights file
    out = tmp_path / "out"
    assert _sweep(runs / "base", "--tasks", TASK, "--output_path", out, "--limit", 1, "--no_report") == 1
    err = capsys.readouterr().err
    assert f"{runs / 'base' / 'chck_2M'}: cannot load" in err
    index = json.loads((out / "sweep.json").read_text())
    assert [c["status"] for c in index["checkpoints"]] == ["complete", "failed", "complete"]
    assert index["checkpoints"][1]["error"].startswith("cannot load")

    # another run's sweep folder is refused; the same run with other settings too
    assert _sweep(branches / "merged", "--tasks", TASK, "--output_path", out, "--limit", 1) == 2
    assert "holds a sweep of other runs (base)" in capsys.readouterr().err
    assert _sweep(runs / "base", "--tasks", TASK, "--output_path", out, "--limit", 2) == 2
    assert "limit=1" in capsys.readouterr().err

    # weights rewritten at one path: a new key; the old results are superseded, never mixed
    shutil.copy(branches / "base" / "chck_2M" / "model.safetensors", broken)
    shutil.copy(branches / "merged" / "chck_6M" / "model.safetensors", runs / "base" / "chck_4M" / "model.safetensors")
    time.sleep(1.1)  # "seen" has a resolution of one second
    assert _sweep(runs / "base", "--tasks", TASK, "--output_path", out, "--limit", 1, "--no_report") == 0
    index = json.loads((out / "sweep.json").read_text())
    assert [c["status"] for c in index["checkpoints"]] == ["complete"] * 3
    paths = [c["path"] for c in index["checkpoints"]]
    assert len(paths) == len(set(paths)) == 3
    # the truncated file's results (failed) and the old chck_4M weights' results
    assert sorted(s["path"] for s in index["superseded"]) == [str(runs / "base" / n) for n in ("chck_2M", "chck_4M")]


def test_different_tokenizers_are_said_once(branches, tmp_path, capsys):
    runs = tmp_path / "runs"
    shutil.copytree(branches / "base", runs / "base")
    other = build_tokenizer("wrap", tmp_path / "tok2", vocab_size=600)
    state = (runs / "base" / "chck_4M" / "classit_state.json").read_text()
    shutil.rmtree(runs / "base" / "chck_4M")
    build_model(other, runs / "base" / "chck_4M", seed=3)
    (runs / "base" / "chck_4M" / "classit_state.json").write_text(state)
    shutil.copytree(runs / "base" / "chck_4M", runs / "base" / "chck_8M")
    state8 = json.loads(state)
    state8["words_seen"] = 8 * 10**6
    (runs / "base" / "chck_8M" / "classit_state.json").write_text(json.dumps(state8))
    build_model(other, runs / "base" / "chck_8M", seed=4)
    assert _sweep(runs / "base", "--tasks", TASK, "--output_path", tmp_path / "out", "--limit", 1,
                  "--no_report") == 0
    err = capsys.readouterr().err
    assert err.count("another tokenizer than the checkpoints before it") == 1
    assert "model objects built 2, weights swapped in 2; requests tokenized 2x, reused 2x" in err


# ---------------------------------------------------------------------------------------------------- report
def test_sweep_report_on_branches(branches, tmp_path):
    out = tmp_path / "sweep"
    assert _sweep(branches / "base", branches / "merged", branches / "sequential", "--tasks", TASK,
                  "--output_path", out, "--limit", 2, "--item_resamples", 100) == 0
    report = json.loads((out / "report" / "report.json").read_text())
    series = {s["name"]: s for s in report["series"]["series"]}
    assert set(series) == {"base → merged", "base → sequential"}
    base_labels = ["base/chck_1M", "base/chck_2M", "base/chck_4M"]
    assert series["base → merged"]["checkpoints"] == base_labels + ["merged/chck_5M", "merged/chck_6M"]
    assert series["base → sequential"]["checkpoints"] == base_labels + ["sequential/chck_5M", "sequential/chck_6M"]
    assert [w["x"] for w in series["base → merged"]["switches"]] == [4e6]
    assert [(w["label"], w["x"]) for w in series["base → sequential"]["switches"]] == [
        ("base:pretrain → sequential:swbd", 4e6), ("sequential:swbd → sequential:wiki", 5e6)]
    switches = [(f["before"], f["after"]) for f in report["series"]["forgetting"]]
    assert switches == [("base/chck_4M", "merged/chck_6M"), ("base/chck_4M", "sequential/chck_5M"),
                        ("sequential/chck_5M", "sequential/chck_6M")]
    paces = report["series"]["pace"]
    assert {p["series"] for p in paces} == set(series)
    assert {"BLiMP field", "BLiMP phenomenon"} == {a["family"] for a in paces[0]["abilities"]}
    assert [a["rank"] for a in paces[0]["abilities"]] == list(range(1, len(paces[0]["abilities"]) + 1))
    margins = report["series"]["margin"]["BLiMP field"]["morphology"]["base → merged"]
    assert len(margins) == 5 and all(m["ci_low"] <= m["margin"] <= m["ci_high"] for m in margins)
    md = (out / "report" / "report.md").read_text()
    for figure in ("growth.png", "growth_blimp_field.png", "growth_blimp_phenomenon.png", "margin_blimp_field.png"):
        assert f"(img/{figure})" in md and (out / "report" / "img" / figure).stat().st_size > 5000
    assert "## Growth pace: base → sequential (ranked, fastest first)" in md
    # the same report from `classit-eval report SWEEP`
    from classit_tasks.report.cli import report_main

    assert report_main([str(out), "--item_resamples", "100", "--no_html"]) == 0
    assert json.loads((out / "report" / "report.json").read_text())["series"]["series"] == report["series"]["series"]


def test_sweep_with_aoa_reports_the_fit_and_the_leaderboard_entry(branches, tmp_path):
    """A sweep that also runs classit_aoa ends with the AoA series fit in its report (report/aoa.py): a table per
    series, aoa.json beside the report, and r x 100 as the AoA entry of each branch end's leaderboard."""
    out = tmp_path / "sweep"
    assert _sweep(branches / "base", branches / "merged", "--tasks", f"{TASK},classit_aoa",
                  "--output_path", out, "--limit", 3, "--item_resamples", 50) == 0
    summary = json.loads((out / "report" / "aoa.json").read_text())
    series = {s["branch"]: s for s in summary["series"]}
    assert list(series) == ["base", "merged"]  # merged continues the base's series (its parent is base/chck_4M)
    assert [c["name"] for c in series["merged"]["checkpoints"]] == ["chck_1M", "chck_2M", "chck_4M", "chck_5M",
                                                                    "chck_6M"]
    md = (out / "report" / "report.md").read_text()
    assert "## Age of acquisition (Chang & Bergen 2022; BabyLM 2025 rule)" in md
    assert "Wordbank stand-in" in md  # the official children's file is not here: every output says so
    report = json.loads((out / "report" / "report.json").read_text())
    boards = {r["label"]: {e["key"]: e for e in r["leaderboard"]["tasks"]} for r in report["runs"]}
    assert boards["merged/chck_6M"]["aoa"]["score"] == pytest.approx(100 * series["merged"]["score"])
    assert boards["base/chck_4M"]["aoa"]["score"] == pytest.approx(100 * series["base"]["score"])
    assert boards["base/chck_1M"]["aoa"]["score"] is None


# ---------------------------------------------------------------------------------------------------- scale-out
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_torchrun_ranks_take_disjoint_checkpoints(branches, tmp_path):
    out = tmp_path / "sweep"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port",
           str(_free_port()), "-m", "classit_tasks.cli", "sweep", str(branches / "base"), "--tasks", TASK,
           "--limit", "1", "--output_path", str(out), "--no_report"]
    done = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    workers = {}
    for manifest in out.glob("checkpoints/*/checkpoint.json"):
        data = json.loads(manifest.read_text())
        workers[data["name"]] = data["units"][TASK]["worker"]
    assert len(workers) == 3 and sorted(workers.values()) == ["0/2", "0/2", "1/2"]
    index = json.loads((out / "sweep.json").read_text())  # written by rank 0 after the barrier: all three
    assert [c["status"] for c in index["checkpoints"]] == ["complete"] * 3


def test_parent_of_an_older_state_comes_from_the_run_config(branches, tmp_path):
    """States written before the contract's keys: the branch is the run folder, the parent the run's init_from."""
    from classit_tasks.sweep.discover import discover

    run = tmp_path / "tiny-merged"
    shutil.copytree(branches / "merged", run)
    for state_file in run.glob("*/classit_state.json"):
        state = json.loads(state_file.read_text())
        for key in ("branch", "parent", "words_offset"):
            state.pop(key)
        state_file.write_text(json.dumps(state))
    (run / "config.yaml").write_text(f"output_dir: {run}\nmodel:\n  init_from: {branches / 'base' / 'chck_4M'}\n")
    found = discover([run])
    assert {(c.branch, c.parent) for c in found} == {("tiny-merged", str(branches / "base" / "chck_4M"))}
