"""Age of Acquisition without the real data: the loader on files the test writes (bad input, check_counts), the
sigmoid fits and acquisition points against hand computations on planted series, the correlation on a planted
children's file, lineage of branches, and bad sweeps (hand-built sweep folders in the classit-sweep/1 layout).

References are written from the 2025 rule (../shared/spec/babylm2025.md; babylm/evaluation-pipeline-2025
``AoA_word/evaluation_functions.py`` and ``utils.AoAEvaluator``), not from classit_tasks. The tests on the real
cdi_childes.json and tiny checkpoints are in tests/integration/test_aoa.py.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from classit_tasks.report import aoa as fit
from classit_tasks.report.errors import ReportInputError
from classit_tasks.tasks import aoa
from classit_tasks.tasks.data import ClassitDataError
from planted_aoa import CHILD_PARAMS, bounded_share, write_children

OFFICIAL_NAMES = [f"chck_{i}M" for i in range(1, 10)] + [f"chck_{i}M" for i in range(10, 101, 10)]
CHANCE = math.log2(300_000)


# ----------------------------------------------------------------------------------------------------------------
# Loader on files the test writes
# ----------------------------------------------------------------------------------------------------------------
def _write(tmp_path: Path, data) -> Path:
    folder = tmp_path / "aoa"
    folder.mkdir(exist_ok=True)
    path = folder / "cdi_childes.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize("data, message", [
    ('{"dog": [\n{"context": "a"},,]}', "cdi_childes.json:2: malformed JSON"),
    ([], "expected a JSON object"),
    ({"dog": "I saw a"}, "word 'dog': expected a list of contexts"),
    ({"dog": [{"context": "I saw a"}, {"text": "x"}]},
     "word 'dog', context 1: field 'context' must be a string (missing)"),
    ({"dog": [{"context": 3}]}, "word 'dog', context 0: field 'context' must be a string (got 3)"),
    ({"dog": [{"context": "  "}]}, "word 'dog', context 0: field 'context' is empty"),
    ({"dog": [{"context": "I saw a"}]}, "1 words and 1 contexts, the official release has 504 and 8005"),
])
def test_bad_files_are_one_line_errors(tmp_path, data, message):
    _write(tmp_path, data)
    with pytest.raises(ClassitDataError) as err:
        aoa.load_aoa(data_dir=tmp_path)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_modified_file_with_check_counts_false(tmp_path):
    _write(tmp_path, {"a": [{"context": "one letter"}], "dog": [{"context": " I saw a "}, {"context": "The"}]})
    docs = aoa.load_aoa(data_dir=tmp_path, check_counts="false")["test"]
    assert [(d["word"], d["context_id"]) for d in docs] == [("dog", 0), ("dog", 1)]  # one-letter words dropped
    assert aoa.context_text(docs[0]) == "I saw a "
    with pytest.raises(ClassitDataError, match="aoa/cdi_childes.json: not found"):
        aoa.load_aoa(data_dir=tmp_path / "aoa")


# ----------------------------------------------------------------------------------------------------------------
# Fits against hand computations on planted curves
# ----------------------------------------------------------------------------------------------------------------
def planted_curve(x: np.ndarray, a: float, b: float, c: float, d: float) -> np.ndarray:
    """Surprisal whose negative is exactly a / (1 + exp(−b (x − c))) + d."""
    return -(a / (1 + np.exp(-b * (x - c))) + d)


def hand_model_aoa(params, s_min: float) -> float:
    """Solve −s* = a / (1 + exp(−b (x − c))) + d for x, with s* half-way between log2(300000) and s_min."""
    a, b, c, d = params
    s_star = CHANCE - 0.5 * (CHANCE - s_min)
    return c + math.log((-s_star - d) / (a + s_star + d)) / b  # the same root, rearranged independently


OFFICIAL_WORDS = np.array([float(n[5:-1]) * 1e6 for n in OFFICIAL_NAMES])


PLANTED = {  # word: (a, b, c, d) of −surprisal over log10(words + 1)
    "early": (9.0, 5.0, 6.4, -24.0),
    "middle": (10.0, 4.0, 7.0, -25.0),
    "late": (8.0, 6.0, 7.6, -23.0),
    "later": (11.0, 3.0, 7.3, -26.0),
    "latest": (7.0, 7.0, 7.8, -22.0),
}


SPREAD = np.array([0.3, 0.0, -0.3])  # three contexts per word around the curve: the least-squares fit is the curve


def planted_rows(params) -> tuple[np.ndarray, np.ndarray]:
    x = np.log10(OFFICIAL_WORDS + 1)
    s = planted_curve(x, *params)
    return np.repeat(OFFICIAL_WORDS, 3), (s[:, None] + SPREAD[None, :]).ravel()


@pytest.mark.parametrize("word", sorted(PLANTED))
def test_model_fit_recovers_planted_curves(word):
    params = PLANTED[word]
    words, surprisal = planted_rows(params)
    got = fit.fit_model_aoa(words, surprisal)
    assert got.status == "ok"
    np.testing.assert_allclose(got.params, params, rtol=1e-4, atol=1e-4)
    s_min = float(surprisal.min())
    assert got.min_surprisal == pytest.approx(s_min)
    assert got.aoa == pytest.approx(hand_model_aoa(params, s_min), abs=1e-4)
    assert 6 <= got.aoa <= 8


def test_model_fit_rejections():
    x = np.log10(OFFICIAL_WORDS + 1)
    rising = np.repeat(OFFICIAL_WORDS, 3), np.repeat(15 + 0.5 * (x - 6), 3) + np.tile(SPREAD, len(x))
    assert fit.fit_model_aoa(*rising).status in {"not_increasing", "fit_failed", "threshold_outside_curve"}
    # Never below log2(300000): the half-way threshold lies above the best surprisal, which the curve never reaches.
    high = planted_rows((5.0, 4.0, 7.0, -40.0))
    assert fit.fit_model_aoa(*high).status == "threshold_outside_curve"
    assert fit.fit_model_aoa(np.array([1e6, 2e6]), np.array([20.0, 19.0])).status == "too_few_points"


def test_child_fit_against_the_hand_crossing():
    ages = np.arange(16, 31, dtype=float)
    for params in [(1.0, 0.5, 22.0, 0.0), (0.9, 0.6, 20.0, 0.02), (0.95, 0.8, 27.5, -0.02)]:
        got = fit.fit_child_aoa(ages, bounded_share(ages, *params))
        a, b, c, d = params
        assert got.status == "ok"
        assert got.aoa == pytest.approx(c - math.log(a / (0.5 - d) - 1) / b, abs=1e-4)
    never = fit.fit_child_aoa(ages, bounded_share(ages, 0.3, 0.5, 22.0, 0.0))  # never half of the children
    assert never.aoa is None and never.status == "threshold_outside_curve"
    sparse = np.full(15, np.nan)
    sparse[[3, 9]] = [0.2, 0.7]
    assert fit.fit_child_aoa(ages, sparse).status == "too_few_values"


# ----------------------------------------------------------------------------------------------------------------
# A hand-built sweep (contract: OUT/sweep.json + per-checkpoint samples files) and a planted children's file
# ----------------------------------------------------------------------------------------------------------------
def write_sweep(out: Path, series: dict[str, list[tuple[str, float, dict]]], parents: dict | None = None) -> Path:
    """series: branch -> [(name, words_seen, {(word, context_id): surprisal})]; samples in lm-eval's format."""
    entries = []
    for branch, members in series.items():
        for name, words_seen, values in members:
            key = hashlib.sha256(f"{branch}/{name}".encode()).hexdigest()
            folder = out / "checkpoints" / key[:16]
            folder.mkdir(parents=True)
            with (folder / "samples_classit_aoa_2026-01-01T00-00-00.000001.jsonl").open("w") as handle:
                for doc_id, ((word, cid), value) in enumerate(values.items()):
                    handle.write(json.dumps({"doc_id": doc_id, "doc": {"word": word, "context_id": cid, "context": "c"},
                                             "filter": "none", "surprisal": value}) + "\n")
            (folder / "results_2026-01-01T00-00-00.000001.json").write_text("{}")
            entries.append({
                "key": key[:16], "weights_sha256": key, "path": f"/runs/{branch}/{name}", "name": name,
                "run": f"/runs/{branch}", "branch": branch, "stage": None,
                "parent": (parents or {}).get(branch), "words_seen": words_seen, "tokens_seen": None,
                "global_step": None, "results_dir": f"checkpoints/{key[:16]}", "tasks_complete": ["classit_aoa"],
                "status": "complete", "error": None,
            })
    (out / "sweep.json").write_text(json.dumps({"format": "classit-sweep/1", "tasks": ["classit_aoa"],
                                                "checkpoints": entries}))
    return out


