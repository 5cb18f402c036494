"""Old flag spellings of classit-train (classit_train/cli/flags.py): same parsed value, one deprecation line, hidden."""

from __future__ import annotations

import re

import pytest

from classit_train.cli.main import _parser

# (sub-command and the arguments it needs, new spelling, old spelling, value or None for a switch)
CASES = [
    (["tokenizer", "--input", "x.txt"], "--output_path", "--output", "tok"),
    (["tokenizer", "--input", "x.txt", "--output_path", "tok"], "--vocab_size", "--vocab-size", "400"),
    (["tokenizer", "--input", "x.txt", "--output_path", "tok"], "--no_bos", "--no-bos", None),
    (["tokenizer", "--input", "x.txt", "--output_path", "tok"], "--min_frequency", "--min-frequency", "3"),
    (["tokenizer", "--input", "x.txt", "--output_path", "tok"], "--max_words", "--max-words", "100"),
    (["data", "build", "cfg.yaml"], "--output_path", "--output", "pairs"),
    (["train", "cfg.yaml"], "--output_path", "--output-dir", "runs/x"),
    (["train", "cfg.yaml"], "--stage_order", "--stage-order", "b,a"),
    (["demo"], "--output_path", "--output-dir", "demo_out"),
    (["demo", "--output_path", "demo_out"], "--max_records", "--max-records", "60"),
    (["demo", "--output_path", "demo_out"], "--data_dir", "--data", "corpora_folder"),
]
REQUIRED = {("tokenizer", "--output_path"), ("data", "--output_path"), ("demo", "--output_path")}


def _spelled(flag: str) -> re.Pattern:
    return re.compile(re.escape(flag) + r"(?![\w-])")


@pytest.mark.parametrize("command,new,old,value", CASES, ids=[f"{c[0][0]}{c[2]}" for c in CASES])
def test_old_spelling_parses_like_the_new_one_and_warns_once(capsys, command, new, old, value):
    given = [] if value is None else [value]
    expected = vars(_parser().parse_args([*command, new, *given]))
    assert capsys.readouterr().err == ""
    assert vars(_parser().parse_args([*command, old, *given])) == expected
    prog = "classit-train " + " ".join(command[:2] if command[0] == "data" else command[:1])
    assert capsys.readouterr().err == (f"{prog}: warning: {old} is deprecated; use {new} "
                                       "(the old spelling will be removed in the next release)\n")
    if (command[0], new) in REQUIRED:  # still required: neither spelling given is an error naming the new one
        with pytest.raises(SystemExit):
            _parser().parse_args(command)
        assert f"the following arguments are required: {new}" in capsys.readouterr().err
    else:
        assert expected != vars(_parser().parse_args(command))  # the flag changed something


@pytest.mark.parametrize("command", [["tokenizer"], ["data", "build"], ["train"], ["demo"]])
def test_help_lists_only_the_new_spellings(capsys, command):
    with pytest.raises(SystemExit) as exit_:
        _parser().parse_args([*command, "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    for cmd, new, old, _ in CASES:
        if cmd[: len(command)] == command:
            assert _spelled(new).search(text), new
            assert not _spelled(old).search(text), old
