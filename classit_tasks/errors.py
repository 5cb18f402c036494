"""classit-eval's one exception family, and the one place where a known failure becomes one line and an exit status.

Every exception class of classit_tasks derives from ``ClassitError`` (and keeps its builtin base, e.g. ``ValueError``,
so code catching that still works); its message is a complete one-line explanation for the user. Known failures are
those, the operating system's (a folder that cannot be read or written: the message names the path and the reason)
and Ctrl-C (exit 130, no traceback). Anything else is a bug and keeps its traceback.

This module imports nothing from classit_tasks: every package of it may raise these errors.
"""

from __future__ import annotations

import functools
import sys
from typing import Callable

EXIT_ERROR = 2
EXIT_INTERRUPTED = 130


class ClassitError(Exception):
    """Base of every classit-eval error: the message is one line naming the file, line, field or flag at fault."""

    exit_status = EXIT_ERROR


class UsageError(ClassitError, ValueError):
    """Bad command-line input (one-line message)."""


def is_known(err: BaseException) -> bool:
    """Whether ``err``'s message alone tells the user what went wrong (no traceback needed)."""
    return isinstance(err, ClassitError) or (isinstance(err, OSError) and bool(err.filename))


def one_line(err: BaseException) -> str:
    """The error's message on one line (an operating-system error as ``path: reason``)."""
    if isinstance(err, OSError) and not isinstance(err, ClassitError) and err.filename:
        message = f"{err.filename}: {err.strerror or err}"
    else:
        message = str(err) or type(err).__name__
    return " ".join(message.split())


def exit_status(err: BaseException) -> int:
    """The exit status of a known failure: 130 for Ctrl-C, the error's own (2) otherwise."""
    if isinstance(err, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    return getattr(err, "exit_status", EXIT_ERROR)


def fail(prog: str, err: BaseException) -> int:
    """Print ``<prog>: error: <one line>`` on stderr; the exit status of ``err``."""
    print(f"{prog}: error: {one_line(err)}", file=sys.stderr)
    return exit_status(err)


def guarded(prog: str, command: Callable[[], int]) -> int:
    """Run ``command``; a known failure prints ``<prog>: error: <one line>`` and returns 2, Ctrl-C returns 130."""
    try:
        return int(command() or 0)
    except KeyboardInterrupt as err:
        print(f"{prog}: interrupted", file=sys.stderr)
        return exit_status(err)
    except BaseException as err:  # noqa: BLE001 - re-raised below unless it is a known failure
        if is_known(err):
            return fail(prog, err)
        raise


def entry_point(prog: str) -> Callable[[Callable[..., int]], Callable[..., int]]:
    """Decorator: the command function ``main(argv, …) -> int`` run under ``guarded(prog, …)``."""

    def wrap(function: Callable[..., int]) -> Callable[..., int]:
        @functools.wraps(function)
        def guarded_main(argv: list[str] | None = None, *args, **kwargs) -> int:
            return guarded(prog, lambda: function(argv, *args, **kwargs))

        return guarded_main

    return wrap
