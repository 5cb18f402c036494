"""Entity tracking without the real data: one-line errors for malformed lines and the count check, on files the test
writes in the official format. Parity, the aggregate, the fast variant and over-long prompts are in
tests/integration/test_entity_tracking.py."""

from __future__ import annotations

import json

import pytest

from classit_tasks.tasks.data import ClassitDataError
from classit_tasks.tasks.entity_tracking import load_entity_tracking


def _write(root, records):
    folder = root / "entity_tracking"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "regular.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


GOOD = {"sample_id": 1, "numops": 0, "input_prefix": "Box 0 contains the cup. Box 0 contains ",
        "options": ["the cup.", "nothing."], "example_id": 0}


@pytest.mark.parametrize(
    "bad,field",
    [({"options": ["the cup."]}, "options"), ({"options": "the cup."}, "options"), ({"numops": "zero"}, "numops"),
     ({"input_prefix": None}, "input_prefix")],
)
def test_malformed_line_gives_one_line_error(tmp_path, bad, field):
    path = _write(tmp_path, [GOOD, GOOD, {**GOOD, **bad}])
    with pytest.raises(ClassitDataError) as err:
        load_entity_tracking("entity_tracking", "regular", 0, data_dir=tmp_path, check_counts=False)
    message = str(err.value)
    assert "\n" not in message and f"{path}:3" in message and field in message


def test_counts_are_checked(tmp_path):
    _write(tmp_path, [GOOD, {**GOOD, "numops": 1}])
    with pytest.raises(ClassitDataError, match="2 items, the official release has 3152"):
        load_entity_tracking("entity_tracking", "regular", 0, data_dir=tmp_path)
    split = load_entity_tracking("entity_tracking", "regular", 1, data_dir=tmp_path, check_counts=False)["test"]
    assert len(split) == 1 and split[0]["numops"] == 1
