"""The extraction cache of the password-protected data zips (EWoK, entity tracking), safe to share.

* **Keyed by content.** An entry is ``<cache>/extracted/<name>-<sha256 of the zip>``: a zip replaced by another of
  the same size and modification time gets a new entry, never the stale extraction.
* **Trusted only if ours.** An entry (and the ``extracted`` folder) is reused only if it is a real folder owned by
  the current user and not writable by group or others, and holds the completion record written last by the
  extraction with the same archive hash. Anything else is refused with one line (it may have been planted by
  another user of a shared ``CLASSIT_CACHE_DIR``).
* **Bounded.** Members are streamed in 1 MiB chunks and the bytes actually written are counted against
  ``CLASSIT_MAX_EXTRACT_BYTES`` (default 1 GiB; the largest BabyLM zip expands to 7.5 MB), so a zip bomb ends in
  one line, not in a full disk or memory.
* **Nothing left behind.** Extraction goes to ``.tmp-<name>-<pid>-…`` holding an ``fcntl`` lock for its lifetime; it
  is renamed into place only when complete, and removed on any failure. Temporary folders of processes that died
  (``kill -9``: their lock is free) are removed by the next extraction; live ones are left alone. A zip without the
  expected folder or with a bad member never leaves an (empty) entry.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import stat
import tempfile
import zipfile
import zlib
from pathlib import Path

from classit_tasks.tasks.data_errors import ClassitDataError

CACHE_DIR_ENV = "CLASSIT_CACHE_DIR"
ZIP_PASSWORD_ENV = "CLASSIT_ZIP_PASSWORD"
# Password published with the BabyLM 2025 evaluation data (README of babylm/evaluation-pipeline-2025).
DEFAULT_ZIP_PASSWORD = "BabyLM2025"


def cache_dir() -> Path:
    """classit's cache folder: ``$CLASSIT_CACHE_DIR``, default ``~/.cache/classit``."""
    return Path(os.environ.get(CACHE_DIR_ENV) or Path.home() / ".cache" / "classit").expanduser()

MAX_BYTES_ENV = "CLASSIT_MAX_EXTRACT_BYTES"
DEFAULT_MAX_BYTES = 1 << 30
CHUNK = 1 << 20
COMPLETE = ".classit-complete.json"
LOCK = ".classit-extracting.lock"
_digests: dict[tuple, str] = {}  # (path, size, mtime_ns, inode) -> sha256, within one process


def max_bytes() -> int:
    raw = os.environ.get(MAX_BYTES_ENV)
    if not raw:
        return DEFAULT_MAX_BYTES
    try:
        value = int(float(raw))
    except ValueError:
        raise ClassitDataError(f"{MAX_BYTES_ENV}={raw!r}: expected a number of bytes") from None
    if value <= 0:
        raise ClassitDataError(f"{MAX_BYTES_ENV}={raw!r}: expected a positive number of bytes")
    return value


def archive_sha256(archive: Path) -> str:
    """sha256 of the archive's bytes, streamed (memoised per file identity within the process)."""
    st = archive.stat()
    ident = (str(archive.resolve()), st.st_size, st.st_mtime_ns, st.st_ino)
    if ident not in _digests:
        digest = hashlib.sha256()
        try:
            with open(archive, "rb") as handle:
                for block in iter(lambda: handle.read(CHUNK), b""):
                    digest.update(block)
        except OSError as err:
            raise ClassitDataError(f"{archive}: cannot read ({err.strerror or err})") from None
        _digests[ident] = digest.hexdigest()
    return _digests[ident]


def _check_trusted(path: Path, what: str) -> None:
    """Refuse a cache folder that is a link, not ours, or writable by group/others."""
    st = path.lstat()
    problem = None
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
        problem = "is not a plain folder"
    elif st.st_uid != os.getuid():
        problem = f"is owned by uid {st.st_uid}, not you (uid {os.getuid()})"
    elif st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        problem = f"is writable by group or others (mode {stat.S_IMODE(st.st_mode):o})"
    if problem:
        raise ClassitDataError(
            f"{path}: {what} {problem}; refusing to trust it: remove it or set {'CLASSIT_CACHE_DIR'} to a private folder"
        )


