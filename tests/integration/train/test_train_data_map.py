"""Data maps (classit_train.analysis.data_maps) and map-driven curricula (classit_train.data.selection) on a tiny
run over the real corpora: coordinates against a hand computation, stable region selection, an end-to-end curriculum,
and the bad inputs (a map of another data set, an empty region, a run without dynamics)."""

from __future__ import annotations

import json
import random
import statistics
from pathlib import Path

import pytest

from classit_train import parse_config
from classit_train.cli import main
from classit_train.data.stage import build_stage_data
from classit_train.analysis.data_maps import write_data_map
from classit_train.analysis.dynamics import DYNAMICS_FILE, read_dynamics
from classit_train.errors import ConfigError, DataError

from train_helpers import run_in_process, tiny_config, write_config

SOURCES = [{"source": "switchboard"}, {"source": "simple_wiki"}]


@pytest.fixture(scope="module")
def mapped_run(tmp_path_factory, tokenizer_dir):
    """A 3-epoch merged run with dynamics, and its data map."""
    out = tmp_path_factory.mktemp("map") / "run"
    config = tiny_config(out, tokenizer_dir, data={"dynamics": True},
                         stages=[{"name": "merged", "epochs": 3, "sources": SOURCES}])
    run_in_process(config)
    folder, rows, notes = write_data_map(out)
    return {"out": out, "map": folder, "rows": rows, "notes": notes, "config": config}


def _coordinates(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "coordinates.jsonl").read_text().splitlines()]


def test_coordinates_match_a_hand_computation(mapped_run):
    dyn = read_dynamics(mapped_run["out"] / "01-merged" / DYNAMICS_FILE)
    rows = {r["id"]: r for r in _coordinates(mapped_run["map"])}
    assert len(rows) == len(dyn.ids) == 240 and dyn.num_epochs == 3
    for i, example_id in enumerate(dyn.ids):
        p = [float(dyn.geo_prob[e, i]) for e in range(3)]
        g = [float(dyn.greedy[e, i]) for e in range(3)]
        row = rows[example_id]
        assert row["confidence"] == pytest.approx(statistics.fmean(p), abs=1e-6)
        assert row["variability"] == pytest.approx(statistics.pstdev(p), abs=1e-6)  # population std, as the paper
        assert row["correctness"] == pytest.approx(statistics.fmean(g), abs=1e-6)
        assert row["epochs"] == 3 and row["source"] == example_id.split(":")[0] and row["stage"] == "merged"


def test_regions_partition_by_rank(mapped_run):
    rows = _coordinates(mapped_run["map"])
    ambiguous = [r for r in rows if r["region"] == "ambiguous"]
    rest = [r for r in rows if r["region"] != "ambiguous"]
    assert len(ambiguous) == 80
    assert min(r["variability"] for r in ambiguous) >= max(r["variability"] for r in rest)
    easy = [r for r in rest if r["region"] == "easy"]
    hard = [r for r in rest if r["region"] == "hard"]
    assert len(easy) == len(hard) == 80
    assert min(r["confidence"] for r in easy) >= max(r["confidence"] for r in hard)
    table = {(r["stage"], r["source"]): r for r in mapped_run["rows"]}
    for region in ("easy", "ambiguous", "hard"):
        assert table[("merged", "switchboard")][region] + table[("merged", "simple_wiki")][region] == 80
        assert table[("merged", "all")][region] == 80
    assert (mapped_run["map"] / "data_map.png").stat().st_size > 10_000
    assert "| merged | switchboard | 160 |" in (mapped_run["map"] / "regions.md").read_text()


def test_cli_map_and_mean_probability(mapped_run, tmp_path, capsys):
    assert main(["data", "map", str(mapped_run["out"]), "--output_path", str(tmp_path / "m"),
                 "--probability", "mean"]) == 0
    assert "| merged | all | 240 |" in capsys.readouterr().out
    dyn = read_dynamics(mapped_run["out"] / "01-merged" / DYNAMICS_FILE)
    row = _coordinates(tmp_path / "m")[0]
    i = dyn.ids.index(row["id"])
    assert row["confidence"] == pytest.approx(statistics.fmean(float(dyn.mean_prob[e, i]) for e in range(3)), abs=1e-6)


def _selected_ids(config: dict, tokenizer) -> list[str]:
    parsed = parse_config(config)
    data = build_stage_data(parsed, parsed.stages[0], tokenizer, show_progress=False, stage_index=0)
    return sorted(data.example_ids)


