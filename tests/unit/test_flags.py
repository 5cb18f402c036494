"""Old flag spellings of classit-eval (classit_tasks/flags.py): same parsed value, one deprecation line, hidden."""

from __future__ import annotations

import argparse
import re

import pytest

from classit_tasks.cli import main

# (sub-command and the arguments it needs, new spelling, old spelling, value or None for a switch)
CASES = [
    (["run"], "--allow_nan", "--allow-nan", None),
    (["report", "r.json"], "--output_path", "--out", "rep"),
    (["report", "r.json"], "--no_html", "--no-html", None),
    (["report", "r.json"], "--allow_nan", "--allow-nan", None),
    (["report", "r.json"], "--item_resamples", "--iters", "500"),
    (["report", "r.json"], "--slow_item_resamples", "--slow_iters", "500"),
    (["report", "r.json"], "--slow_item_resamples", "--slow-iters", "500"),
    (["compare", "--baseline", "b", "--candidate", "c"], "--output_path", "--json", "c.json"),
    (["compare", "--baseline", "b", "--candidate", "c"], "--max_drop", "--max-drop", "1.5"),
    (["compare", "--baseline", "b", "--candidate", "c"], "--gate_all", "--gate-all", None),
    (["compare", "--baseline", "b", "--candidate", "c"], "--allow_nan", "--allow-nan", None),
    (["compare", "--baseline", "b", "--candidate", "c"], "--item_resamples", "--iters", "500"),
    (["compare", "--baseline", "b", "--candidate", "c"], "--slow_item_resamples", "--slow_iters", "500"),
    (["compare", "--baseline", "b", "--candidate", "c"], "--slow_item_resamples", "--slow-iters", "500"),
    (["sweep", "run", "--tasks", "t", "--output_path", "o"], "--item_resamples", "--iters", "500"),
    (["gate", "base", "cand", "--data_dir", "data"], "--max_drop", "--max-drop", "2"),
    (["finetune", "--model_args", "pretrained=ckpt"], "--select_on", "--select-on", "valid"),
    (["finetune", "--model_args", "pretrained=ckpt"], "--num_epochs", "--epochs", "3"),
    (["data", "fetch"], "--no_progress", "--no-progress", None),
]
# an old form whose value is written differently: (command, new form, old form, deprecation line's OLD and NEW)
OLD_FORMS = [
    (["audit", "r.json"], ["--model_args", "pretrained=ckpt"], ["--pretrained", "ckpt"], "--pretrained",
     "--model_args"),
    (["gate", "base", "cand"], ["--data_dir", "data"], ["data"], "DATA_DIR as a positional argument",
     "--data_dir DATA_DIR"),
    (["gate", "base", "cand", "--data_dir", "data"], ["--output_path", "out"], ["data", "out"],
     "OUT as a positional argument", "--output_path OUT"),
    (["data", "fetch"], ["--data_dir", "dest"], ["dest"], "DIR as a positional argument", "--data_dir DIR"),
    (["data", "check"], ["--data_dir", "dir"], ["dir"], "DIR as a positional argument", "--data_dir DIR"),
]


class Parsed(Exception):
    """Raised by the patched parse_args with the namespace, so that no command runs."""

    def __init__(self, namespace):
        super().__init__("parsed")
        self.namespace = namespace


@pytest.fixture
def parse(monkeypatch):
    original = argparse.ArgumentParser.parse_args

    def stop_after_parsing(self, args=None, namespace=None):
        raise Parsed(original(self, args, namespace))

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", stop_after_parsing)

    def run(argv: list[str]) -> dict:
        with pytest.raises(Parsed) as caught:
            main(argv)
        return vars(caught.value.namespace)

    return run


def _spelled(flag: str) -> re.Pattern:
    return re.compile(re.escape(flag) + r"(?![\w-])")


@pytest.mark.parametrize("command,new,old,value", CASES, ids=[f"{c[0]}{c[2]}" for c in CASES])
def test_old_spelling_parses_like_the_new_one_and_warns_once(parse, capsys, command, new, old, value):
    given = [] if value is None else [value]
    expected = parse([*command, new, *given])
    assert capsys.readouterr().err == ""
    assert parse([*command, old, *given]) == expected
    assert expected != parse(command)  # the flag changed something
    err = capsys.readouterr().err
    assert err == _deprecation(command, old, new)


def _deprecation(command: list[str], old: str, new: str) -> str:
    prog = "classit-eval " + " ".join(command[:2] if command[0] == "data" else command[:1])
    return f"{prog}: warning: {old} is deprecated; use {new} (the old spelling will be removed in the next release)\n"


@pytest.mark.parametrize("command,new,old,old_name,new_name", OLD_FORMS, ids=[" ".join(c[2]) for c in OLD_FORMS])
def test_old_form_parses_like_the_new_one_and_warns(parse, capsys, command, new, old, old_name, new_name):
    expected = parse([*command, *new])
    assert capsys.readouterr().err == ""
    if command[0] == "gate" and old == ["data", "out"]:  # the whole old form: both positional arguments
        command = command[:3]
    assert parse([*command, *old]) == expected
    err = capsys.readouterr().err
    assert _deprecation(command, old_name, new_name) in err
    assert err.count("deprecated") == len(old) if old_name.endswith("positional argument") else 1


@pytest.mark.parametrize("command", [("run",), ("report",), ("compare",), ("gate",), ("finetune",), ("data", "fetch"),
                                     ("sweep",), ("audit",), ("data", "check")])
def test_help_lists_only_the_new_spellings(capsys, command):
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    for cmd, new, old, _ in CASES:
        if cmd[: len(command)] == list(command):
            assert _spelled(new).search(text), new
            assert not _spelled(old).search(text), old
    for cmd, new, old, _, _ in OLD_FORMS:
        if cmd[: len(command)] == list(command) and old[0].startswith("--"):
            assert _spelled(new[0]).search(text), new[0]
            assert not _spelled(old[0]).search(text), old[0]
    if command[0] in ("gate", "data"):  # the old positional arguments are hidden
        assert "old_positionals" not in text and "DATA_DIR DATA_DIR" not in text
