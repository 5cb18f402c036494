"""The wheel ships the task YAMLs inside classit_tasks (what ``classit_tasks.task_dir()`` returns) and installs no
top-level ``task_yamls`` package; the repository's ``task_yamls`` is a link to that folder."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from classit_tasks import task_dir

REPO = Path(__file__).resolve().parents[2]


def test_repository_task_yamls_is_the_package_folder():
    assert (REPO / "task_yamls").resolve() == task_dir() == (REPO / "classit_tasks" / "task_yamls").resolve()
    assert not list(task_dir().rglob("*.py")), "task_yamls holds YAMLs, READMEs and templates only"


@pytest.mark.slow
def test_wheel_holds_every_task_file_under_classit_tasks(tmp_path):
    source = tmp_path / "src"  # a copy: building writes build/ and *.egg-info beside the sources
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in"):
        shutil.copy2(REPO / name, source / name)
    for package in ("classit_tasks", "classit_train"):
        shutil.copytree(REPO / package, source / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                           str(tmp_path / "dist"), str(source)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("classit-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert not any(n.startswith("task_yamls/") for n in names)
    expected = {f"classit_tasks/task_yamls/{p.relative_to(task_dir()).as_posix()}"
                for p in task_dir().rglob("*") if p.is_file()}
    assert expected and expected <= names, sorted(expected - names)[:5]
    # classit_train: every module of its sub-packages, the shipped configs and the chat template
    train = REPO / "classit_train"
    shipped = {f"classit_train/{p.relative_to(train).as_posix()}" for pattern in ("**/*.py", "configs/*", "templates/*")
               for p in train.glob(pattern) if p.is_file() and "__pycache__" not in p.parts}
    assert shipped and shipped <= names, sorted(shipped - names)[:5]
