"""``classit-eval submit``: the BabyLM 2025 submission file from a real tiny sweep, the final model's full suite and
its fine-tuning results (all written by classit-eval on tiny random models), checked with the official size checks and
scoring rules of ``collate_preds.py`` / ``calculate_results_from_pred.py`` re-implemented here; and every refusal.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

import pytest
from scipy.stats import spearmanr

from classit_tasks.cli import main
from classit_tasks.tasks.data import find_dataset
from classit_tasks.tasks.blimp import COUNTS as BLIMP_FILTERED
from classit_tasks.tasks.entity_tracking import COUNTS_BY_NUMOPS as ENTITY_TRACKING_NUMOPS
from classit_tasks.tasks.ewok import COUNTS as EWOK_FILTERED
from classit_tasks.tasks.supplement import COUNTS as SUPPLEMENT_FILTERED
from submit_scenario import ALLOW_MISSING, build_scenario, scenario_paths
from tiny_models import EVAL_DATA

UP_TO = "chck_2M"  # the 2025 README accepts the checkpoints up to the last one trained
FILE = "all_full_preds_and_fast_scores_causal.json"


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    reuse = os.environ.get("CLASSIT_SUBMIT_SCENARIO")  # development: a scenario folder built earlier
    try:
        yield scenario_paths(Path(reuse)) if reuse else build_scenario(tmp_path_factory.mktemp("submit"))
    finally:
        torch.set_num_threads(before)


def submit(s: dict, out: Path, *extra: str, results=None, finetune=None, sweep=None, allow=ALLOW_MISSING,
           up_to=UP_TO) -> int:
    argv = ["submit", "--results", str(results or s["full"]), "--finetune", str(finetune or s["finetune"]),
            "--sweep", str(sweep or s["sweep"]), "--output_path", str(out)]
    argv += ["--allow_missing", allow] if allow else []
    argv += ["--up_to", up_to] if up_to else []
    return main([*argv, *extra])


# -------------------------------------------------------------------------- the official checks, re-implemented
OFFICIAL_FULL = {
    "blimp": {k.lower(): n for k, n in BLIMP_FILTERED.items()},
    "blimp_supplement": dict(SUPPLEMENT_FILTERED),
    "ewok": dict(EWOK_FILTERED),
    "entity_tracking": {f"{f}_{k}_ops": n for f, d in ENTITY_TRACKING_NUMOPS.items() for k, n in d.items()},
    "wug_adj": 200, "wug_past": 50, "reading": 1726,
    "comps": {"base": 49340, "wugs_dist_before": 13896, "wugs_dist_in_between": 13896, "wugs": 13896},
    "boolq": 1635, "mnli": 4908, "mrpc": 204, "multirc": 2424, "qqp": 20215, "rte": 139, "wsc": 52,
}
OFFICIAL_FAST = {"blimp": 200, "blimp_supplement": 50, "ewok": 100, "wug_adj": 200, "wug_past": 50, "reading": 1726,
                 "entity_tracking": dict(ENTITY_TRACKING_NUMOPS["regular"].items())}


def official_size_check(task: str, results: dict) -> list[str]:
    """collate_preds.py::_check_size (full sets): every subtask present must have the official count."""
    errors = []
    for key, res in results.items():
        size = OFFICIAL_FULL[task]
        want = size[key.lower()] if isinstance(size, dict) else size
        if len(res["predictions"]) != want:
            errors.append(f"{task}/{key}: {len(res['predictions'])} != {want}")
    return errors


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def official_accuracy(preds: dict, folder: Path, field: str) -> float:
    """calculate_results_from_pred.py: a prediction is correct iff its stripped string equals the gold string of the
    same line of the data file; score = mean of the subtask accuracies ×100."""
    scores = []
    for subtask, res in preds.items():
        data = _lines(folder / f"{subtask}.jsonl")
        correct = sum(p["pred"].strip() == d[field].strip() for p, d in zip(res["predictions"], data))
        scores.append(100 * correct / len(data))
    return sum(scores) / len(scores)


def official_et_accuracy(preds: dict, folder: Path) -> float:
    scores = []
    for path in sorted(folder.glob("*.jsonl")):
        by_ops: dict[int, list[dict]] = {}
        for d in _lines(path):
            by_ops.setdefault(d["numops"], []).append(d)
        for ops, data in by_ops.items():
            got = preds[f"{path.stem}_{ops}_ops"]["predictions"]
            scores.append(100 * sum(p["pred"].strip() == d["options"][0].strip() for p, d in zip(got, data)) / len(data))
    return sum(scores) / len(scores)


def _results(folder: Path) -> dict:
    merged = {}
    for path in sorted(folder.rglob("results_*.json")):
        merged.update(json.loads(path.read_text())["results"])
    return merged


@pytest.mark.slow
def test_submission_file_passes_the_official_checks(scenario, tmp_path, capsys):
    assert submit(scenario, tmp_path) == 0
    out = capsys.readouterr().out
    data = json.loads((tmp_path / FILE).read_text())
    assert list(data) == ["blimp", "blimp_supplement", "ewok", "entity_tracking", "wug_adj", "wug_past", "comps",
                          "reading", "aoa", "glue", "fast_eval_results"]
    for part in ("blimp", "blimp_supplement", "ewok", "entity_tracking", "wug_adj", "reading"):
        assert data[part] and official_size_check(part, data[part]) == [], part
    assert set(data["blimp"]) == set(BLIMP_FILTERED) and len(data["entity_tracking"]) == 18
    assert list(data["glue"]) == ["wsc"] and official_size_check("wsc", data["glue"]) == []
    # parts this machine cannot fill are empty and said so
    assert data["comps"] == {} and data["wug_past"] == {} and data["aoa"] == {}
    assert data["fast_eval_results"]["wug_past"] == []
    assert "left empty: comps (counts as 0 on the leaderboard)" in out
    manifest = json.loads((tmp_path / FILE.replace(".json", ".manifest.json")).read_text())
    assert "comps" in manifest["left_empty"] and manifest["official_checkpoints"] is True
    assert manifest["checkpoints"] == ["chck_1M", "chck_2M"]
    # ids and prediction strings as the 2025 predictions.json files hold them
    assert data["blimp"]["adjunct_island"]["predictions"][3]["id"] == "adjunct_island_3"
    assert data["ewok"]["social-properties"]["predictions"][0]["pred"].startswith(" ")  # " " + target
    assert all(isinstance(p["prob"], float) for p in data["wug_adj"]["wug_adj"]["predictions"])
    # the official scoring of the predictions gives classit's own (parity) numbers
    full = _results(scenario["full"])
    root = EVAL_DATA / "full_eval"
    assert official_accuracy(data["blimp"], root / "blimp_filtered", "sentence_good") == pytest.approx(
        100 * full["classit_blimp"]["acc,none"])
    assert official_accuracy(data["blimp_supplement"], root / "supplement_filtered", "sentence_good") == \
        pytest.approx(100 * full["classit_blimp_supplement"]["acc,none"])
    assert official_accuracy(data["ewok"], find_dataset("ewok_filtered", EVAL_DATA), "Target1") == pytest.approx(
        100 * full["classit_ewok"]["acc,none"])
    assert official_et_accuracy(data["entity_tracking"], find_dataset("entity_tracking", EVAL_DATA)) == \
        pytest.approx(100 * full["classit_entity_tracking"]["acc,none"])
    ratios = [d["ratio"] for d in _lines(root / "wug_adj_nominalization" / "wug_adj_nominalization.jsonl")]
    probs = [p["prob"] for p in data["wug_adj"]["wug_adj"]["predictions"]]
    assert spearmanr(probs, ratios)[0] == pytest.approx(full["classit_wug_adj_nominalization"]["spearman,none"],
                                                         abs=1e-9)
    reading = data["reading"]["reading"]["predictions"]
    assert [p["id"] for p in reading] == list(range(1726))
    assert sum(math.isnan(p["prev_pred"]) for p in reading) > 0  # rows without a previous word
    # GLUE: the fine-tuning wrapper's predictions, scored against the valid file
    valid = _lines(root / "glue_filtered" / "wsc.valid.jsonl")
    acc = sum(p["pred"] == d["label"] for p, d in zip(data["glue"]["wsc"]["predictions"], valid)) / len(valid)
    assert acc == pytest.approx(_results(scenario["finetune"])["classit_glue_wsc"]["acc,none"])
    # fast results: one dict per checkpoint, fractions, the sweep's per-checkpoint numbers
    fast = data["fast_eval_results"]
    sweep = json.loads((scenario["sweep"] / "sweep.json").read_text())
    for i, entry in enumerate(sweep["checkpoints"]):
        res = _results(scenario["sweep"] / entry["results_dir"])
        assert fast["blimp"][i]["adjunct_island"] == res["classit_blimp_fast_adjunct_island"]["acc,none"]
        assert fast["entity_tracking"][i]["regular_5_ops"] == res["classit_entity_tracking_fast_regular_5_ops"]["acc,none"]
        assert fast["reading"][i]["rt"] == pytest.approx(res["classit_reading"]["eye_tracking,none"] / 100)
        assert fast["wug_adj"][i] == {"wug_adj": res["classit_wug_adj_nominalization"]["spearman,none"]}
    for part, size in OFFICIAL_FAST.items():
        if part in ("wug_past", "reading", "wug_adj"):
            continue
        assert all(len(rev) == (len(size) if isinstance(size, dict) else len(data[part])) for rev in fast[part])
    print(f"submission file: {(tmp_path / FILE).stat().st_size} bytes")


def _refused(capsys, out: Path, pattern: str) -> None:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("classit-eval submit: error: "), err
    assert pattern in err, err
    assert not out.exists() or not list(out.iterdir())  # no file, no partial file


def _repoint(results: Path, old: Path, new: Path) -> None:
    """Make a results file name another model (lm-eval stores model_args as a dict, the fine-tuning wrapper as a
    string)."""
    res = json.loads(results.read_text())
    args = res["config"]["model_args"]
    if isinstance(args, dict):
        args["pretrained"] = str(new)
    else:
        res["config"]["model_args"] = args.replace(str(old), str(new))
    results.write_text(json.dumps(res))


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


@pytest.mark.slow
def test_submission_refuses_missing_or_incomplete_input(scenario, tmp_path, capsys):
    out = tmp_path / "out"
    # a run missing one subtask: its results entry and samples gone
    full = _copy(scenario["full"], tmp_path / "full")
    [results] = list(full.rglob("results_*.json"))
    data = json.loads(results.read_text())
    del data["results"]["classit_blimp_adjunct_island"]
    results.write_text(json.dumps(data))
    for p in full.rglob("samples_classit_blimp_adjunct_island_*.jsonl"):
        p.unlink()
    assert submit(scenario, out, results=full) == 2
    _refused(capsys, out, "classit_blimp_adjunct_island: not in the full-suite results (subtask adjunct_island of blimp)")
    # wrong counts: a samples file with one prediction too few
    full = _copy(scenario["full"], tmp_path / "full2")
    [samples] = list(full.rglob("samples_classit_ewok_physical_dynamics_*.jsonl"))
    samples.write_text("".join(samples.read_text().splitlines(keepends=True)[:-1]))
    assert submit(scenario, out, results=full) == 2
    _refused(capsys, out, "ewok subtask physical-dynamics has 119 predictions, the official size is 120")
    # COMPS absent and not allowed to be
    assert submit(scenario, out, allow=ALLOW_MISSING.replace("comps,", "")) == 2
    _refused(capsys, out, "classit_comps_base: not evaluated: comps/ not in the evaluation data")
    # fine-tuning predictions missing for a task
    assert submit(scenario, out, allow=ALLOW_MISSING.replace(",mrpc", "")) == 2
    _refused(capsys, out, "classit_glue_mrpc: no fine-tuning predictions; pass --allow_missing mrpc")
    # the official checkpoint list (strict-small: chck_1M … chck_100M) is not in this sweep
    assert submit(scenario, out, up_to=None) == 2
    _refused(capsys, out, "no checkpoint chck_3M (the submission needs chck_1M … chck_100M, 19 checkpoints)")


@pytest.mark.slow
def test_submission_refuses_bad_sweeps_and_mixed_models(scenario, tmp_path, capsys):
    out = tmp_path / "out"
    # a sweep without fast results for one checkpoint
    sweep = _copy(scenario["sweep"], tmp_path / "sweep")
    index = json.loads((sweep / "sweep.json").read_text())
    gone = sweep / index["checkpoints"][0]["results_dir"]
    for p in gone.rglob("*blimp_fast*"):
        p.unlink()
    for p in gone.rglob("results_*.json"):
        res = json.loads(p.read_text())
        res["results"] = {k: v for k, v in res["results"].items() if "blimp_fast" not in k}
        p.write_text(json.dumps(res))
    assert submit(scenario, out, sweep=sweep) == 2
    _refused(capsys, out, "sweep checkpoint chck_1M: no fast results for blimp")
    # a sweep whose checkpoint is still partial
    sweep = _copy(scenario["sweep"], tmp_path / "sweep2")
    index = json.loads((sweep / "sweep.json").read_text())
    index["checkpoints"][1]["status"] = "partial"
    (sweep / "sweep.json").write_text(json.dumps(index))
    assert submit(scenario, out, sweep=sweep) == 2
    _refused(capsys, out, "checkpoint chck_2M is 'partial', not complete")
    # fine-tuning results of another model than the full suite
    ft = _copy(scenario["finetune"], tmp_path / "ft")
    [results] = list(ft.rglob("results_*.json"))
    _repoint(results, scenario["final"], scenario["run"] / "chck_1M")
    assert submit(scenario, out, finetune=ft) == 2
    _refused(capsys, out, "results of different models mixed")
    # a full suite of a model outside the sweep's run
    full = _copy(scenario["full"], tmp_path / "full")
    other = _copy(scenario["final"], tmp_path / "elsewhere")
    w = other / "model.safetensors"
    w.write_bytes(w.read_bytes()[:-4] + b"\0\0\0\0")
    ft2 = _copy(scenario["finetune"], tmp_path / "ft2")
    for p in [*full.rglob("results_*.json"), *ft2.rglob("results_*.json")]:
        _repoint(p, scenario["final"], other)
    assert submit(scenario, out, results=full, finetune=ft2) == 2
    _refused(capsys, out, "is neither a sweep checkpoint nor inside the sweep's run folder(s)")
    # an unknown part name
    assert submit(scenario, out, allow="comps,bogus") == 2
    _refused(capsys, out, "--allow_missing: unknown part 'bogus'")


def _add_aoa(sweep: Path, entry: dict, n: int = 8005) -> None:
    """A classit_aoa unit of a checkpoint as the sweep stores it: a results file and its samples file (one row per
    (word, context), the per-item surprisal logged by the task). Synthetic words and contexts."""
    folder = sweep / entry["results_dir"]
    stamp = "2099-01-01T00-00-00.000000"
    (folder / f"results_{stamp}.json").write_text(json.dumps({
        "results": {"classit_aoa": {"alias": "classit_aoa", "surprisal,none": 9.5}},
        "n-samples": {"classit_aoa": {"original": n, "effective": n}},
        "configs": {"classit_aoa": {"output_type": "loglikelihood"}},
        "config": {"model": "classit-hf", "model_args": {"pretrained": entry["path"]}}}))
    rows = ({"doc_id": i, "doc": {"word": f"word{i // 16}", "context_id": i % 16, "context": f"context {i}"},
             "surprisal": 5.0 + (i % 7), "filter": "none"} for i in range(n))
    (folder / f"samples_classit_aoa_{stamp}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


@pytest.mark.slow
def test_submission_collects_aoa_from_the_sweep(scenario, tmp_path, capsys):
    sweep = _copy(scenario["sweep"], tmp_path / "sweep")
    entries = json.loads((sweep / "sweep.json").read_text())["checkpoints"]
    _add_aoa(sweep, entries[0])
    out = tmp_path / "out"
    # AoA present for one checkpoint only: incomplete, refused even though aoa may be missing
    assert submit(scenario, out, sweep=sweep) == 2
    _refused(capsys, out, "sweep checkpoint chck_2M: no classit_aoa samples (AoA needs every checkpoint)")
    _add_aoa(sweep, entries[1])
    assert submit(scenario, out, sweep=sweep, allow=ALLOW_MISSING.replace("aoa,", "")) == 0
    aoa = json.loads((out / FILE).read_text())["aoa"]
    # collate_preds.py::_check_size_aoa, re-implemented: every checkpoint present, 8005 surprisals each
    steps = [r["step"] for r in aoa["results"]]
    assert sorted(set(steps)) == ["chck_1M", "chck_2M"] and all(steps.count(s) == 8005 for s in set(steps))
    first = aoa["results"][0]
    assert first == {"step": "chck_1M", "word_count": 1_000_000, "target_word": "word0", "context_id": 0,
                     "context": "context 0", "surprisal": 5.0}
    assert aoa["metadata"]["total_steps"] == 2