def test_region_selection_is_stable_and_exact(mapped_run, tokenizer, tmp_path):
    rows = _coordinates(mapped_run["map"])
    config = tiny_config(tmp_path / "sel", mapped_run["config"]["tokenizer"]["path"], stages=[
        {"name": "ambiguous_first", "sources": SOURCES, "select": {"map": str(mapped_run["map"]), "regions": ["ambiguous"]}}])
    first = _selected_ids(config, tokenizer)
    assert first == sorted(r["id"] for r in rows if r["region"] == "ambiguous")
    assert _selected_ids(config, tokenizer) == first  # rerun
    shuffled = tmp_path / "shuffled.jsonl"
    lines = (mapped_run["map"] / "coordinates.jsonl").read_text().splitlines()
    random.Random(3).shuffle(lines)
    shuffled.write_text("\n".join(lines) + "\n")
    config["stages"][0]["select"]["map"] = str(shuffled)
    assert _selected_ids(config, tokenizer) == first  # row order of the map does not matter
    log = json.loads((tmp_path / "sel" / "selections" / "01-ambiguous_first.json").read_text())
    assert log["ids"] == first and log["kept"] == {"switchboard": sum(i.startswith("switchboard") for i in first),
                                                   "simple_wiki": sum(i.startswith("simple_wiki") for i in first)}

    config["stages"][0]["select"] = {"map": str(mapped_run["map"]), "by": "confidence", "percentiles": [10, 100]}
    kept = _selected_ids(config, tokenizer)
    hardest = sorted(rows, key=lambda r: (r["confidence"], r["id"]))[:24]
    assert len(kept) == 216 and not set(kept) & {r["id"] for r in hardest}


def test_map_driven_curriculum_end_to_end(mapped_run, tmp_path):
    """Ambiguous first, then easy, from the earlier run's map, through the CLI."""
    select = {"map": str(mapped_run["map"])}
    config = tiny_config(tmp_path / "curriculum", mapped_run["config"]["tokenizer"]["path"], stages=[
        {"name": "ambiguous", "epochs": 1, "sources": SOURCES, "select": {**select, "regions": ["ambiguous"]}},
        {"name": "easy", "epochs": 1, "sources": SOURCES, "select": {**select, "regions": ["easy"]}}])
    path = write_config(tmp_path / "curriculum.yaml", config)
    assert main(["train", str(path), "--dynamics"]) == 0
    for folder, region in (("01-ambiguous", "ambiguous"), ("02-easy", "easy")):
        dyn = read_dynamics(tmp_path / "curriculum" / folder / DYNAMICS_FILE)
        wanted = {r["id"] for r in _coordinates(mapped_run["map"]) if r["region"] == region}
        assert set(dyn.ids) == wanted
        assert (tmp_path / "curriculum" / "selections" / f"{folder}.json").is_file()


def test_bad_inputs(mapped_run, tmp_path, tokenizer, capsys):
    # A map of a different data set: none of the stage's ids.
    other = tmp_path / "other.jsonl"
    other.write_text("".join(json.dumps({**r, "id": "other:" + r["id"]}) + "\n" for r in _coordinates(mapped_run["map"])))
    config = tiny_config(tmp_path / "bad", mapped_run["config"]["tokenizer"]["path"], stages=[
        {"name": "s", "sources": SOURCES, "select": {"map": str(other), "regions": ["easy"]}}])
    with pytest.raises(DataError, match="different data set"):
        _selected_ids(config, tokenizer)
    assert main(["train", str(write_config(tmp_path / "bad.yaml", config))]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("classit-train")]
    assert len(err) == 1 and str(other) in err[0] and "different data set" in err[0]
    assert not any((tmp_path / "bad").glob("01-*"))

    # Some ids missing: an error unless select.missing says otherwise.
    partial = tmp_path / "partial.jsonl"
    partial.write_text("".join(json.dumps(r) + "\n" for r in _coordinates(mapped_run["map"])[:200]))
    config["stages"][0]["select"] = {"map": str(partial), "regions": ["easy"]}
    with pytest.raises(DataError, match="40 of stage 's'"):
        _selected_ids(config, tokenizer)
    config["stages"][0]["select"]["missing"] = "drop"
    first200 = _coordinates(mapped_run["map"])[:200]
    assert _selected_ids(config, tokenizer) == sorted(r["id"] for r in first200 if r["region"] == "easy")

    # An empty region.
    no_hard = tmp_path / "no_hard.jsonl"
    no_hard.write_text("".join(json.dumps({**r, "region": "easy" if r["region"] == "hard" else r["region"]}) + "\n"
                               for r in _coordinates(mapped_run["map"])))
    config["stages"][0]["select"] = {"map": str(no_hard), "regions": ["hard"]}
    with pytest.raises(ConfigError, match=r"stages\[0\]\.select: selects no examples"):
        _selected_ids(config, tokenizer)

    # Unknown region / half a percentile spec: rejected when the config is read.
    config["stages"][0]["select"] = {"map": str(no_hard), "regions": ["medium"]}
    with pytest.raises(ConfigError, match=r"stages\[0\]\.select\.regions\[0\]"):
        parse_config(config)
    config["stages"][0]["select"] = {"map": str(no_hard), "by": "confidence"}
    with pytest.raises(ConfigError, match="percentiles"):
        parse_config(config)

    # A run without recorded dynamics: one line, nothing written.
    plain = tmp_path / "plain"
    (plain / "01-merged").mkdir(parents=True)
    assert main(["data", "map", str(plain)]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("classit-train")]
    assert len(err) == 1 and str(plain) in err[0] and "no recorded training dynamics" in err[0]
    assert not (plain / "data_map").exists() and not list(plain.glob(".tmp-*"))

    # A map row without an id.
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps({"source": "x"}) + "\n")
    config["stages"][0]["select"] = {"map": str(broken), "regions": ["easy"]}
    with pytest.raises(DataError, match=r"broken.jsonl:1: not a data map row"):
        _selected_ids(config, tokenizer)
