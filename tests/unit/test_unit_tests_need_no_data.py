"""The unit tests stay data-free: a source scan of tests/unit for anything that reaches ../shared/data.

A unit test module must not name the shared data (its path, ``CLASSIT_DATA_DIR``, ``CLASSIT_SHARED_DATA``), import
a helper that reads it (the real corpora, the tiny checkpoints whose tokenizers are trained on them, the evaluation
data), import an integration test module, or ask for a fixture of the integration conftests. Such a test belongs in
tests/integration. That the unit tests really run without the data is checked by running ``pytest tests/unit`` from
a copy of the checkout with no ../shared beside it (README, "Run the tests").
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
UNIT = TESTS / "unit"
INTEGRATION = TESTS / "integration"

# Text that names the shared data or the environment variables pointing at it.
FORBIDDEN_TEXT = ("shared/data", '"shared"', "'shared'", "CLASSIT_DATA_DIR", "CLASSIT_SHARED_DATA")
# Names of tests/helpers that are, or read, the shared data.
DATA_HELPER_NAMES = {
    "SHARED_DATA", "EVAL_DATA", "SHARED", "CORPORA", "SWITCHBOARD", "SWDA", "WIKI_DEV", "BABYLM_DEV",
    "corpus_lines", "build_tokenizer", "build_checkpoint", "tiny_checkpoint", "classit_lm", "parity_run",
    "evaluate", "task_manager", "_plain_model", "reference_logprob", "sample_logliks", "build_scenario",
    "scenario_paths", "build_run",
}


def integration_fixtures() -> set[str]:
    """Names of the fixtures defined in the integration conftests."""
    names = set()
    for conftest in INTEGRATION.rglob("conftest.py"):
        for node in ast.walk(ast.parse(conftest.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and any("fixture" in ast.unparse(d) for d in node.decorator_list):
                names.add(node.name)
    return names


def problems(path: Path, fixtures: set[str], integration_modules: set[str]) -> list[str]:
    """What in the source of ``path`` reaches the shared data (empty: nothing)."""
    source = path.read_text(encoding="utf-8")
    found = [f"names {text!r}" for text in FORBIDDEN_TEXT if text in source]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module in integration_modules:
                found.append(f"line {node.lineno}: imports the integration test module {node.module}")
            data = sorted(DATA_HELPER_NAMES & {alias.name for alias in node.names})
            if data:
                found.append(f"line {node.lineno}: imports {', '.join(data)} from {node.module}")
        elif isinstance(node, ast.Import):
            found += [f"line {node.lineno}: imports the integration test module {alias.name}"
                      for alias in node.names if alias.name in integration_modules]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
            used = sorted(fixtures & {a.arg for a in args})
            if used and (node.name.startswith("test") or node.decorator_list):
                found.append(f"line {node.lineno}: {node.name} asks for the integration fixture(s) {', '.join(used)}")
        elif isinstance(node, ast.Call) and ast.unparse(node.func).endswith(("usefixtures", "getfixturevalue")):
            names = {a.value for a in node.args if isinstance(a, ast.Constant)}
            if names & fixtures:
                used = ", ".join(sorted(names & fixtures))
                found.append(f"line {node.lineno}: uses the integration fixture(s) {used}")
    return found


def test_unit_modules_do_not_reach_the_shared_data():
    fixtures = integration_fixtures()
    assert {"checkpoints", "tokenizer_dir", "tiny_run"} <= fixtures  # the scan sees the integration conftests
    integration_modules = {p.stem for p in INTEGRATION.rglob("test_*.py")}
    modules = [p for p in sorted(UNIT.rglob("*.py")) if p.resolve() != Path(__file__).resolve()]
    assert len(modules) >= 10
    bad = {str(p.relative_to(TESTS)): found for p in modules if (found := problems(p, fixtures, integration_modules))}
    assert not bad, f"unit test modules that need ../shared/data (move them to tests/integration): {bad}"


def test_the_scan_catches_each_kind_of_reference(tmp_path):
    fixtures = integration_fixtures()
    cases = {
        "path": 'DATA = REPO / ".." / "shared" / "data"\n',
        "env": 'import os\nos.environ["CLASSIT_DATA_DIR"] = "x"\n',
        "helper": "from tiny_models import build_checkpoint\n",
        "corpus": "from train_helpers import tiny_config, SWITCHBOARD\n",
        "module": "from test_finetune_e2e import build_tiny_checkpoint\n",
        "fixture": "def test_x(tmp_path, checkpoints):\n    pass\n",
        "usefixtures": 'import pytest\n\n@pytest.mark.usefixtures("tiny_run")\ndef test_y():\n    pass\n',
    }
    for name, source in cases.items():
        path = tmp_path / f"test_{name}.py"
        path.write_text(source, encoding="utf-8")
        assert problems(path, fixtures, {"test_finetune_e2e"}), name
    clean = tmp_path / "test_clean.py"
    clean.write_text("from train_helpers import tiny_config\n\ndef test_z(tmp_path, one_thread):\n    pass\n")
    assert problems(clean, fixtures, {"test_finetune_e2e"}) == []
