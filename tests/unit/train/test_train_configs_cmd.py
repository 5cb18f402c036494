"""`classit-train configs list|show|copy` ship every config (paper-size included) from one place."""

from __future__ import annotations

from pathlib import Path

import pytest

from classit_train.cli import main
from classit_train.cli.configs_command import resolve_config_path, shipped_configs

from train_helpers import REPO

EXPECTED = {"tiny_pretrain", "tiny_merged", "tiny_sequential", "babylm_100m_pretrain", "babylm_140m_pretrain",
            "classit_merged", "classit_sequential", "tiny_map_curriculum", "reference_cpu_pretrain",
            "reference_cpu_merged", "reference_cpu_sequential"}


def test_one_source_of_truth():
    """The repository's configs/ is the package's folder (a link), so no config is kept in two places."""
    assert set(shipped_configs()) == EXPECTED
    assert (REPO / "configs").resolve() == (REPO / "classit_train" / "configs").resolve()


def test_list_show_copy(tmp_path, capsys, monkeypatch):
    assert main(["configs", "list"]) == 0
    listing = capsys.readouterr().out
    assert all(name in listing for name in EXPECTED) and "Paper-size pre-training" in listing
    assert main(["configs", "show", "classit_merged"]) == 0
    assert capsys.readouterr().out == shipped_configs()["classit_merged"]
    monkeypatch.chdir(tmp_path)
    assert main(["configs", "copy", "babylm_100m_pretrain.yaml"]) == 0
    assert Path("babylm_100m_pretrain.yaml").read_text() == shipped_configs()["babylm_100m_pretrain"]
    assert main(["configs", "copy", "babylm_100m_pretrain"]) == 2  # exists: refused
    assert "exists (pass --force" in capsys.readouterr().err
    assert main(["configs", "copy", "tiny_merged", "sub/mine.yaml"]) == 0 and Path("sub/mine.yaml").is_file()
    assert main(["configs", "show", "nope"]) == 2
    assert "no shipped config 'nope'" in capsys.readouterr().err


def test_train_accepts_a_shipped_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with resolve_config_path("tiny_merged") as path:
        assert Path(path).read_text() == shipped_configs()["tiny_merged"]
    assert resolve_config_path("no_such_config") is None
    Path("tiny_merged").mkdir()  # an existing path wins over the shipped name
    assert resolve_config_path("tiny_merged") is None
