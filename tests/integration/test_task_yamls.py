"""Every YAML under task_yamls must load: lm-eval skips broken YAML files silently."""

from __future__ import annotations

import json
import subprocess
import sys

import yaml
from conftest import REPO, TASK_DIR
from tiny_models import EVAL_DATA


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!function", lambda loader, node: loader.construct_scalar(node))


def _yaml_names() -> dict[str, str]:
    names = {}
    for path in sorted(TASK_DIR.rglob("*.yaml")):
        config = yaml.load(path.read_text(), Loader=_Loader)
        assert isinstance(config, dict), path
        name = config["group"] if "group" in config else config.get("task")
        assert isinstance(name, str), f"{path}: no task/group name"
        assert name not in names, f"{path}: {name} also defined in {names.get(name)}"
        names[name] = str(path)
    return names


def test_every_yaml_file_is_indexed(task_manager):
    names = _yaml_names()
    indexed = set(task_manager.all_tasks)
    missing = {name: path for name, path in names.items() if name not in indexed}
    assert not missing, f"lm-eval skipped these YAML files: {missing}"
    assert all(name.startswith("classit_") for name in names)


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


def test_every_group_member_exists(task_manager):
    indexed = set(task_manager.all_tasks)
    for path, config in _configs().items():
        if "group" in config:
            members = config["task"] if isinstance(config["task"], list) else [config["task"]]
            for member in members:
                name = member if isinstance(member, str) else member.get("task") or member.get("group")
                assert name in indexed, f"{path}: member {name} is not a known task or group"


def test_blimp_groups_compute_the_2025_aggregates(task_manager):
    loaded = task_manager.load(["classit_blimp_fast", "classit_blimp_supplement_fast"])
    assert len([t for t in loaded["tasks"] if t.startswith("classit_blimp_fast_")]) == 67
    assert len([t for t in loaded["tasks"] if t.startswith("classit_supplement_fast_")]) == 5
    for task in loaded["tasks"].values():
        assert task.config.target_delimiter == ""  # 2025: no leading space
        assert len(task.test_docs()) in (200, 50)


def test_paradigm_table_matches_the_data():
    sys.path.insert(0, str(TASK_DIR / "blimp"))
    from _generate_configs import PARADIGMS

    folder = EVAL_DATA / "full_eval" / "blimp_filtered"
    for path in sorted(folder.glob("*.jsonl")):
        record = json.loads(path.open().readline())
        assert PARADIGMS[path.stem] == (record["field"], record["linguistics_term"]), path.stem
    assert len(PARADIGMS) == len(list(folder.glob("*.jsonl"))) == 67


def test_generated_yamls_are_up_to_date(tmp_path):
    for family in ("blimp", "supplement"):
        before = {p.name: p.read_text() for p in (TASK_DIR / family).glob("*.yaml")}
        subprocess.run([sys.executable, str(TASK_DIR / family / "_generate_configs.py")], check=True, cwd=REPO)
        after = {p.name: p.read_text() for p in (TASK_DIR / family).glob("*.yaml")}
        assert before == after, f"task_yamls/{family}: rerun _generate_configs.py and commit the result"


def test_custom_dataset_notice_is_dropped_for_classit_tasks_only(caplog):
    """lm-eval's per-task "Custom kwargs…" warning (67 copies for classit_blimp) is filtered for classit's tasks."""
    import logging

    import classit_tasks  # noqa: F401  (installs the filter)

    log = logging.getLogger("lm_eval.api.task")
    with caplog.at_level(logging.WARNING):
        for task in ("classit_blimp_adjunct_island", "someone_elses_task"):
            log.warning(f"{task}: Custom kwargs can be passed to `--metadata` in console (as json string) or to the "
                        "TaskManager.\nFor example --metadata='{\"max_seq_lengths\":[4096, 8192]}'.")
    assert [r.getMessage().split(":")[0] for r in caplog.records] == ["someone_elses_task"]
