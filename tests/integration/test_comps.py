"""COMPS: loader, validation, the 2025 scoring rule and the per-file macro average.

The COMPS files are not on this machine; every test writes small COMPS-format files of its own sentences.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from classit_tasks.tasks.comps import SUBTASKS, load_comps
from classit_tasks.tasks.data import ClassitDataError
from zero_shot_helpers import _plain_model, classit_lm, sample_logliks

# (acceptable prefix, unacceptable prefix, property phrase): the project's own sentences, not COMPS items.
OWN_ITEMS = [
    ("A robin", "A pebble", "can fly over the garden."),
    ("A kettle", "A pillow", "can boil water."),
    ("A violin", "A spoon", "has four strings."),
    ("A dax is a type of owl. Therefore, a dax", "A wug is a type of chair. Therefore, a wug", "hunts at night."),
    ("A lemon", "A brick", "tastes sour."),
    ("A blicket is a kind of fish. Therefore, a blicket", "A fep is a kind of lamp. Therefore, a fep",
     "breathes through gills."),
    ("A dog", "A dog", "likes to run."),  # identical options: an exact tie
]
SIZES = {"comps_base": 7, "comps_wugs": 3, "comps_wugs_dist-before": 5, "comps_wugs_dist-in-between": 2}


def write_comps(root: Path, sizes: dict[str, int] = SIZES, extra: dict | None = None) -> Path:
    folder = root / "full_eval" / "comps"
    folder.mkdir(parents=True, exist_ok=True)
    for stem, n in sizes.items():
        with open(folder / f"{stem}.jsonl", "w", encoding="utf-8") as f:
            for i in range(n):
                a, b, p = OWN_ITEMS[i % len(OWN_ITEMS)]
                f.write(json.dumps({"prefix_acceptable": a, "prefix_unacceptable": b, "property_phrase": p,
                                    "id": i, **(extra or {})}) + "\n")
    return root


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


def test_comps_is_part_of_the_zero_shot_suite():
    import yaml

    from zero_shot_helpers import TASK_DIR

    members = yaml.safe_load((TASK_DIR / "classit_zero_shot.yaml").read_text())["task"]
    assert "classit_comps" in members
    fast = yaml.safe_load((TASK_DIR / "classit_zero_shot_fast.yaml").read_text())["task"]
    assert "classit_comps" not in fast  # the 2025 data has no COMPS fast set


def test_comps_bad_input(tmp_path):
    data = write_comps(tmp_path)
    folder = data / "full_eval" / "comps"
    docs = load_comps("comps_wugs", data_dir=data, check_counts=False)["test"]
    assert [d["property_phrase"] for d in docs] == [p for _, _, p in OWN_ITEMS[:3]]
    # official counts are checked by default
    with pytest.raises(ClassitDataError, match=r"comps_base\.jsonl: 7 items, the official release has 49340"):
        load_comps("comps_base", data_dir=data)
    # a missing file of the four
    (folder / "comps_wugs.jsonl").unlink()
    with pytest.raises(ClassitDataError, match=r"comps_wugs\.jsonl: file not found"):
        load_comps("comps_wugs", data_dir=data, check_counts=False, optional=True)
    # a stray file the 2025 reader would have merged into wugs_dist_in_between
    (folder / "comps_extra.jsonl").write_text("{}\n")
    with pytest.raises(ClassitDataError, match=r"comps_extra\.jsonl: not a COMPS file"):
        load_comps("comps_base", data_dir=data)
    (folder / "comps_extra.jsonl").unlink()
    # a line without a required field, and an empty one
    path = folder / "comps_wugs_dist-before.jsonl"
    lines = path.read_text().splitlines()
    lines[2] = json.dumps({"prefix_acceptable": "A cat", "property_phrase": "purrs."})
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ClassitDataError, match=r"comps_wugs_dist-before\.jsonl:3: missing field 'prefix_unacceptable'"):
        load_comps("comps_wugs_dist-before", data_dir=data, check_counts=False)
    lines[2] = json.dumps({"prefix_acceptable": "A cat", "prefix_unacceptable": "A cup", "property_phrase": " "})
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ClassitDataError, match=r"comps_wugs_dist-before\.jsonl:3: field 'property_phrase' is empty"):
        load_comps("comps_wugs_dist-before", data_dir=data, check_counts=False)
    # without the optional flag a data folder lacking comps/ is an error too
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ClassitDataError, match="dataset 'comps' not found"):
        load_comps("comps_base", data_dir=empty)


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
