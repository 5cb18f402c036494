"""classit-eval's one exception family (classit_tasks/errors.py): every exception class of classit_tasks derives from
``ClassitError``, and one place turns a known failure into one line and an exit status."""

from __future__ import annotations

import ast
import builtins
import importlib
from pathlib import Path

import pytest

from classit_tasks.command import SubCommand
from classit_tasks.errors import ClassitError, UsageError, entry_point, guarded, one_line

PACKAGE = Path(__file__).resolve().parents[2] / "classit_tasks"
BUILTIN_EXCEPTIONS = {name for name, value in vars(builtins).items()
                      if isinstance(value, type) and issubclass(value, BaseException)}


def _exception_classes() -> list[tuple[str, str]]:
    """(module, class) of every class in classit_tasks that looks like an exception in the source: a base that is a
    builtin exception or a name ending in Error / Exception (the classes are checked on the real objects below)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ClassDef):
                continue
            bases = [ast.unparse(base).rpartition(".")[2] for base in node.bases]
            if any(b in BUILTIN_EXCEPTIONS or b.endswith(("Error", "Exception")) for b in bases):
                found.append((module, node.name))
    return found


def test_the_scan_finds_the_known_exception_classes():
    names = {name for _, name in _exception_classes()}
    assert {"ClassitDataError", "ClassitModelError", "UsageError", "ReportInputError", "SweepInputError",
            "FinetuneError", "SubmissionError", "AuditError", "ResultsWriteError", "NonFiniteScoreError",
            "CheckpointError", "FetchError", "WeightSwapError"} <= names


@pytest.mark.parametrize("module,name", _exception_classes(), ids=lambda x: x)
def test_every_exception_class_derives_from_the_base(module, name):
    cls = getattr(importlib.import_module(module), name)
    assert issubclass(cls, BaseException)
    assert cls is ClassitError or issubclass(cls, ClassitError), f"{module}.{name} does not derive from ClassitError"


def test_the_classes_keep_their_builtin_base():
    """Code that catches ValueError / OSError / RuntimeError still catches them."""
    from classit_tasks.artifacts.atomic import ResultsWriteError
    from classit_tasks.report.errors import ReportInputError
    from classit_tasks.tasks.data import ClassitDataError
    from classit_tasks.tasks.fetch import FetchError

    assert issubclass(ClassitDataError, ValueError) and issubclass(ReportInputError, ValueError)
    assert issubclass(ResultsWriteError, OSError) and issubclass(FetchError, RuntimeError)
    assert issubclass(UsageError, ValueError)


def test_errors_module_imports_nothing_of_classit():
    tree = ast.parse((PACKAGE / "errors.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert not (node.module or "").startswith("classit") and not node.level
        elif isinstance(node, ast.Import):
            assert not any(a.name.startswith("classit") for a in node.names)
    assert "sys.modules" not in (PACKAGE / "errors.py").read_text(encoding="utf-8")


def _run(capsys, error: BaseException, prog: str = "classit-eval x") -> tuple[int, str]:
    def command() -> int:
        raise error

    code = guarded(prog, command)
    return code, capsys.readouterr().err


def test_a_classit_error_is_one_line_and_status_2(capsys):
    from classit_tasks.report.errors import ReportInputError

    assert _run(capsys, ReportInputError("r.json: no samples")) == (2, "classit-eval x: error: r.json: no samples\n")
    assert _run(capsys, UsageError("a\n  b")) == (2, "classit-eval x: error: a b\n")


def test_an_os_error_with_a_path_is_path_and_reason(capsys):
    err = FileNotFoundError(2, "No such file or directory", "/no/such")
    assert _run(capsys, err) == (2, "classit-eval x: error: /no/such: No such file or directory\n")


def test_a_results_write_error_keeps_its_own_message(capsys):
    from classit_tasks.artifacts.atomic import ResultsWriteError

    assert _run(capsys, ResultsWriteError("out/r.json: cannot write (disk full)")) == (
        2, "classit-eval x: error: out/r.json: cannot write (disk full)\n")


def test_ctrl_c_is_130_without_traceback(capsys):
    assert _run(capsys, KeyboardInterrupt()) == (130, "classit-eval x: interrupted\n")


@pytest.mark.parametrize("error", [RuntimeError("bug"), ValueError("bug"), OSError("no path")])
def test_anything_else_keeps_its_traceback(error):
    with pytest.raises(type(error)):
        guarded("classit-eval x", lambda: (_ for _ in ()).throw(error))


def test_success_returns_the_command_status():
    assert guarded("p", lambda: 1) == 1 and guarded("p", lambda: None) == 0
    assert one_line(UsageError("")) == "UsageError"


def test_entry_point_and_sub_command(capsys):
    command = SubCommand("demo")
    assert command.prog == "classit-eval demo" and SubCommand("").prog == "classit-eval"
    assert command.parser("d").prog == "classit-eval demo"

    @command.entry
    def main(argv, extra=0):
        if argv:
            raise UsageError(f"--x {argv[0]}: bad")
        return extra

    assert main([], extra=3) == 3
    assert main(["7"]) == 2
    assert capsys.readouterr().err == "classit-eval demo: error: --x 7: bad\n"
    command.say("note: hello")
    assert capsys.readouterr().err == "classit-eval demo: note: hello\n"
    assert entry_point("p")(lambda argv: len(argv))(["a", "b"]) == 2


@pytest.mark.parametrize("argv,line", [
    (["report", "r.json", "--item_resamples", "50"],
     "classit-eval report: error: --item_resamples 50: use at least 100 resamples"),
    (["compare", "--baseline", "b", "--candidate", "c", "--ci", "2"],
     "classit-eval compare: error: --ci 2.0: give a level between 0.5 and 1, e.g. 0.95"),
    (["audit", "r.json", "--threshold", "-1"], "classit-eval audit: error: --threshold must be >= 0, got -1.0"),
    (["audit", "r.json", "--model_args", "pretrained=x,dtype=float32"],
     "classit-eval audit: error: --model_args: unknown key(s) dtype (known: pretrained)"),
    (["data", "check", "--data_dir", "/no/such/folder"],
     "classit-eval data: error: /no/such/folder: not a folder (fetch the data with `classit-eval data fetch`"),
    (["sweep", "run", "--tasks", ",", "--output_path", "o"], "classit-eval sweep: error: --tasks: give at least one task"),
    (["sweep", "run", "--tasks", "t", "--output_path", "o", "--shard", "3/2"],
     "classit-eval sweep: error: --shard 3/2: need 0 <= I < N"),
])
def test_sub_commands_fail_with_one_line_and_status_2(capsys, argv, line):
    from classit_tasks.cli import main

    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith(line)
