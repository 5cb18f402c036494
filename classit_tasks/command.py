"""What every ``classit-eval`` sub-command sets up the same way: its name on the command line, its parser, its
one-line messages and its exit status on a known failure.

    SUBMIT = SubCommand("submit")

    @SUBMIT.entry
    def main(argv):
        args = SUBMIT.parser("Write the submission file.").parse_args(argv)
        ...
        raise UsageError("--up_to must name …")  # printed as "classit-eval submit: error: --up_to must name …", exit 2

A sub-command raises a ``classit_tasks.errors.ClassitError`` for bad input; ``entry`` turns it into the one line and
the exit status (classit_tasks/errors.py, the one place that does).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Callable

from classit_tasks.errors import entry_point

PROG = "classit-eval"


@dataclass(frozen=True)
class SubCommand:
    """One sub-command of ``classit-eval`` (``name`` as typed on the command line; "" for ``classit-eval`` itself)."""

    name: str

    @property
    def prog(self) -> str:
        """How the command names itself in usage lines and messages, e.g. ``classit-eval report``."""
        return f"{PROG} {self.name}" if self.name else PROG

    def parser(self, description: str | None = None, **kwargs) -> argparse.ArgumentParser:
        """A new argument parser named ``prog``."""
        return argparse.ArgumentParser(prog=self.prog, description=description, **kwargs)

    def entry(self, function: Callable[..., int]) -> Callable[..., int]:
        """Decorator of the entry function ``main(argv) -> int``: known failures become one line and status 2."""
        return entry_point(self.prog)(function)

    def say(self, message: str) -> None:
        """One line on stderr prefixed with ``prog`` (a note, a warning or a non-fatal error)."""
        print(f"{self.prog}: {message}", file=sys.stderr, flush=True)
