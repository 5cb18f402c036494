"""What unit and integration tests share: offline Hugging Face, a per-session cache folder, the test helpers.

Unit tests (tests/unit) need no data. Integration tests (tests/integration) read ../shared/data; their conftest
sets that up and stops the run with one line when the data is missing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS / "helpers"))  # tiny_models, zero_shot_helpers, train_helpers, submit_scenario, ...

from repo_paths import REPO, TASK_DIR  # noqa: E402,F401  (test modules import these from conftest)


@pytest.fixture(scope="session", autouse=True)
def _session_cache(tmp_path_factory):
    """Zip extraction and Hugging Face caches in a per-session temporary folder (never ~/.cache)."""
    cache = tmp_path_factory.mktemp("cache")
    os.environ["CLASSIT_CACHE_DIR"] = str(cache / "classit")
    os.environ.setdefault("HF_HOME", str(cache / "hf"))
    yield


@pytest.fixture
def one_thread():
    """Score on one torch thread: on a shared 2-core machine two spinning OpenMP threads are many times slower."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
