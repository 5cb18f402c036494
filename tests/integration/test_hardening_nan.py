"""Issue 15, silent wrong numbers: NaN/inf scores are never counted correct and never pass `compare`; user-given
names (--metric, --model, --model_args keys) are validated with the closest valid names in the message."""

from __future__ import annotations

import json
import shutil

import pytest
from tiny_models import EVAL_DATA

from classit_tasks import nonfinite
from classit_tasks.cli import main
from classit_tasks.report.cli import compare_main, report_main

TASKS = "classit_blimp_supplement_fast"


def _error(capsys, code) -> str:
    """The last stderr line (the one-line error of a command that returned ``code``)."""
    err = capsys.readouterr().err.strip().splitlines()
    assert err, "no error line"
    return err[-1]


@pytest.fixture(scope="module")
def nan_checkpoint(checkpoints, tmp_path_factory):
    """The tiny Llama checkpoint with a NaN final norm: every logit, hence every log-likelihood, is NaN."""
    import torch
    from transformers import AutoModelForCausalLM

    out = tmp_path_factory.mktemp("nan_model")
    model = AutoModelForCausalLM.from_pretrained(checkpoints["bos"])
    with torch.no_grad():
        model.model.norm.weight.fill_(float("nan"))
    model.save_pretrained(out)
    for path in checkpoints["bos"].iterdir():
        if path.name.startswith(("tokenizer", "special_tokens")):
            shutil.copy(path, out / path.name)
    return out


def _eval(checkpoint, out, *extra) -> int:
    return main(["--model_args", f"pretrained={checkpoint}", "--tasks", TASKS, "--data_dir", str(EVAL_DATA),
                 "--device", "cpu", "--limit", "2", "--output_path", str(out), "--log_samples", *extra])


@pytest.fixture(scope="module")
def finite_run(checkpoints, tmp_path_factory):
    out = tmp_path_factory.mktemp("finite_run")
    assert _eval(checkpoints["bos"], out) == 0
    return out


def test_nan_model_stops_with_task_and_item(nan_checkpoint, tmp_path, capsys):
    assert _eval(nan_checkpoint, tmp_path / "out") == 2
    line = _error(capsys, 2)
    assert line.startswith("classit-eval: error: classit_supplement_fast_") and " doc " in line
    assert "non-finite log-likelihood" in line and "--allow_nan" in line
    assert not list(tmp_path.rglob("results_*.json"))