def planted_series(words=tuple(PLANTED), names=OFFICIAL_NAMES) -> list[tuple[str, float, dict]]:
    members = []
    for name in names:
        k = OFFICIAL_NAMES.index(name)  # the planted curve at this checkpoint's words
        values = {}
        for word in words:
            _, surprisal = planted_rows(PLANTED.get(word, PLANTED["middle"]))
            for cid in range(3):
                values[(word, cid)] = float(surprisal[3 * k + cid])
        members.append((name, OFFICIAL_WORDS[k] + 12_345, values))  # words_seen off the name: the name wins
    return members


def test_correlation_on_a_planted_childrens_file(tmp_path):
    sweep = write_sweep(tmp_path / "sweep", {"tiny": planted_series(words=(*PLANTED, "unknown"))})
    human = write_children(tmp_path / "children.csv", CHILD_PARAMS)
    summary = fit.aoa_summary(sweep, human)
    series = summary["series"][0]
    model = {w: hand_model_aoa(PLANTED[w], float(planted_rows(PLANTED[w])[1].min())) for w in PLANTED}
    child = {w: p[2] - math.log(p[0] / (0.5 - p[3]) - 1) / p[1] for w, p in CHILD_PARAMS.items()}
    mx, cy = np.array([model[w] for w in PLANTED]), np.array([child[w] for w in PLANTED])
    r = float(np.corrcoef(mx, cy)[0, 1])
    assert series["n"] == 5 and series["pearson_r"] == pytest.approx(r, abs=1e-5)
    assert series["score"] == series["pearson_r"]
    half = 1.959963984540054 / math.sqrt(5 - 3)
    assert series["ci95"] == pytest.approx([math.tanh(math.atanh(r) - half), math.tanh(math.atanh(r) + half)], abs=1e-4)
    assert series["n_missing_human"] == 1 and series["missing_human"] == ["unknown"]
    assert series["words"]["unknown"]["model"]["status"] == "ok" and series["words"]["unknown"]["child"] is None
    for w in PLANTED:
        entry = series["words"][w]
        assert entry["model"]["aoa_log10_words"] == pytest.approx(model[w], abs=1e-4)
        assert entry["child"]["aoa_months"] == pytest.approx(child[w], abs=1e-4)
        assert entry["in_correlation"]
    assert [c["words"] for c in series["checkpoints"]] == list(OFFICIAL_WORDS)  # from the chck_{N}M names
    assert summary["human"]["kind"] == "custom" and summary["note"] == fit.CUSTOM_NOTE
    assert any("1 word(s) not in children.csv" in n for n in summary["notices"])


