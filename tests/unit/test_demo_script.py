"""The demo and CI-gate scripts: syntax and argument errors (fast). The end-to-end path itself is run by .ci/run
(`scripts/demo.sh … --smoke`), which takes minutes, too long for the test suite."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = ["scripts/demo.sh", "scripts/ci_gate.sh", "scripts/quickstart.sh", "scripts/reference_run.sh", ".ci/run",
           ".ci/compat.sh"]


def _bash(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", *args], cwd=cwd, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("script", SCRIPTS)
def test_scripts_parse(script):
    result = _bash("-n", script)
    assert result.returncode == 0, result.stderr


def test_demo_help_lists_knobs():
    result = _bash("scripts/demo.sh", "--help")
    assert result.returncode == 0
    for knob in ("--smoke", "DEMO_TRAIN_STEPS", "DEMO_EVAL_LIMIT", "DEMO_FT_EPOCHS", "DEMO_FT_LIMIT"):
        assert knob in result.stdout


def test_demo_usage_without_arguments():
    result = _bash("scripts/demo.sh")
    assert result.returncode == 2
    assert "usage: bash scripts/demo.sh DATA_ROOT" in result.stderr


def test_demo_rejects_a_data_root_without_corpora(tmp_path):
    (tmp_path / "babylm_eval_2025").mkdir()
    result = _bash("scripts/demo.sh", str(tmp_path), str(tmp_path / "out"))
    assert result.returncode == 2
    assert "corpora/switchboard is missing" in result.stderr
    assert not (tmp_path / "out").exists()


def test_ci_gate_usage():
    result = _bash("scripts/ci_gate.sh", "only-one-arg")
    assert result.returncode == 2
    assert "usage:" in result.stderr


def test_ci_runs_the_smoke_demo_after_the_tests():
    text = (REPO / ".ci" / "run").read_text()
    assert text.index("python -m pytest") < text.index("bash scripts/demo.sh") and "--smoke" in text


def test_reference_run_help_and_usage(tmp_path):
    result = _bash("scripts/reference_run.sh", "--help")
    assert result.returncode == 0
    for knob in ("--smoke", "REF_FT_EPOCHS", "REF_FT_SEEDS", "REF_PRESET", "chck_1M"):
        assert knob in result.stdout
    result = _bash("scripts/reference_run.sh")
    assert result.returncode == 2 and "usage: bash scripts/reference_run.sh DATA_ROOT" in result.stderr
    (tmp_path / "babylm_eval_2025").mkdir()
    result = _bash("scripts/reference_run.sh", str(tmp_path), str(tmp_path / "out"))
    assert result.returncode == 2 and "corpora/switchboard is missing" in result.stderr
    assert not (tmp_path / "out").exists()
