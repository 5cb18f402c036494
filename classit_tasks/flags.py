"""Old flag spellings kept for one release: hidden from ``--help``, one deprecation line on stderr when used.

Every multi-word flag is snake_case like lm-eval's (``--output_path``, ``--allow_nan``). ``alias(parser, new, old)``
adds ``old`` as a hidden option that parses exactly like ``new`` (same destination, type, choices, number of values;
it calls ``new``'s own action, so store, store_true/false, store_const, append and count all work) and prints
``<prog>: warning: OLD is deprecated; use NEW (the old spelling will be removed in the next release)``, once per use.
A required ``new`` counts as given when its old spelling is (the parser is changed for that: build one per parse).
``alias(..., value=f)`` hands ``f(old value)`` to ``new`` (``--pretrained X`` → ``--model_args pretrained=X``).
``old_positionals(parser, *new)`` accepts the values of options given, in order, as trailing positional arguments
(the old form of ``classit-eval gate BASE CAND DATA_DIR OUT``), hidden, with the same deprecation line.

An action rather than a parser class because ``classit-eval run``'s parser is lm-eval's own. classit-train, whose
parsers are all its own, renames with a parser class instead (classit_train/flags.py: the two packages never import
each other, docs/architecture.md); both print the same line.
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable


def warn(prog: str, old: str, new: str) -> None:
    """The deprecation line: ``<prog>: warning: OLD is deprecated; use NEW (…removed in the next release)``."""
    print(f"{prog}: warning: {old} is deprecated; use {new} (the old spelling will be removed in the next release)",
          file=sys.stderr)


class DeprecatedFlag(argparse.Action):
    """A hidden old spelling of ``target``: warns, then hands its values (through ``value``) to ``target``'s action."""

    def __init__(self, option_strings, dest, target: argparse.Action, value: Callable[[str], str] | None = None,
                 **kwargs):
        super().__init__(option_strings, target.dest, nargs=target.nargs, const=target.const,
                         default=argparse.SUPPRESS, type=None if value else target.type, choices=target.choices,
                         help=argparse.SUPPRESS, metavar=target.metavar)
        self.target = target
        self.value = value

    def __call__(self, parser, namespace, values, option_string=None):
        new = self.target.option_strings[0]
        warn(parser.prog, option_string, new)
        self.target.required = False  # given under its old name (argparse checks requiredness per action)
        if self.value is not None:
            values = parser._get_value(self.target, self.value(values))
        self.target(parser, namespace, values, new)


class OldPositionals(argparse.Action):
    """Hidden trailing positional arguments: the old form of the options ``targets``, in order."""

    def __init__(self, option_strings, dest, targets: list[argparse.Action], **kwargs):
        super().__init__(option_strings, dest, nargs="*", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        self.targets = targets

    def __call__(self, parser, namespace, values, option_string=None):
        if len(values) > len(self.targets):
            parser.error(f"unrecognized arguments: {' '.join(values[len(self.targets):])}")
        for target, value in zip(self.targets, values):
            new = target.option_strings[0]
            name = target.metavar or target.dest.upper()
            warn(parser.prog, f"{name} as a positional argument", f"{new} {name}")
            target.required = False
            target(parser, namespace, parser._get_value(target, value), new)


def alias(parser: argparse.ArgumentParser, new: str, *old: str, value: Callable[[str], str] | None = None) -> None:
    """Accept each spelling in ``old`` for the option ``new`` (already added to ``parser``), deprecated.

    ``value`` turns an old spelling's value into the new option's (when the two differ in form)."""
    target = parser._option_string_actions[new]
    for spelling in old:
        parser.add_argument(spelling, action=DeprecatedFlag, target=target, value=value)


def old_positionals(parser: argparse.ArgumentParser, *new: str) -> None:
    """Accept the values of the options ``new`` (already added) as trailing positional arguments, deprecated.

    Add it after the parser's own positional arguments."""
    parser.add_argument("old_positionals", action=OldPositionals,
                        targets=[parser._option_string_actions[flag] for flag in new])