def test_fewer_than_three_words_scores_zero(tmp_path):
    sweep = write_sweep(tmp_path / "sweep", {"tiny": planted_series(words=("early", "late"))})
    human = write_children(tmp_path / "children.csv", CHILD_PARAMS)
    series = fit.aoa_summary(sweep, human)["series"][0]
    assert series["n"] == 2 and series["pearson_r"] is None and series["score"] == 0.0


def test_branches_follow_their_lineage(tmp_path):
    base = planted_series(names=OFFICIAL_NAMES[:6])
    merged = planted_series(names=["chck_7M", "chck_8M", "chck_9M"])
    # The merged run starts from base's chck_4M: its series is base up to 4M, then its own checkpoints.
    out = write_sweep(tmp_path / "sweep", {"base": base, "merged": merged}, parents={"merged": "/runs/base/chck_4M"})
    series = fit.series_of(fit.read_sweep(out))
    assert [c.name for c in series["base"]] == OFFICIAL_NAMES[:6]
    assert [c.name for c in series["merged"]] == OFFICIAL_NAMES[:4] + ["chck_7M", "chck_8M", "chck_9M"]
    summary = fit.aoa_summary(out, write_children(tmp_path / "c.csv", CHILD_PARAMS), branch="merged")
    assert [s["branch"] for s in summary["series"]] == ["merged"]


# ----------------------------------------------------------------------------------------------------------------
# Bad input
# ----------------------------------------------------------------------------------------------------------------
def _cli(argv, capsys) -> tuple[int, str]:
    from classit_tasks.cli import main

    code = main(["aoa", *argv])
    err = capsys.readouterr().err.strip()
    return code, err


