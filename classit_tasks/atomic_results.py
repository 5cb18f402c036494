"""Write an evaluation's results JSON and samples files atomically, as one set.

lm-eval writes ``results_<time>.json`` first and then one ``samples_<task>_<time>.jsonl`` per task, each straight
to its final name, and only logs a warning when a write fails (the run still exits 0). A full disk then leaves a
valid results JSON beside a samples file cut mid-line; a kill during the writes leaves a results file that refers
to missing samples. For the duration of a ``classit-eval run``, the two writers of lm-eval's ``EvaluationTracker``
only record what to write in a :class:`ResultSet` (``harness.classit_run_patches``); ``ResultSet.commit`` then
writes every file under a temporary name in its final folder (flushed and fsync'ed), renames the samples files
into place and the results file last. So a results file exists only if every samples file it refers to does; any failure removes what this
set wrote and raises ``ResultsWriteError`` naming the path and the reason; Ctrl-C does the same and re-raises.
Temporary files left by a killed process (``.classit-tmp-<pid>-…``) are removed by the next commit in that folder.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from classit_tasks.errors import ClassitError

TMP_PREFIX = ".classit-tmp-"


class ResultsWriteError(ClassitError, OSError):
    """A result file could not be written (one-line message naming the path and the reason)."""


@dataclass
class ResultSet:
    """The files of one evaluation, recorded by the patched tracker and written by ``commit``."""

    results: tuple[Path, str] | None = None
    samples: list[tuple[Path, list[dict]]] = field(default_factory=list)

    @property
    def paths(self) -> list[Path]:
        return [p for p, _ in self.samples] + ([self.results[0]] if self.results else [])

    def commit(self) -> list[Path]:
        """Write all files (samples first, results last); on any failure nothing of this set is left."""
        if self.results is None:
            return []
        from classit_tasks.harness import json_default, sanitized_sample

        written: list[Path] = []  # temporary files, then final files, of this set
        try:
            staged = []
            for path, rows in self.samples:
                staged.append((_stage(path, (json.dumps(sanitized_sample(r), default=json_default, ensure_ascii=False)
                                             + "\n" for r in rows), written), path))
            path, text = self.results
            staged.append((_stage(path, [text], written), path))
            for tmp, final in staged:  # the results file is renamed last
                _rename(tmp, final)
                written.append(final)
        except BaseException:
            for path in written:
                with contextlib.suppress(OSError):
                    path.unlink()
            raise
        return [final for _, final in staged]


def _reason(err: OSError) -> str:
    return err.strerror or str(err) or type(err).__name__


def _stage(final: Path, chunks: Iterable[str], written: list[Path]) -> Path:
    """Write ``chunks`` to a temporary file beside ``final``; returns its path (recorded in ``written``)."""
    folder = final.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ResultsWriteError(f"{folder}: cannot create the output folder ({_reason(err)})") from None
    remove_stale_temporaries(folder)
    tmp = folder / f"{TMP_PREFIX}{os.getpid()}-{final.name}"
    try:
        handle = open(tmp, "w", encoding="utf-8")
    except OSError as err:
        raise ResultsWriteError(f"{final}: cannot write ({_reason(err)})") from None
    written.append(tmp)
    try:
        with handle:
            for chunk in chunks:
                write_chunk(handle, chunk)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as err:
        raise ResultsWriteError(f"{final}: cannot write ({_reason(err)})") from None
    return tmp


def write_chunk(handle, chunk: str) -> None:
    """One write (a seam for the tests' simulated full disk)."""
    handle.write(chunk)


def _rename(tmp: Path, final: Path) -> None:
    try:
        os.replace(tmp, final)
    except OSError as err:
        raise ResultsWriteError(f"{final}: cannot write ({_reason(err)})") from None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(folder: Path) -> None:
    """Remove ``.classit-tmp-<pid>-*`` files of processes that no longer run (a kill -9 during a commit)."""
    with contextlib.suppress(OSError):
        for path in folder.glob(f"{TMP_PREFIX}*"):
            pid = path.name[len(TMP_PREFIX):].split("-", 1)[0]
            if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
                with contextlib.suppress(OSError):
                    path.unlink()
