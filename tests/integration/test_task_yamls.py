"""Every task YAML builds on the real data: every leaf task loads its documents, the BLiMP groups compute the 2025
aggregates, the paradigm table matches the data. That every YAML is indexed (lm-eval skips broken YAML files
silently) and the generator's --check need no data: tests/unit/test_task_yaml_index.py."""

from __future__ import annotations

import json

import yaml
from conftest import TASK_DIR
from tiny_models import EVAL_DATA


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!function", lambda loader, node: loader.construct_scalar(node))


def _configs() -> dict[str, dict]:
    return {
        str(path): yaml.load(path.read_text(), Loader=_Loader) for path in sorted(TASK_DIR.rglob("*.yaml"))
    }


def test_every_task_builds(task_manager):
    """Build every leaf task (this loads and validates all of the real data once)."""
    tasks = sorted(c["task"] for c in _configs().values() if "group" not in c)
    loaded = task_manager.load(tasks)["tasks"]
    assert sorted(loaded) == tasks
    for task in loaded.values():
        docs = task.test_docs()
        assert len(docs) > 0 or "past_tense" in task.config.task, task.config.task
        if task.config.output_type == "multiple_choice" and len(docs):
            choices = task.doc_to_choice(docs[0])
            assert isinstance(choices, list) and all(isinstance(c, str) and c for c in choices)


def test_blimp_groups_compute_the_2025_aggregates(task_manager):
    loaded = task_manager.load(["classit_blimp_fast", "classit_blimp_supplement_fast"])
    assert len([t for t in loaded["tasks"] if t.startswith("classit_blimp_fast_")]) == 67
    assert len([t for t in loaded["tasks"] if t.startswith("classit_supplement_fast_")]) == 5
    for task in loaded["tasks"].values():
        assert task.config.target_delimiter == ""  # 2025: no leading space
        assert len(task.test_docs()) in (200, 50)


def test_paradigm_table_matches_the_data():
    from classit_tasks.tasks.blimp import COUNTS, PARADIGMS

    folder = EVAL_DATA / "full_eval" / "blimp_filtered"
    for path in sorted(folder.glob("*.jsonl")):
        record = json.loads(path.open().readline())
        assert PARADIGMS[path.stem] == (record["field"], record["linguistics_term"]), path.stem
    assert len(PARADIGMS) == len(COUNTS) == len(list(folder.glob("*.jsonl"))) == 67
