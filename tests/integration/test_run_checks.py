"""classit-eval's lm-eval plumbing: --use_cache keyed by model identity, lm-eval logging and --write_out, no git
noise, --apply_chat_template refused on classit tasks, the one-line --model hf parity warning, and
--update_model_card."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys

import pytest
from conftest import REPO
from tiny_models import EVAL_DATA

from classit_tasks import run_checks
from classit_tasks.tasks import hf_rule
from classit_tasks.scoring.cache_key import cache_identity, keyed_cache_path
from classit_tasks.cli import main

TASK = "classit_blimp_anaphor_gender_agreement"


def _acc(out):
    [path] = sorted(out.rglob("results_*.json"))
    return json.loads(path.read_text())["results"][TASK]["acc,none"]


def _eval(ckpt, out, *extra):
    return main(["--model_args", f"pretrained={ckpt},dtype=float32", "--tasks", TASK, "--data_dir", str(EVAL_DATA),
                 "--device", "cpu", "--limit", "40", "--batch_size", "16", "--output_path", str(out), *extra])


def test_use_cache_is_keyed_by_model_identity(checkpoints, tmp_path, one_thread):
    """The issue's case: a cache written by --model hf must not be served to classit-hf (GPT-2-style tokenizer,
    where the two differ), and new weights at the same path must not reuse old scores."""
    ckpt, cache = checkpoints["nobos"], str(tmp_path / "cache" / "lm")
    assert _eval(ckpt, tmp_path / "fresh") == 0  # classit-hf, no cache: the right number
    assert _eval(ckpt, tmp_path / "hf", "--model", "hf", "--use_cache", cache) == 0
    assert _eval(ckpt, tmp_path / "cached", "--use_cache", cache) == 0
    right, hf, cached = _acc(tmp_path / "fresh"), _acc(tmp_path / "hf"), _acc(tmp_path / "cached")
    assert hf != right, "the case needs a checkpoint on which hf and classit-hf differ"
    assert cached == right
    assert len(list((tmp_path / "cache").glob("lm_*_rank0.db"))) == 2
    # the digest covers model name, class, args and weights
    base = keyed_cache_path(cache, "classit-hf", {"pretrained": str(ckpt)})
    assert keyed_cache_path(cache, "hf", {"pretrained": str(ckpt)}) != base
    assert keyed_cache_path(cache, "classit-hf", {"pretrained": str(ckpt), "prefix_sharing": False}) != base
    assert keyed_cache_path(cache, "classit-hf", {"pretrained": str(ckpt), "device": "cuda", "batch_size": 8}) == base
    assert "pretrained_sha256" in cache_identity("classit-hf", {"pretrained": str(ckpt)})


def test_chat_template_refused_on_classit_tasks(checkpoints, capsys):
    code = main(["--model_args", f"pretrained={checkpoints['bos']}", "--tasks", TASK, "--data_dir", str(EVAL_DATA),
                 "--device", "cpu", "--limit", "2", "--apply_chat_template"])
    # lm-eval's own log records (e.g. its --limit warning) may come first; classit's refusal is one line
    err = [line for line in capsys.readouterr().err.strip().splitlines() if not re.match(r"\d{4}-\d\d-\d\d:", line)]
    assert code == 2 and len(err) == 1
    assert err[0].startswith("classit-eval: error: --apply_chat_template would rewrite the scored text of " + TASK)
    assert run_checks.check_chat_template(False, [TASK]) is None
    assert run_checks.check_chat_template(True, ["arc_easy"]) is None


@pytest.mark.parametrize("kind,has_context,warns", [("nobos", False, True), ("bos", False, False),
                                                    ("wrap", False, False), ("wrap", True, True),
                                                    ("nobos", True, False)])
def test_hf_rule_warning(checkpoints, kind, has_context, warns, caplog, monkeypatch):
    monkeypatch.setattr(hf_rule, "_WARNED", set())
    metadata = {"pretrained": str(checkpoints[kind])}  # plain lm_eval: no model name in the metadata
    with caplog.at_level(logging.WARNING, logger="lm_eval.classit"):
        for model in ("classit-hf", "classit"):  # classit-eval run / sweep name the model: silent
            assert hf_rule.warn_if_hf_differs("blimp_fast/x", has_context, {**metadata, "model": model}) is None
        line = hf_rule.warn_if_hf_differs("blimp_fast/x", has_context, metadata)
        again = hf_rule.warn_if_hf_differs("blimp_fast/y", has_context, {**metadata, "model": "hf"})
    assert (line is not None) == warns and again is None  # one line per checkpoint and task kind
    assert len([r for r in caplog.records if r.name == "lm_eval.classit"]) == int(warns)


def test_plain_lm_eval_warns_and_logging_works(checkpoints, tmp_path):
    """Plain `lm_eval --model hf` on a GPT-2-style checkpoint prints the parity line (from the task loader);
    classit-eval sets up lm-eval's logging (--write_out shows prompts) and prints no git error outside a repo."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    from classit_tasks import task_dir

    common = ["--model_args", f"pretrained={checkpoints['nobos']},dtype=float32", "--tasks", TASK, "--device", "cpu",
              "--limit", "2", "--batch_size", "4"]
    plain = subprocess.run(["lm_eval", "--model", "hf", *common, "--include_path", str(task_dir()),
                            "--metadata", json.dumps({"data_dir": str(EVAL_DATA)})],
                           capture_output=True, text=True, env=env, cwd=tmp_path, timeout=900)
    assert plain.returncode == 0, plain.stderr[-2000:]
    assert plain.stderr.count("will differ from BabyLM 2025 scoring") == 1
    ours = subprocess.run([sys.executable, "-m", "classit_tasks.cli", *common, "--data_dir", str(EVAL_DATA),
                           "--write_out"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=900)
    assert ours.returncode == 0, ours.stderr[-2000:]
    assert "not a git repository" not in ours.stderr and "fatal:" not in ours.stderr
    assert "context prompt (starting on next line)" in ours.stderr  # --write_out
    assert "will differ from BabyLM 2025" not in ours.stderr  # classit-hf: no parity warning


def test_update_model_card(checkpoints, tmp_path, one_thread):
    import shutil

    ckpt = tmp_path / "ckpt"
    shutil.copytree(checkpoints["bos"], ckpt)
    (ckpt / "README.md").write_text("# my model\n\n<!-- classit-scores:start -->\nnone yet\n<!-- classit-scores:end -->\n")
    assert _eval(ckpt, tmp_path / "out", "--update_model_card") == 0
    card = (ckpt / "README.md").read_text()
    assert card.startswith("# my model") and "none yet" not in card
    row = next(line for line in card.splitlines() if line.startswith(f"| {TASK} | acc |"))
    assert float(row.split("|")[3]) == pytest.approx(_acc(tmp_path / "out"), abs=1e-4)
