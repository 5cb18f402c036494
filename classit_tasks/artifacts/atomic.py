"""Atomic writes: a set of files that appears whole or not at all, and one JSON file renamed into place.

:func:`write_files` writes every file of a set under a temporary name in its final folder (flushed and fsync'ed),
then renames them into place in the order given, so the last file (e.g. lm-eval's results JSON, whose presence
means "this evaluation completed") exists only if every file before it does. Any failure removes what the set
wrote and raises :class:`ResultsWriteError` naming the path and the reason; Ctrl-C does the same and re-raises.
Temporary files left by a killed process (``.classit-tmp-<pid>-…``) are removed by the next write in that folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Iterable

from classit_tasks.errors import ClassitError

TMP_PREFIX = ".classit-tmp-"


class ResultsWriteError(ClassitError, OSError):
    """A result file could not be written (one-line message naming the path and the reason)."""


def write_files(files: Iterable[tuple[Path, Iterable[str]]]) -> list[Path]:
    """Write each (path, text chunks) under a temporary name, then rename all into place in order (the last file
    last); on any failure nothing of this set is left. Returns the final paths."""
    written: list[Path] = []  # temporary files, then final files, of this set
    try:
        staged = [(_stage(Path(path), chunks, written), Path(path)) for path, chunks in files]
        for tmp, final in staged:
            _rename(tmp, final)
            written.append(final)
    except BaseException:
        for path in written:
            with contextlib.suppress(OSError):
                path.unlink()
        raise
    return [final for _, final in staged]


def write_json_atomic(path: Path, data: dict) -> None:
    """``json.dump(data, indent=2, default=str)`` to a unique temporary name beside ``path``, then renamed over it
    (safe with several processes writing the same file, on one host or several)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".tmp-{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, default=str)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
    """Remove ``.classit-tmp-<pid>-*`` files of processes that no longer run (a kill -9 during a write)."""
    with contextlib.suppress(OSError):
        for path in folder.glob(f"{TMP_PREFIX}*"):
            pid = path.name[len(TMP_PREFIX):].split("-", 1)[0]
            if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
                with contextlib.suppress(OSError):
                    path.unlink()
