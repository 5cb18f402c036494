"""The zip-cache tests' set-up: a private CLASSIT_CACHE_DIR and a listing of what the cache holds."""

from __future__ import annotations

import pytest


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """The folder extracted zips go to, under a cache folder of this test's own."""
    monkeypatch.setenv("CLASSIT_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "extracted"


def entries(root) -> list[str]:
    """Names directly inside ``root`` (none if it does not exist)."""
    return sorted(p.name for p in root.iterdir()) if root.is_dir() else []
