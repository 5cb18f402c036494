"""Where the repository and the shared data are, for conftests, helpers and test modules (no data is read here)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TASK_DIR = REPO / "task_yamls"
# The real data sits beside the checkout (../shared/data), in development and in CI; only integration tests use it.
SHARED_DATA = (REPO / ".." / "shared" / "data").resolve()