def test_missing_childrens_file(tmp_path, capsys):
    sweep = write_sweep(tmp_path / "sweep", {"tiny": planted_series()})
    code, err = _cli([str(sweep), "--aoa_human", str(tmp_path / "nope.csv")], capsys)
    assert code == 2 and "nope.csv: children's AoA file not found" in err and "osf.io" in err and "\n" not in err
    empty = tmp_path / "data"
    empty.mkdir()
    code, err = _cli([str(sweep), "--data_dir", str(empty)], capsys)
    assert code == 2 and "no aoa/cdi_human.csv and no Wordbank stand-in" in err and "osf.io" in err
    assert "\n" not in err and not (sweep / "aoa").exists()


def test_series_with_fewer_than_three_checkpoints(tmp_path, capsys):
    sweep = write_sweep(tmp_path / "sweep", {"tiny": planted_series(names=OFFICIAL_NAMES[:2])})
    human = write_children(tmp_path / "c.csv", CHILD_PARAMS)
    code, err = _cli([str(sweep), "--aoa_human", str(human)], capsys)
    assert code == 2 and "series 'tiny': 2 checkpoint(s)" in err and "at least 3" in err and "\n" not in err


def test_bad_sweeps(tmp_path):
    human = write_children(tmp_path / "c.csv", CHILD_PARAMS)
    with pytest.raises(ReportInputError, match="no sweep.json"):
        fit.aoa_summary(tmp_path, human)
    members = planted_series(names=OFFICIAL_NAMES[:4])
    del members[2][2][("early", 1)]
    sweep = write_sweep(tmp_path / "uneven", {"tiny": members})
    with pytest.raises(ReportInputError, match="chck_3M scored 14 .* chck_1M 15; evaluate every checkpoint on the"):
        fit.aoa_summary(sweep, human)
    same = planted_series(names=["chck_1M", "chck_2M", "chck_2M", "chck_4M"])
    sweep = write_sweep(tmp_path / "same", {"tiny": same[:2]})
    data = json.loads((sweep / "sweep.json").read_text())
    twin = dict(data["checkpoints"][1], key="f" * 16, path="/runs/tiny/chck_2M-copy")
    (sweep / "checkpoints" / twin["key"]).mkdir()
    for f in (sweep / data["checkpoints"][1]["results_dir"]).iterdir():
        shutil.copy(f, sweep / "checkpoints" / twin["key"] / f.name)
    twin["results_dir"] = f"checkpoints/{twin['key']}"
    data["checkpoints"].append(twin)
    (sweep / "sweep.json").write_text(json.dumps(data))
    with pytest.raises(ReportInputError, match="are both at 2,000,000 words with different weights"):
        fit.aoa_summary(sweep, human)
    sweep = write_sweep(tmp_path / "nosamples", {"tiny": planted_series(names=OFFICIAL_NAMES[:3])})
    for f in (sweep / "checkpoints").rglob("samples_*"):
        f.unlink()
        break
    with pytest.raises(ReportInputError, match="no samples_classit_aoa_"):
        fit.aoa_summary(sweep, human)
    data = json.loads((sweep / "sweep.json").read_text())
    for entry in data["checkpoints"]:
        entry["tasks_complete"] = ["classit_blimp_fast"]
    (sweep / "sweep.json").write_text(json.dumps(data))
    with pytest.raises(ReportInputError, match="no checkpoint has complete classit_aoa results"):
        fit.aoa_summary(sweep, human)


def test_failed_and_aoa_less_checkpoints_are_left_out_with_a_notice(tmp_path):
    sweep = write_sweep(tmp_path / "sweep", {"tiny": planted_series(names=OFFICIAL_NAMES[:5])})
    data = json.loads((sweep / "sweep.json").read_text())
    data["checkpoints"][1].update(status="failed", tasks_complete=[], error="model.safetensors: truncated")
    data["checkpoints"][3].update(status="partial", tasks_complete=["classit_blimp_fast"])
    (sweep / "sweep.json").write_text(json.dumps(data))
    summary = fit.aoa_summary(sweep, write_children(tmp_path / "c.csv", CHILD_PARAMS))
    assert [c["name"] for c in summary["series"][0]["checkpoints"]] == ["chck_1M", "chck_3M", "chck_5M"]
    assert any("chck_2M: failed in the sweep (model.safetensors: truncated)" in n for n in summary["notices"])
    assert any("1 checkpoint(s) without classit_aoa results left out: chck_4M" in n for n in summary["notices"])
