"""Reading JSON and JSON-lines files: strict (one-line errors naming the file) or lenient (None on any failure).

Every failure is raised as the caller's own error class, with a message that names the file and, for a syntax
error, the line: ``PATH: line N: not valid JSON (reason)``, ``PATH: cannot read (reason)``, ``PATH: not UTF-8
text``, ``PATH: expected a JSON object``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read_json(path: str | Path, error: type[Exception] = ValueError, expect: type | None = dict) -> Any:
    """The parsed file; ``expect`` (default: an object) is the type its top level must have (None: any)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise error(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as err:
        raise error(f"{path}: line {err.lineno}: not valid JSON ({err.msg})") from None
    except OSError as err:
        raise error(f"{path}: cannot read ({err.strerror or err})") from None
    if expect is not None and not isinstance(data, expect):
        raise error(f"{path}: expected a JSON {'object' if expect is dict else expect.__name__}")
    return data


def read_json_lines(path: str | Path, error: type[Exception] = ValueError) -> list[Any]:
    """The parsed non-blank lines of a JSON-lines file, in order."""
    return [row for _, row in read_numbered_json_lines(path, error)]


def read_numbered_json_lines(path: str | Path, error: type[Exception] = ValueError) -> list[tuple[int, Any]]:
    """(line number, parsed line) of each non-blank line of a JSON-lines file, in order."""
    path = Path(path)
    rows = []
    try:
        with path.open(encoding="utf-8") as handle:
            for lineno, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    rows.append((lineno, json.loads(line)))
                except json.JSONDecodeError as err:
                    raise error(f"{path}: line {lineno}: not valid JSON ({err.msg})") from None
    except UnicodeDecodeError:
        raise error(f"{path}: not UTF-8 text") from None
    except OSError as err:
        raise error(f"{path}: cannot read ({err.strerror or err})") from None
    return rows


def read_json_or_none(path: str | Path) -> dict | None:
    """The object in a JSON file, or None when the file is missing, unreadable, not JSON or not an object (for
    files whose absence only means "unknown": state files, indexes rebuilt from elsewhere, caches)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
