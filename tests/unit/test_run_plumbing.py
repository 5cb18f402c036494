"""classit-eval's run plumbing that needs no model and no data: the --use_cache key follows the weights, --data_dir
and the model's name travel in lm-eval's task metadata, lm-eval's log level, and classit never writes the user's
environment switches. The runs on the real data are in tests/integration/test_run_checks.py."""

from __future__ import annotations

import logging

from repo_paths import REPO

from classit_tasks import harness, nonfinite, run_checks
from classit_tasks.scoring.cache_key import keyed_cache_path
from classit_tasks.tasks.data import DATA_DIR_ENV


def test_weights_change_changes_the_key(tmp_path):
    folder = tmp_path / "ckpt"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(b"A" * 100)
    first = keyed_cache_path("c", "classit-hf", {"pretrained": str(folder)})
    (folder / "README.md").write_text("a card does not change the model")
    assert keyed_cache_path("c", "classit-hf", {"pretrained": str(folder)}) == first
    (folder / "model.safetensors").write_bytes(b"B" * 100)
    assert keyed_cache_path("c", "classit-hf", {"pretrained": str(folder)}) != first


def test_run_metadata(tmp_path):
    """--data_dir and the model's name travel in lm-eval's task metadata; what the user gives wins."""
    assert run_checks.run_metadata("classit-hf", None) == {"model": "classit-hf"}
    assert run_checks.run_metadata("hf", tmp_path / ".") == {"model": "hf", "data_dir": str(tmp_path.resolve())}
    from classit_tasks import task_dir

    manager = harness.task_manager_class(task_dir(), {"model": "classit-hf", "data_dir": "a"})(
        metadata={"data_dir": "b", "pretrained": "p"})
    assert manager.metadata == {"model": "classit-hf", "data_dir": "b", "pretrained": "p"}


def test_logging_levels(monkeypatch):
    """--verbosity sets lm-eval's level; LMEVAL_LOG_LEVEL wins over it (lm-eval's own rule)."""
    logger = logging.getLogger("lm_eval")
    before = logger.level
    try:
        monkeypatch.delenv("LMEVAL_LOG_LEVEL", raising=False)
        harness.setup_lm_eval_logging("debug")
        assert logger.level == logging.DEBUG
        monkeypatch.setenv("LMEVAL_LOG_LEVEL", "ERROR")
        harness.setup_lm_eval_logging("INFO")
        assert logger.level == logging.ERROR
    finally:
        logger.setLevel(before)


def test_classit_never_writes_its_user_switches():
    """The data-folder and allow-NaN environment variables are the user's defaults: classit's own code reads them,
    never sets them (--data_dir travels in lm-eval's task metadata, --allow_nan as a classit-hf argument)."""
    import ast

    switches = {DATA_DIR_ENV, nonfinite.ENV, "DATA_DIR_ENV", "ENV"}

    def names_switch(node) -> bool:
        return (isinstance(node, ast.Constant) and node.value in switches) or (
            isinstance(node, (ast.Name, ast.Attribute)) and getattr(node, "id", getattr(node, "attr", "")) in switches)

    found = []
    for package in ("classit_tasks", "classit_train"):
        for path in sorted((REPO / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (isinstance(node, ast.Subscript) and isinstance(node.ctx, (ast.Store, ast.Del))
                        and "environ" in ast.unparse(node.value) and names_switch(node.slice)):
                    found.append(f"{path.name}:{node.lineno}")
                elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                      and node.func.attr in ("setdefault", "pop", "update", "putenv")
                      and "environ" in ast.unparse(node.func.value) + node.func.attr
                      and any(names_switch(a) for a in node.args)):
                    found.append(f"{path.name}:{node.lineno}")
    assert found == []
