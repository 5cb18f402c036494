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
    (["report", "r.json"], "--slow_iters", "--slow-iters", "500"),
    (["compare", "--baseline", "b", "--candidate", "c"], "--output_path", "--json", "c.json"),
    (["compare", "--baseline", "b", "--candidate", "c"], "--max_drop", "--max-drop", "1.5"),
    (["compare", "--baseline", "b", "--candidate", "c"], "--gate_all", "--gate-all", None),
    (["compare", "--baseline", "b", "--candidate", "c"], "--allow_nan", "--allow-nan", None),
    (["compare", "--baseline", "b", "--candidate", "c"], "--slow_iters", "--slow-iters", "500"),
    (["gate", "base", "cand", "data"], "--max_drop", "--max-drop", "2"),
    (["finetune", "--model_args", "pretrained=ckpt"], "--select_on", "--select-on", "valid"),
    (["data", "fetch"], "--no_progress", "--no-progress", None),
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
    prog = "classit-eval " + " ".join(command[:2] if command[0] == "data" else command[:1])
    assert err == (f"{prog}: warning: {old} is deprecated; use {new} "
                   "(the old spelling will be removed in the next release)\n")


@pytest.mark.parametrize("command", [("run",), ("report",), ("compare",), ("gate",), ("finetune",), ("data", "fetch")])
def test_help_lists_only_the_new_spellings(capsys, command):
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    for cmd, new, old, _ in CASES:
        if cmd[: len(command)] == list(command):
            assert _spelled(new).search(text), new
            assert not _spelled(old).search(text), old
