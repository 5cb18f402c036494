"""The one place where classit-eval turns known failures into one line and an exit status.

Known failures are classit's own one-line errors (bad data, a refused model, a result file that cannot be written,
bad report input), the operating system's (a folder that cannot be read or written: the message names the path and
the reason) and Ctrl-C (exit 130, no traceback). Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys
from typing import Callable

EXIT_ERROR = 2
EXIT_INTERRUPTED = 130


def known_errors() -> tuple[type[BaseException], ...]:
    """Exception types whose message is a complete one-line explanation for the user."""
    from classit_tasks.artifacts.atomic import ResultsWriteError
    from classit_tasks.tasks.data import ClassitDataError
    from classit_tasks.nonfinite import NonFiniteScoreError
    from classit_tasks.report.errors import ReportInputError

    found: list[type[BaseException]] = [ClassitDataError, NonFiniteScoreError, ResultsWriteError, ReportInputError]
    model = sys.modules.get("classit_tasks.scoring.model")  # imported only when a model was built (torch, lm-eval)
    if model is not None:
        found.append(model.ClassitModelError)
    cli = sys.modules.get("classit_tasks.cli")
    if cli is not None:
        found.append(cli.UsageError)
    return tuple(found)


def one_line(err: BaseException) -> str:
    """The error's message on one line (an OSError as ``path: reason``)."""
    if isinstance(err, OSError) and not type(err).__module__.startswith("classit") and err.filename:
        message = f"{err.filename}: {err.strerror or err}"
    else:
        message = str(err) or type(err).__name__
    return " ".join(message.split())


def guarded(prog: str, command: Callable[[], int]) -> int:
    """Run ``command``; a known failure prints ``<prog>: error: <one line>`` and returns 2, Ctrl-C returns 130."""
    try:
        return int(command() or 0)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BaseException as err:  # noqa: BLE001 - re-raised below unless it is a known failure
        if isinstance(err, known_errors()) or (isinstance(err, OSError) and err.filename):
            print(f"{prog}: error: {one_line(err)}", file=sys.stderr)
            return EXIT_ERROR
        raise