def test_allow_nan_scores_items_as_wrong_and_reports_them(nan_checkpoint, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv(nonfinite.ENV, raising=False)
    assert _eval(nan_checkpoint, tmp_path / "out", "--allow_nan") == 0
    assert nonfinite.ENV not in __import__("os").environ  # classit's own code never sets the user's switch
    err = capsys.readouterr().err
    assert "10 item(s) had non-finite scores and were scored as wrong (--allow_nan)" in err  # --limit 2, 5 tasks
    [path] = (tmp_path / "out").rglob("results_*.json")
    run = json.loads(path.read_text())
    results = run["results"]
    leaves = [k for k in results if k.startswith("classit_supplement_fast_")]
    assert leaves and all(results[k]["acc,none"] == 0.0 for k in leaves)
    assert run["config"]["model_args"]["allow_nan"] is True  # the switch is a classit-hf argument
    # without --log_samples the count still comes from the run's samples, and no samples file is written
    out = tmp_path / "no_samples"
    assert main(["--model_args", f"pretrained={nan_checkpoint}", "--tasks", TASKS, "--data_dir", str(EVAL_DATA),
                 "--device", "cpu", "--limit", "1", "--output_path", str(out), "--allow_nan"]) == 0
    assert "had non-finite scores and were scored as wrong" in capsys.readouterr().err
    assert list(out.rglob("results_*.json")) and not list(out.rglob("samples_*.jsonl"))
    # another model cannot take the switch: one line, nothing written
    assert main(["--model", "hf", "--model_args", f"pretrained={nan_checkpoint}", "--tasks", TASKS, "--data_dir",
                 str(EVAL_DATA), "--device", "cpu", "--limit", "1", "--output_path", str(tmp_path / "hf"),
                 "--allow_nan"]) == 2
    assert f"set {nonfinite.ENV}=1 instead" in _error(capsys, 2)
    assert not (tmp_path / "hf").exists()


def _plant_nan(run_dir, tmp_path):
    """A copy of a real run whose first sample of one task has a NaN accuracy (a run of another model / version)."""
    copy = tmp_path / "nan_run"
    shutil.copytree(run_dir, copy)
    path = sorted(copy.rglob("samples_classit_supplement_fast_*.jsonl"))[0]
    lines = path.read_text().splitlines()
    row = json.loads(lines[0])
    row["acc"] = float("nan")
    lines[0] = json.dumps(row)
    path.write_text("\n".join(lines) + "\n")
    return copy, path


def test_report_and_compare_refuse_nan_or_fail_the_gate(finite_run, tmp_path, capsys):
    nan_run, planted = _plant_nan(finite_run, tmp_path)
    args = ["--item_resamples", "200"]
    assert compare_main(["--baseline", str(finite_run), "--candidate", str(nan_run), *args]) == 2
    line = _error(capsys, 2)
    assert str(planted) in line and "doc_id" in line and "acc=nan" in line
    out = tmp_path / "cmp.json"
    assert compare_main(["--baseline", str(finite_run), "--candidate", str(nan_run), "--allow_nan", *args,
                         "--output_path", str(out)]) == 1
    printed = capsys.readouterr().out
    assert "REGRESSION: " in printed
    assert json.loads(out.read_text())["exit_status"] == 1
    # the identical finite runs pass
    assert compare_main(["--baseline", str(finite_run), "--candidate", str(finite_run), *args]) == 0
    capsys.readouterr()
    assert report_main([str(nan_run), "--output_path", str(tmp_path / "rep"), "--no_html", *args]) == 2
    assert str(planted) in _error(capsys, 2)
    assert report_main([str(nan_run), "--output_path", str(tmp_path / "rep"), "--no_html", "--allow_nan", *args]) == 0
    summary = json.loads(next((tmp_path / "rep").glob("*.json")).read_text())
    text = json.dumps(summary)
    assert "non-finite item score(s): no value, no CI" in text


def test_unknown_metric_is_refused_with_closest_name(finite_run, tmp_path, capsys):
    assert compare_main(["--baseline", str(finite_run), "--candidate", str(finite_run),
                         "--metric", "acc_tie_half", "--item_resamples", "200"]) == 2
    assert "unknown metric 'acc_tie_half'; did you mean 'acc_ties_half'" in _error(capsys, 2)
    assert report_main([str(finite_run), "--metric", "acc_tie_half", "--output_path", str(tmp_path / "r")]) == 2
    assert "did you mean 'acc_ties_half'" in _error(capsys, 2)


def test_model_and_model_args_typos_are_refused(checkpoints, tmp_path, capsys):
    common = ["--tasks", TASKS, "--data_dir", str(EVAL_DATA), "--device", "cpu", "--limit", "1",
              "--output_path", str(tmp_path / "out")]
    assert main(["--model", "classit-hff", "--model_args", f"pretrained={checkpoints['bos']}", *common]) == 2
    assert "unknown model 'classit-hff'; did you mean 'classit-hf'" in _error(capsys, 2)
    assert main(["--model_args", f"pretrained={checkpoints['bos']},max_tokens_per_bach=512", *common]) == 2
    assert "unknown classit-hf argument 'max_tokens_per_bach'; did you mean 'max_tokens_per_batch'" in _error(capsys, 2)
    assert main(["--model_args", f"pretrained={checkpoints['bos']},max_length=4096", *common]) == 2
    line = _error(capsys, 2)
    assert "max_length=4096" in line and "has 512 positions" in line
    for bad, message in (("max_tokens_per_batch=abc", "max_tokens_per_batch='abc': expected a positive integer"),
                         ("dtype=float33", "dtype='float33': not a torch dtype")):
        assert main(["--model_args", f"pretrained={checkpoints['bos']},{bad}", *common]) == 2
        assert message in _error(capsys, 2)
    assert not list(tmp_path.rglob("results_*.json"))
