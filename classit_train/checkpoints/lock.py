"""One classit-train per output folder: an exclusive ``fcntl`` lock on ``<output_dir>/.classit-train.lock``.

The lock is held until the process exits (the kernel releases it on any exit, ``kill -9`` included, so a stale lock
file never blocks a later run). The file holds the pid of the holder, for the message a second trainer prints.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import ClassitTrainError

LOCK_NAME = ".classit-train.lock"
_held: dict[Path, int] = {}  # output folder -> open descriptor holding the lock (kept for the process lifetime)


class OutputLockedError(ClassitTrainError):
    """Another classit-train is writing into the same output folder."""


def lock_output_dir(out: Path) -> None:
    """Take the lock of ``out`` (idempotent within a process); OutputLockedError if another process holds it."""
    import fcntl

    out = Path(out).resolve()
    if out in _held:
        return
    path = out / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
        os.close(fd)
        raise OutputLockedError(
            f"{out}: another classit-train (pid {holder}) is writing into this output folder; wait for it to finish "
            "or choose another --output_path"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    _held[out] = fd


def release_output_dir(out: Path) -> None:
    """Release the lock of ``out`` if this process holds it (tests; the process exit releases it otherwise)."""
    fd = _held.pop(Path(out).resolve(), None)
    if fd is not None:
        os.close(fd)
