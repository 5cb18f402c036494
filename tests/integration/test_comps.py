"""COMPS on tiny checkpoints (whose tokenizers are trained on ../shared/data's corpora): the 2025 scoring rule and the
per-file macro average. The loader and its validation are unit tests (tests/unit/test_comps_files.py).

The COMPS files are not on this machine; every test writes small COMPS-format files of its own sentences.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from classit_tasks.tasks.comps import SUBTASKS
from comps_files import OWN_ITEMS, SIZES, write_comps
from zero_shot_helpers import _plain_model, classit_lm, sample_logliks


def reference_comps_score(kind: str, prefix: str, phrase: str) -> float:
    """The 2025 rule written from ``decode_comps`` + the causal collate: sentence = prefix + " " + phrase, completion =
    phrase, one tokenization with default special tokens, token 0 never a target, tokens whose span ends after
    ``len(sentence) - len(completion) + offset[0][0]`` summed (natural log, float32)."""
    model, tokenizer = _plain_model(kind)
    sentence = " ".join([prefix, phrase])
    enc = tokenizer(sentence, return_offsets_mapping=True)
    offsets = enc["offset_mapping"]
    start_char = len(sentence) - len(phrase) + offsets[0][0]
    ids = torch.tensor([enc["input_ids"]])
    with torch.no_grad():
        logprobs = torch.log_softmax(model(ids[:, :-1]).logits[0].float(), dim=-1)
    mask = torch.tensor([end > start_char for _, end in offsets[1:]], dtype=torch.float32)
    return float((logprobs.gather(-1, ids[0, 1:, None])[:, 0] * mask).sum())


def _tm(data_dir: Path, check_counts=False):
    from lm_eval.tasks import TaskManager

    from zero_shot_helpers import TASK_DIR

    return TaskManager(include_path=str(TASK_DIR), include_defaults=False,
                       metadata={"data_dir": str(data_dir), "check_counts": check_counts})


def _run(data_dir: Path, kind: str, tasks=("classit_comps",)):
    from lm_eval import simple_evaluate

    return simple_evaluate(model=classit_lm(kind), tasks=list(tasks), task_manager=_tm(data_dir),
                           bootstrap_iters=0, log_samples=True)


@pytest.mark.parametrize("kind", ["bos", "nobos"])
def test_comps_per_item_parity_and_macro_average(tmp_path, kind, one_thread):
    data = write_comps(tmp_path)
    out = _run(data, kind)
    accs = {}
    for stem, subtask in SUBTASKS.items():
        task = f"classit_comps_{subtask}"
        samples = sorted(out["samples"][task], key=lambda s: s["doc_id"])
        assert len(samples) == SIZES[stem]
        correct = []
        for doc_id, args, lls in sample_logliks(samples):
            a, b, p = OWN_ITEMS[doc_id % len(OWN_ITEMS)]
            assert args == [(a + " ", p), (b + " ", p)]  # one context per option, the phrase shared
            ref = [reference_comps_score(kind, a, p), reference_comps_score(kind, b, p)]
            for got, want in zip(lls, ref):
                assert got == pytest.approx(want, rel=1e-5, abs=1e-4)
            correct.append(float(lls[0] >= lls[1]))  # torch.max: a tie goes to option 0, the acceptable one
        accs[subtask] = sum(correct) / len(correct)
        assert out["results"][task]["acc,none"] == pytest.approx(accs[subtask])
        assert out["results"][task]["status,none"] == f"evaluated ({SIZES[stem]} items)"
    # the tied item (identical options) is counted as a tie and as correct
    assert out["results"]["classit_comps_base"]["ties,none"] == 1
    # score = unweighted mean over the 4 files, not the pooled accuracy
    assert out["results"]["classit_comps"]["acc,none"] == pytest.approx(sum(accs.values()) / 4)


def test_comps_not_evaluated_without_folder(tmp_path, one_thread):
    (tmp_path / "full_eval").mkdir()
    out = _run(tmp_path, "bos")
    entry = out["results"]["classit_comps_base"]
    assert math.isnan(entry["acc,none"])
    assert entry["status,none"] == "not evaluated: comps/ not in the evaluation data"
    assert math.isnan(out["results"]["classit_comps"]["acc,none"])


def test_classit_eval_refuses_a_comps_folder_missing_a_file(tmp_path, capsys):
    from classit_tasks.cli import main
    from zero_shot_helpers import tiny_checkpoint

    data = write_comps(tmp_path / "data")
    (data / "full_eval" / "comps" / "comps_wugs_dist-in-between.jsonl").unlink()
    out = tmp_path / "out"
    argv = ["run", "--model_args", f"pretrained={tiny_checkpoint('bos')}", "--tasks", "classit_comps",
            "--data_dir", str(data), "--device", "cpu", "--output_path", str(out)]
    for extra, message in (([], "comps_base.jsonl: 7 items, the official release has 49340"),
                           (["--metadata", json.dumps({"check_counts": False})],
                            "comps_wugs_dist-in-between.jsonl: file not found")):
        code = main(argv + extra)
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2
        assert err[-1].startswith("classit-eval: error: ") and message in err[-1]
        assert not out.exists() or not list(out.rglob("results_*.json"))
