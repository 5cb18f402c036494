"""Decontamination audit (classit_train.analysis.decontamination) against the real BabyLM evaluation data: a planted
BLiMP sentence is found (exact match) and its record can be excluded by id; a planted EWoK item is counted but never
shown; an empty source and the train gate fail with one line."""

from __future__ import annotations

import json
from itertools import islice
from pathlib import Path

import pytest

from classit_train.cli import main
from classit_train.analysis.decontamination import sentences
from classit_train.analysis.eval_sets import load_eval_sets
from classit_train.data.sources import iter_source_with_ids

from train_helpers import SHARED, SWITCHBOARD, write_config

FULL_EVAL = SHARED / "babylm_eval_2025"
SUBSET = ["blimp_filtered/adjunct_island.jsonl", "supplement_filtered/hypernym.jsonl", "ewok_filtered.zip",
          "wug_adj_nominalization/wug_adj_nominalization.jsonl", "reading/reading_data.csv", "glue_filtered/rte.valid.jsonl"]


@pytest.fixture(scope="module")
def eval_dir(tmp_path_factory) -> Path:
    """Some of the real evaluation files (links, in the official layout): indexing all of them takes ~10 s."""
    root = tmp_path_factory.mktemp("eval")
    for name in SUBSET:
        (root / "full_eval" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "full_eval" / name).symlink_to(FULL_EVAL / "full_eval" / name)
    return root


def test_every_shipped_evaluation_set_is_read():
    sets = {s.name: s for s in load_eval_sets(FULL_EVAL)}
    assert {"blimp", "supplement", "ewok", "entity_tracking", "wug_adj_nominalization", "reading", "glue_boolq",
            "glue_mnli", "glue_mrpc", "glue_multirc", "glue_qqp", "glue_rte", "glue_wsc"} == set(sets)
    assert (len(sets["blimp"].items), len(sets["ewok"].items), len(sets["entity_tracking"].items)) == (59875, 7618, 9483)
    assert len(sets["reading"].items) == 205 and sets["ewok"].protected and not sets["blimp"].protected


def _filler(n: int) -> list[dict]:
    """Real Switchboard turns as prompt/reply records."""
    with open(SWITCHBOARD, encoding="utf-8") as handle:
        turns = (line.split("\t", 1)[1].strip() for line in handle if "\t" in line and len(line.split()) > 6)
        lines = list(islice(turns, 2 * n))
    return [{"prompt": lines[2 * i], "reply": lines[2 * i + 1]} for i in range(n)]


def _config(tmp_path: Path, records: list[dict], **spec) -> Path:
    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    config = {"output_dir": str(tmp_path / "run"), "tokenizer": {"path": str(tmp_path / "no-tokenizer")},
              "sources": {"planted": {"type": "prompt_reply", "paths": [str(data)], **spec}},
              "stages": [{"name": "s", "sources": [{"source": "planted"}]}]}
    return write_config(tmp_path / "config.yaml", config)


def _ewok_item(eval_dir: Path) -> list[str]:
    """One EWoK item, read in memory from the password-protected zip (never written anywhere)."""
    ewok = next(s for s in load_eval_sets(eval_dir) if s.name == "ewok")
    return ewok.items[17]


def test_planted_blimp_sentence_is_found_and_excluded(tmp_path, capsys, eval_dir):
    blimp = json.loads((FULL_EVAL / "full_eval" / "blimp_filtered" / "adjunct_island.jsonl").read_text().splitlines()[0])
    records = _filler(40)
    records.insert(13, {"prompt": "Say something.", "reply": f"I heard this. {blimp['sentence_good']} Then I left."})
    config = _config(tmp_path, records)
    assert main(["data", "audit", str(config), "--data_dir", str(eval_dir), "--output_path", str(tmp_path / "a.json"),
                 "--write_ids", str(tmp_path / "ids")]) == 0
    out = capsys.readouterr().out
    result = json.loads((tmp_path / "a.json").read_text())
    blimp_row = next(r for r in result["results"] if r["task"] == "blimp")
    assert blimp_row["exact_records"] == 1 and blimp_row["records"] == 41
    assert blimp_row["exact_items"] == 1 and blimp_row["exact_items_fraction"] == 1 / blimp_row["items"]
    assert " ".join(blimp["sentence_good"].lower().rstrip("?").split()) in out  # BLiMP may be shown
    assert {r["task"] for r in result["results"]} == {"blimp", "supplement", "ewok", "wug_adj_nominalization",
                                                      "reading", "glue_rte"}
    ids = (tmp_path / "ids" / "planted.contaminated_ids.txt").read_text().split()
    planted_id = [i for i, r in iter_source_with_ids({"type": "prompt_reply", "paths": [str(tmp_path / "train.jsonl")]},
                                                     "planted") if blimp["sentence_good"] in r.reply]
    assert ids == planted_id

    # exclude_ids drops exactly that record, and the audit is then clean for BLiMP.
    config = _config(tmp_path, records, exclude_ids=str(tmp_path / "ids" / "planted.contaminated_ids.txt"))
    kept = list(iter_source_with_ids({"type": "prompt_reply", "paths": [str(tmp_path / "train.jsonl")],
                                      "exclude_ids": str(tmp_path / "ids" / "planted.contaminated_ids.txt")}, "planted"))
    assert len(kept) == 40 and planted_id[0] not in {i for i, _ in kept}
    assert main(["data", "audit", str(config), "--data_dir", str(eval_dir), "--output_path", str(tmp_path / "b.json")]) == 0
    clean = json.loads((tmp_path / "b.json").read_text())
    assert next(r for r in clean["results"] if r["task"] == "blimp")["exact_records"] == 0


