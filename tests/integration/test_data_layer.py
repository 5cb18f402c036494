"""Finding, extracting and validating the evaluation data; every error is one line naming file, line and field."""

from __future__ import annotations

import json
import shutil

import pytest
from tiny_models import EVAL_DATA

from classit_tasks.tasks.data import ClassitDataError, extract_zip, find_dataset
from classit_tasks.tasks.loaders import load_minimal_pairs


def one_line(err: pytest.ExceptionInfo) -> str:
    message = str(err.value)
    assert "\n" not in message
    return message


def test_official_layout_and_counts():
    total = 0
    for paradigm in find_dataset("blimp_filtered").glob("*.jsonl"):
        total += len(load_minimal_pairs("blimp_filtered", paradigm.stem)["test"])
    assert total == 59_875
    supplement = sum(
        len(load_minimal_pairs("supplement_filtered", p.stem)["test"])
        for p in find_dataset("supplement_filtered").glob("*.jsonl")
    )
    assert supplement == 5_218
    assert len(load_minimal_pairs("blimp_fast", "wh_island")["test"]) == 200
    assert len(load_minimal_pairs("supplement_fast", "turn_taking")["test"]) == 50


def test_plain_folder_layout_and_per_run_override(tmp_path, monkeypatch):
    shutil.copytree(EVAL_DATA / "fast_eval" / "supplement_fast", tmp_path / "supplement_fast")
    monkeypatch.delenv("CLASSIT_DATA_DIR")
    docs = load_minimal_pairs("supplement_fast", "hypernym", data_dir=str(tmp_path))["test"]
    assert len(docs) == 50 and docs[0]["sentence_good"]


def _bad_copy(tmp_path, line_no: int, edit) -> str:
    folder = tmp_path / "fast_eval" / "supplement_fast"
    shutil.copytree(EVAL_DATA / "fast_eval" / "supplement_fast", folder)
    path = folder / "hypernym.jsonl"
    lines = path.read_text().splitlines()
    lines[line_no - 1] = edit(lines[line_no - 1])
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.mark.parametrize(
    "edit, expected",
    [
        (lambda line: line[:-5], "malformed JSON"),
        (lambda line: json.dumps({k: v for k, v in json.loads(line).items() if k != "sentence_bad"}),
         "missing field 'sentence_bad'"),
        (lambda line: json.dumps({**json.loads(line), "sentence_good": 3}), "field 'sentence_good' must be string"),
        (lambda line: json.dumps({**json.loads(line), "sentence_good": " "}), "field 'sentence_good' is empty"),
    ],
)
def test_bad_records_name_file_line_and_field(tmp_path, edit, expected):
    path = _bad_copy(tmp_path, 17, edit)
    with pytest.raises(ClassitDataError) as err:
        load_minimal_pairs("supplement_fast", "hypernym", data_dir=str(tmp_path))
    message = one_line(err)
    assert message.startswith(f"{path}:17: ") and expected in message


def test_item_count_is_checked(tmp_path):
    folder = tmp_path / "fast_eval" / "supplement_fast"
    shutil.copytree(EVAL_DATA / "fast_eval" / "supplement_fast", folder)
    path = folder / "hypernym.jsonl"
    path.write_text("".join(path.read_text().splitlines(keepends=True)[:-1]))
    with pytest.raises(ClassitDataError) as err:
        load_minimal_pairs("supplement_fast", "hypernym", data_dir=str(tmp_path))
    assert "49 items, the official release has 50" in one_line(err)
    docs = load_minimal_pairs("supplement_fast", "hypernym", data_dir=str(tmp_path), check_counts="false")
    assert len(docs["test"]) == 49


def test_password_zip_is_extracted_once_into_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CLASSIT_CACHE_DIR", str(tmp_path / "cache"))
    archive = EVAL_DATA / "fast_eval" / "ewok_fast.zip"
    folder = extract_zip(archive, "ewok_fast")
    assert (tmp_path / "cache") in folder.parents
    assert len(list(folder.glob("*.jsonl"))) == 11
    mtime = folder.stat().st_mtime_ns
    assert extract_zip(archive, "ewok_fast") == folder and folder.stat().st_mtime_ns == mtime
    assert not any(p.suffix == ".jsonl" for p in archive.parent.rglob("*") if "ewok" in p.name)


def test_wrong_zip_password(tmp_path, monkeypatch):
    monkeypatch.setenv("CLASSIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CLASSIT_ZIP_PASSWORD", "not-the-password")
    with pytest.raises(ClassitDataError) as err:
        extract_zip(EVAL_DATA / "fast_eval" / "ewok_fast.zip", "ewok_fast")
    assert "wrong password" in one_line(err)
    assert not list((tmp_path / "cache" / "extracted").iterdir())  # nothing half-extracted left behind
