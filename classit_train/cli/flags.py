"""Old flag spellings of ``classit-train``, kept for one release.

Every multi-word flag is snake_case like lm-eval's (``--output_path``, ``--max_records``). A :class:`Parser` (the
class of classit-train's parser and, through ``add_subparsers``, of every sub-command's) rewrites an old spelling
registered with :func:`rename` to its new one before parsing, and prints one line per use:
``<prog>: warning: OLD is deprecated; use NEW (the old spelling will be removed in the next release)``. Old spellings
are not options of the parser, so ``--help`` lists only the new ones and a required flag stays required.
"""

from __future__ import annotations

import argparse
import sys


class Parser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` that also takes the old spellings in ``renamed`` (old -> new), with a warning."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.renamed: dict[str, str] = {}

    def parse_known_args(self, args=None, namespace=None):
        args = list(sys.argv[1:] if args is None else args)
        for i, arg in enumerate(args):
            if arg == "--":  # everything after it is a value
                break
            flag, equals, value = arg.partition("=")
            if flag in self.renamed:
                print(f"{self.prog}: warning: {flag} is deprecated; use {self.renamed[flag]} "
                      "(the old spelling will be removed in the next release)", file=sys.stderr)
                args[i] = self.renamed[flag] + equals + value
        return super().parse_known_args(args, namespace)


def rename(parser: Parser, new: str, *old: str) -> None:
    """Accept each spelling in ``old`` for the option ``new`` of ``parser``, deprecated."""
    parser.renamed.update(dict.fromkeys(old, new))
