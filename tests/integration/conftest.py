"""Integration tests: the real data in ../shared/data (CI has it at the same relative path), the tiny checkpoints
whose tokenizers are trained on its corpora. Missing data stops the run with one line: these tests never skip."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from repo_paths import REPO, SHARED_DATA, TASK_DIR  # noqa: F401  (test modules import REPO, TASK_DIR from conftest)
from tiny_models import EVAL_DATA, build_checkpoint

# classit_train's configs and demo read their corpora from $CLASSIT_SHARED_DATA.
os.environ.setdefault("CLASSIT_SHARED_DATA", str(SHARED_DATA))


@pytest.fixture(scope="session", autouse=True)
def _shared_data(_session_cache):
    """The evaluation data from ../shared/data for every integration test (``CLASSIT_DATA_DIR``)."""
    if not EVAL_DATA.is_dir():
        pytest.exit(f"{EVAL_DATA}: the shared evaluation data is missing (integration tests need ../shared/data "
                    f"beside the checkout; `python -m pytest tests/unit` runs without it)", returncode=2)
    os.environ["CLASSIT_DATA_DIR"] = str(EVAL_DATA)
    yield


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory) -> dict[str, Path]:
    """One tiny random checkpoint per tokenizer kind: "bos" (Llama), "nobos" (GPT-2), "wrap" (<s> … </s>)."""
    root = tmp_path_factory.mktemp("checkpoints")
    return {kind: build_checkpoint(kind, root / kind) for kind in ("bos", "nobos", "wrap")}


@pytest.fixture(scope="session")
def task_manager():
    from lm_eval.tasks import TaskManager

    import classit_tasks.scoring.model  # noqa: F401  (registers classit-hf)

    return TaskManager(include_path=str(TASK_DIR), include_defaults=False)
