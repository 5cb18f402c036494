"""EWoK without the real data (the zip): a plain-folder file the test writes, with one malformed line, the count
check, and the groups lm-eval indexes. Parity, group scores, breakdowns and tie counting are in
tests/integration/test_ewok.py.

EWoK's terms forbid showing items in plain text: the items here are made up ("a b").
"""

from __future__ import annotations

import json

import pytest
from repo_paths import TASK_DIR

from classit_tasks.tasks.data import ClassitDataError
from classit_tasks.tasks.ewok import DOMAINS, load_ewok


def _write_plain_ewok(root, line):
    folder = root / "ewok_filtered"
    folder.mkdir(parents=True)
    good = {k: "a b" for k in ("Context1", "Context2", "Target1", "Target2")}
    good.update(Domain="physical-dynamics", ContextType="direct", ContextDiff="antonym", TargetDiff="concept swap")
    lines = [json.dumps(good)] * 2 + [json.dumps(line(dict(good)))]
    (folder / "physical-dynamics.jsonl").write_text("\n".join(lines) + "\n")
    return folder / "physical-dynamics.jsonl"


def test_plain_folder_and_malformed_line(tmp_path):
    path = _write_plain_ewok(tmp_path, lambda r: {k: v for k, v in r.items() if k != "Target2"})
    with pytest.raises(ClassitDataError) as err:
        load_ewok("ewok_filtered", "physical-dynamics", data_dir=tmp_path, check_counts=False)
    message = str(err.value)
    assert "\n" not in message and f"{path}:3" in message and "Target2" in message


def test_count_check(tmp_path):
    _write_plain_ewok(tmp_path, lambda r: r)
    with pytest.raises(ClassitDataError, match="3 items, the official release has 120"):
        load_ewok("ewok_filtered", "physical-dynamics", data_dir=tmp_path)
    split = load_ewok("ewok_filtered", "physical-dynamics", data_dir=tmp_path, check_counts="false")["test"]
    assert len(split) == 3


def test_groups_are_registered():
    from lm_eval.tasks import TaskManager

    names = set(TaskManager(include_path=str(TASK_DIR), include_defaults=False).all_tasks)  # the index reads no data
    for group in ("classit_ewok", "classit_ewok_fast", "classit_ewok_paper", "classit_ewok_paper_fast",
                  "classit_ewok_breakdown", "classit_ewok_fast_breakdown"):
        assert group in names
    for prefix in ("classit_ewok_", "classit_ewok_fast_", "classit_ewok_paper_", "classit_ewok_paper_fast_"):
        assert all(prefix + d.replace("-", "_") in names for d in DOMAINS)