def test_planted_ewok_item_is_counted_never_shown(tmp_path, capsys, eval_dir):
    item = _ewok_item(eval_dir)
    records = _filler(30) + [{"prompt": "Tell me a story.", "reply": f"{item[0]} {item[2]}"}]
    config = _config(tmp_path, records)
    assert main(["data", "audit", str(config), "--data_dir", str(eval_dir), "--output_path", str(tmp_path / "a.json"),
                 "--write_ids", str(tmp_path / "ids"), "--examples", "5"]) == 0
    captured = capsys.readouterr()
    written = (tmp_path / "a.json").read_text() + (tmp_path / "ids" / "planted.contaminated_ids.txt").read_text()
    row = next(r for r in json.loads((tmp_path / "a.json").read_text())["results"] if r["task"] == "ewok")
    assert row["exact_records"] == 1 and row["exact_items"] >= 1
    assert row["examples"] and all(e.startswith("sha256:") for e in row["examples"])
    shown = captured.out + captured.err + written
    for text in item:
        assert text not in shown
        for sentence in sentences(text, 1):
            if len(sentence.split()) >= 3:
                assert sentence not in shown.lower()
    assert "sha256:" in captured.out


def test_empty_source_and_train_gate(tmp_path, capsys, eval_dir):
    config = _config(tmp_path, [])
    assert main(["data", "audit", str(config), "--data_dir", str(eval_dir), "--output_path", str(tmp_path / "a.json")]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("classit-train")]
    assert err == ["classit-train: error: sources.planted: no records: an empty source cannot be audited"]
    assert not (tmp_path / "a.json").exists()

    blimp = json.loads((FULL_EVAL / "full_eval" / "supplement_filtered" / "hypernym.jsonl").read_text().splitlines()[0])
    config = _config(tmp_path, _filler(10) + [{"prompt": "Hm?", "reply": blimp["sentence_good"]}])
    assert main(["train", str(config), "--max_contamination", "0", "--data_dir", str(eval_dir)]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("classit-train")]
    assert len(err) == 1 and "--max_contamination" in err[0] and "supplement" in err[0]
    assert not (tmp_path / "run").exists()

    with pytest.raises(SystemExit):
        main(["data", "audit"])  # the config is required


def test_example_ids_are_stable_and_exclude_ids_is_validated(tmp_path):
    from classit_train import parse_config
    from classit_train.errors import ConfigError
    from classit_train.data.example_ids import window_id

    spec = {"type": "switchboard", "paths": [str(SWITCHBOARD)]}
    few = [i for i, _ in iter_source_with_ids({**spec, "max_records": 50}, "switchboard")]
    more = [i for i, _ in iter_source_with_ids({**spec, "max_records": 400}, "switchboard")]
    assert more[:50] == few and len(set(more)) == len(more)
    assert all(i.startswith("switchboard:") for i in more)
    records = [{"prompt": "a", "reply": "same reply"}] * 3 + [{"prompt": "b", "reply": "other"}]
    data = tmp_path / "dup.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in records))
    ids = [i for i, _ in iter_source_with_ids({"type": "prompt_reply", "paths": [str(data)]}, "p")]
    assert ids[1] == ids[0] + "#1" and ids[2] == ids[0] + "#2" and "#" not in ids[3]
    assert window_id(ids[3], 0) == ids[3] and window_id(ids[3], 2) == ids[3] + "/2"
    config = {"output_dir": str(tmp_path / "r"), "tokenizer": {"path": str(tmp_path)},
              "sources": {"p": {"type": "prompt_reply", "paths": [str(data)], "exclude_ids": 5}},
              "stages": [{"name": "s", "sources": [{"source": "p"}]}]}
    with pytest.raises(ConfigError, match=r"sources\.p\.exclude_ids"):
        parse_config(config)