def _entry_complete(target: Path, digest: str) -> bool:
    try:
        record = json.loads((target / COMPLETE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and record.get("sha256") == digest


def _lock_is_free(folder: Path) -> bool:
    """Whether no live process holds the extraction lock of a temporary folder (its writer is gone)."""
    import fcntl

    try:
        fd = os.open(folder / LOCK, os.O_RDWR)
    except FileNotFoundError:
        return True  # died before taking the lock (the folder is at most moments old: see the age check)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def remove_stale_temporaries(root: Path, min_age_s: float = 60.0) -> list[Path]:
    """Remove our ``.tmp-*`` extraction folders whose writer died (lock free); returns what was removed."""
    import time

    removed = []
    with contextlib.suppress(OSError):
        for child in root.iterdir():
            if not child.name.startswith(".tmp-"):
                continue
            st = child.lstat()
            if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
                continue
            lock_missing = not (child / LOCK).exists()
            if lock_missing and time.time() - st.st_mtime < min_age_s:
                continue  # just created by a live process that has not taken its lock yet
            if _lock_is_free(child):
                shutil.rmtree(child, ignore_errors=True)
                removed.append(child)
    return removed


def _extract_members(archive: Path, tmp: Path, limit: int) -> tuple[int, int]:
    password = os.environ.get(ZIP_PASSWORD_ENV, DEFAULT_ZIP_PASSWORD).encode()
    files = total = 0
    root = tmp.resolve()
    with zipfile.ZipFile(archive) as zf:
        for member in zf.infolist():
            if member.is_dir():
                continue
            dest = (tmp / member.filename).resolve()
            if root not in dest.parents or member.filename.startswith(".classit"):
                raise ClassitDataError(f"{archive}: unsafe member path '{member.filename}'")
            if stat.S_ISLNK(member.external_attr >> 16):
                raise ClassitDataError(f"{archive}: member '{member.filename}' is a symbolic link")
            encrypted = bool(member.flag_bits & 0x1)
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                with zf.open(member, pwd=password if encrypted else None) as src, open(dest, "wb") as out:
                    for block in iter(lambda: src.read(CHUNK), b""):
                        total += len(block)
                        if total > limit:
                            raise ClassitDataError(
                                f"{archive}: expands to more than {limit:,} bytes (at member '{member.filename}'); "
                                f"not extracted (a zip bomb?); raise {MAX_BYTES_ENV} if the archive is genuine"
                            )
                        out.write(block)
            except (RuntimeError, zipfile.BadZipFile, zlib.error, EOFError) as err:
                # A wrong password fails the check byte ("Bad password") or, 1 time in 256, the CRC.
                if not encrypted:
                    raise ClassitDataError(f"{archive}: corrupt member '{member.filename}' ({err})") from None
                raise ClassitDataError(
                    f"{archive}: cannot decrypt '{member.filename}' (wrong password? set {ZIP_PASSWORD_ENV})"
                ) from None
            files += 1
    return files, total


def extract(archive: Path, name: str) -> Path:
    """The cache folder of ``archive`` (extracted now if needed); the caller looks for ``name`` inside it."""
    digest = archive_sha256(archive)
    root = cache_dir() / "extracted"
    try:
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as err:
        raise ClassitDataError(
            f"{root}: cannot create the extraction cache ({err.strerror or err}); set CLASSIT_CACHE_DIR to a "
            "writable folder") from None
    _check_trusted(root, "the extraction cache")
    target = root / f"{name}-{digest[:32]}"
    if target.exists() or target.is_symlink():
        _check_trusted(target, "cache entry")
        if _entry_complete(target, digest):
            return target
        raise ClassitDataError(f"{target}: incomplete cache entry (no completion record); remove it and rerun")
    remove_stale_temporaries(root)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{name}-{os.getpid()}-", dir=root))
    except OSError as err:
        raise ClassitDataError(f"{root}: cannot write the extraction cache ({err.strerror or err}); set "
                               "CLASSIT_CACHE_DIR to a writable folder") from None
    import fcntl

    lock_fd = None
    try:
        lock_fd = os.open(tmp / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        try:
            files, total = _extract_members(archive, tmp, max_bytes())
        except zipfile.BadZipFile as err:
            raise ClassitDataError(f"{archive}: not a valid zip file ({err})") from None
        if not any(p.is_dir() for p in tmp.rglob(name)):
            raise ClassitDataError(f"{archive}: holds no folder named '{name}'")
        (tmp / COMPLETE).write_text(json.dumps({"sha256": digest, "archive": str(archive), "files": files,
                                                "bytes": total}), encoding="utf-8")
        (tmp / LOCK).unlink()
        tmp.chmod(0o700)
        try:
            tmp.rename(target)
        except OSError:  # another process finished first: use its entry if it is a sound one
            shutil.rmtree(tmp, ignore_errors=True)
            _check_trusted(target, "cache entry")
            if not _entry_complete(target, digest):
                raise ClassitDataError(f"{target}: incomplete cache entry; remove it and rerun") from None
    except OSError as err:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ClassitDataError(f"{tmp}: cannot write the extraction cache ({err.strerror or err}); free space or "
                               "set CLASSIT_CACHE_DIR to a writable folder") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if lock_fd is not None:
            os.close(lock_fd)
    return target
