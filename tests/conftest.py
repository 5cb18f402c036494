"""Shared fixtures: offline Hugging Face, the real evaluation data, tiny locally built checkpoints."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
sys.path.insert(0, str(TESTS))

from tiny_models import EVAL_DATA, build_checkpoint  # noqa: E402

TASK_DIR = REPO / "task_yamls"


@pytest.fixture(scope="session", autouse=True)
def _isolated_env(tmp_path_factory):
    """Evaluation data from ../shared/data; zip extraction and HF caches in a per-session temporary folder."""
    if not EVAL_DATA.is_dir():
        pytest.exit(f"{EVAL_DATA}: the shared evaluation data is missing", returncode=2)
    cache = tmp_path_factory.mktemp("cache")
    os.environ["CLASSIT_DATA_DIR"] = str(EVAL_DATA)
    os.environ["CLASSIT_CACHE_DIR"] = str(cache / "classit")
    os.environ.setdefault("HF_HOME", str(cache / "hf"))
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


@pytest.fixture
def one_thread():
    """Score on one torch thread: on a shared 2-core machine two spinning OpenMP threads are many times slower."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
