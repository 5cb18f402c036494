"""Small file helpers: path expansion, gzip-aware reading, atomic JSON writes."""

from __future__ import annotations

import codecs
import glob
import gzip
import json
import os
import re
from pathlib import Path
from typing import Any, Iterator

from .errors import ConfigError, DataError

_ENV_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def expand_vars(value: str, field: str) -> str:
    """Expand ``${VAR}``, ``${VAR:-default}`` and ``$VAR``; an unset variable is a ConfigError naming ``field``."""

    def repl(match: re.Match) -> str:
        name, default = match.group(1) or match.group(3), match.group(2)
        if os.environ.get(name):
            return os.environ[name]
        if default is not None:
            return default
        raise ConfigError(field, f"environment variable {name} is not set (used in {value!r})")

    return _ENV_VAR.sub(repl, value)


def expand_paths(patterns: list[str], field: str) -> list[Path]:
    """Expand variables and globs; every pattern must match at least one existing file."""
    paths: list[Path] = []
    for i, pattern in enumerate(patterns):
        where = f"{field}[{i}]"
        expanded = os.path.expanduser(expand_vars(str(pattern), where))
        matches = sorted(glob.glob(expanded)) if glob.has_magic(expanded) else [expanded]
        matches = [m for m in matches if os.path.exists(m)]
        if not matches:
            raise ConfigError(where, f"no file matches {expanded!r}")
        paths.extend(Path(m) for m in matches)
    return paths


def open_text(path: str | os.PathLike) -> Any:
    """Open a UTF-8 text file, transparently decompressing ``.gz``."""
    path = str(path)
    if path.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8", newline="\n")
    return open(path, "r", encoding="utf-8", newline="\n")


def read_lines(path: str | os.PathLike) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, line_without_newline)``; undecodable bytes are a DataError naming the exact line.

    Lines are decoded one at a time from bytes: a text-mode reader decodes blocks of 8 KB ahead of the line it
    yields, so its error would name the line where the block started (a bad byte on line 51 reported as line 1).
    """
    name = str(path)
    try:
        with (gzip.open(name, "rb") if name.endswith(".gz") else open(name, "rb")) as handle:
            for lineno, raw in enumerate(handle, start=1):
                if lineno == 1:
                    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                        raise DataError(name, "file is UTF-16-encoded; save it as UTF-8")
                    raw = raw.removeprefix(codecs.BOM_UTF8)
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as err:
                    raise DataError(f"{name}:{lineno}", f"not valid UTF-8 (byte 0x{raw[err.start]:02x} at column "
                                                        f"{err.start + 1}); save the file as UTF-8") from None
                yield lineno, line.rstrip("\n").rstrip("\r")
    except (OSError, EOFError) as err:
        raise DataError(name, f"cannot read file ({err})") from None


def write_json_atomic(path: str | os.PathLike, data: Any) -> None:
    """Write JSON to ``path`` through a temporary file and an atomic rename."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
