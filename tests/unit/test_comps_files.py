"""COMPS without a model: the loader and its validation on COMPS-format files the test writes, and COMPS in the
zero-shot suites. The 2025 scoring rule and the macro average on tiny checkpoints are in
tests/integration/test_comps.py."""

from __future__ import annotations

import json

import pytest

from classit_tasks.tasks.comps import load_comps
from classit_tasks.tasks.data import ClassitDataError
from comps_files import OWN_ITEMS, write_comps


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
