"""Old flag spellings kept for one release: hidden from ``--help``, one deprecation line on stderr when used.

Every multi-word flag is snake_case like lm-eval's (``--output_path``, ``--allow_nan``). ``alias(parser, new, old)``
adds ``old`` as a hidden option that parses exactly like ``new`` (same destination, type, choices, number of values;
it calls ``new``'s own action, so store, store_true/false, store_const, append and count all work) and prints
``<prog>: warning: OLD is deprecated; use NEW (the old spelling will be removed in the next release)``, once per use.
A required ``new`` counts as given when its old spelling is (the parser is changed for that: build one per parse).

An action rather than a parser class because ``classit-eval run``'s parser is lm-eval's own. classit-train, whose
parsers are all its own, renames with a parser class instead (classit_train/flags.py: the two packages never import
each other, docs/architecture.md); both print the same line.
"""

from __future__ import annotations

import argparse
import sys


class DeprecatedFlag(argparse.Action):
    """A hidden old spelling of ``target``: warns, then hands its values to ``target``'s action."""

    def __init__(self, option_strings, dest, target: argparse.Action, **kwargs):
        super().__init__(option_strings, target.dest, nargs=target.nargs, const=target.const,
                         default=argparse.SUPPRESS, type=target.type, choices=target.choices,
                         help=argparse.SUPPRESS, metavar=target.metavar)
        self.target = target

    def __call__(self, parser, namespace, values, option_string=None):
        new = self.target.option_strings[0]
        print(f"{parser.prog}: warning: {option_string} is deprecated; use {new} "
              "(the old spelling will be removed in the next release)", file=sys.stderr)
        self.target.required = False  # given under its old name (argparse checks requiredness per action)
        self.target(parser, namespace, values, new)


def alias(parser: argparse.ArgumentParser, new: str, *old: str) -> None:
    """Accept each spelling in ``old`` for the option ``new`` (already added to ``parser``), deprecated."""
    target = parser._option_string_actions[new]
    for spelling in old:
        parser.add_argument(spelling, action=DeprecatedFlag, target=target)
