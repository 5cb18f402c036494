"""Finding, extracting and validating the BabyLM evaluation data.

The data is never bundled. A run names the evaluation-data folder through, in order of precedence:
the ``data_dir`` argument (``classit-eval --data_dir``, or lm-eval's ``--metadata '{"data_dir": ...}'``),
then the environment variable ``CLASSIT_DATA_DIR``, then ``<cache>/babylm_eval_2025`` if ``classit-eval data fetch``
put the data there.

The folder may use the official layout (``full_eval/<name>``, ``fast_eval/<name>``), be a plain folder holding
``<name>`` directly, or hold ``<name>.zip`` (password-protected zips such as EWoK and entity tracking). Zips are
extracted once into a cache folder (``CLASSIT_CACHE_DIR``, default ``~/.cache/classit``), never beside the code.

Every error is a :class:`ClassitDataError` whose message is one line naming the file, line and field at fault.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterable

from classit_tasks.tasks.data_errors import ClassitDataError
from classit_tasks.tasks.text_files import open_utf8
from classit_tasks.tasks.zip_cache import cache_dir, extract

DATA_DIR_ENV = "CLASSIT_DATA_DIR"
FETCHED_DATA = "babylm_eval_2025"  # <cache>/babylm_eval_2025: where `classit-eval data fetch` puts the data


# --------------------------------------------------------------------------------------------------------------
# Locating the data
# --------------------------------------------------------------------------------------------------------------
def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The evaluation-data root: ``data_dir`` if given, else ``$CLASSIT_DATA_DIR``, else the folder
    ``classit-eval data fetch`` downloads into (``<cache>/babylm_eval_2025``) if it exists."""
    source = "data_dir"
    if not data_dir:
        data_dir, source = os.environ.get(DATA_DIR_ENV), DATA_DIR_ENV
    if not data_dir and (cache_dir() / FETCHED_DATA).is_dir():
        data_dir, source = cache_dir() / FETCHED_DATA, "the fetched-data cache"
    if not data_dir:
        raise ClassitDataError(
            f"no evaluation-data folder given and none fetched: run `classit-eval data fetch` (downloads it from "
            f"OSF into {cache_dir() / FETCHED_DATA}), or pass --data_dir / set {DATA_DIR_ENV}"
        )
    path = Path(data_dir).expanduser()
    if not path.is_dir():
        raise ClassitDataError(f"{path}: evaluation-data folder not found (from {source})")
    return path.resolve()


def _candidates(root: Path, name: str) -> list[Path]:
    # The official layout first, then a plain folder; `root` may also be full_eval/ or fast_eval/ itself.
    return [root / "full_eval" / name, root / "fast_eval" / name, root / name]


def find_dataset(name: str, data_dir: str | os.PathLike | None = None) -> Path:
    """Folder holding dataset ``name`` (e.g. ``blimp_filtered``), extracting ``<name>.zip`` if that is what exists."""
    root = resolve_data_dir(data_dir)
    for folder in _candidates(root, name):
        if folder.is_dir():
            return folder
    for folder in _candidates(root, name):
        archive = folder.with_name(folder.name + ".zip")
        if archive.is_file():
            return extract_zip(archive, name)
    raise ClassitDataError(
        f"{root}: dataset '{name}' not found (looked for full_eval/{name}, fast_eval/{name}, {name} and .zip)"
    )


def find_file(relative: str, data_dir: str | os.PathLike | None = None) -> Path | None:
    """A single file such as ``reading/reading_data.csv`` in the official layout, or None if absent."""
    root = resolve_data_dir(data_dir)
    for candidate in _candidates(root, relative):
        if candidate.is_file():
            return candidate
    return None


def extract_zip(archive: Path, name: str) -> Path:
    """Extract ``archive`` once into the cache and return the folder named ``name`` inside it.

    The cache is keyed by the archive's sha256, trusted only if owned by the current user, bounded in size and
    never left half-written or empty (``classit_tasks.tasks.zip_cache``).
    """
    target = extract(archive, name)
    # Members live under e.g. ewok_filtered/ or evaluation_data/fast_eval/ewok_fast/.
    matches = sorted(p for p in target.rglob(name) if p.is_dir())
    if not matches:
        raise ClassitDataError(f"{archive}: holds no folder named '{name}'")
    return matches[0]


# --------------------------------------------------------------------------------------------------------------
# Reading and validating records
# --------------------------------------------------------------------------------------------------------------
_TYPE_NAMES = {str: "string", int: "integer", float: "number", bool: "boolean", list: "list", dict: "object"}


def _type_name(expected: type | tuple[type, ...]) -> str:
    types = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in types)


def check_record(record: Any, required: dict[str, type | tuple[type, ...]], where: str) -> None:
    """Raise a one-line error if ``record`` lacks a required field or has one of the wrong type."""
    if not isinstance(record, dict):
        raise ClassitDataError(f"{where}: expected a JSON object, got {type(record).__name__}")
    for field, expected in required.items():
        if field not in record:
            raise ClassitDataError(f"{where}: missing field '{field}'")
        value = record[field]
        types = expected if isinstance(expected, tuple) else (expected,)
        # bool is an int subclass; a number field must not accept true/false.
        if isinstance(value, bool) and bool not in types:
            ok = False
        else:
            ok = isinstance(value, types) or (float in types and isinstance(value, int))
        if not ok:
            raise ClassitDataError(
                f"{where}: field '{field}' must be {_type_name(expected)}, got {json.dumps(value)[:60]}"
            )


def read_jsonl(path: str | os.PathLike, required: dict[str, type | tuple[type, ...]] | None = None) -> list[dict]:
    """Read a JSONL file, validating every line against ``required`` (field -> type)."""
    path = Path(path)
    if not path.is_file():
        raise ClassitDataError(f"{path}: file not found")
    records = []
    with open_utf8(path) as handle:
        for lineno, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise ClassitDataError(f"{path}:{lineno}: malformed JSON ({err.msg}, column {err.colno})") from None
            if required:
                check_record(record, required, f"{path}:{lineno}")
            records.append(record)
    if not records:
        raise ClassitDataError(f"{path}: no items (the file is empty)")
    return records


def check_count(path: Path, records: Iterable, expected: int | None) -> None:
    """Compare the item count with the official release's count for this file."""
    n = len(list(records)) if not isinstance(records, list) else len(records)
    if expected is not None and n != expected:
        raise ClassitDataError(
            f"{path}: {n} items, the official release has {expected} "
            f"(pass check_counts=false in --metadata to evaluate a modified file)"
        )
