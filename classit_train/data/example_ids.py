"""Stable example ids: ``<source>:<hash of the normalised record>``, the key of dynamics, maps and selections.

An id depends only on the source's name and the record's text (prompt, reply or plain text, Unicode NFKC with
runs of whitespace collapsed), never on a position, so it survives reshuffling, re-packing, other ``max_records``
and other sources in the config. The k-th repeat of an identical record within a source gets ``#k`` (k >= 1,
counted in the source's own order); the w-th window of a long plain-text record gets ``/w`` (w >= 1).

A source spec may name files of ids to drop (``exclude_ids``), e.g. the contaminated records that
``classit-train data audit --write_ids`` found.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from typing import Iterable, Iterator

from ..errors import ConfigError, DataError
from ..files import expand_paths, read_lines
from .records import Record

_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """NFKC with whitespace runs collapsed to one space and the ends stripped (case and punctuation kept)."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def record_hash(record: Record) -> str:
    """16 hex digits of the BLAKE2b hash of the record's normalised fields."""
    if record.is_chat:
        key = "chat\x1f" + normalise(record.prompt or "") + "\x1f" + normalise(record.reply or "")
    else:
        key = "text\x1f" + normalise(record.text or "")
    return hashlib.blake2b(key.encode("utf-8"), digest_size=8).hexdigest()


def with_ids(records: Iterable[Record], source: str) -> Iterator[tuple[str, Record]]:
    """``(record_id, record)`` for each record of one source, in order."""
    seen: dict[str, int] = {}
    for record in records:
        digest = record_hash(record)
        k = seen.get(digest, 0)
        seen[digest] = k + 1
        yield (f"{source}:{digest}" if k == 0 else f"{source}:{digest}#{k}"), record


def window_id(record_id: str, window: int) -> str:
    """The id of the ``window``-th example cut from one record (plain text longer than ``max_seq_length``)."""
    return record_id if window == 0 else f"{record_id}/{window}"


def read_id_file(paths: list[str], field: str) -> set[str]:
    """Ids from text files (one id per line, ``#`` comments) or JSONL files (an ``id`` field per line)."""
    ids: set[str] = set()
    for path in expand_paths(paths, field):
        for lineno, line in read_lines(path):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("{"):
                try:
                    value = json.loads(line).get("id")
                except (json.JSONDecodeError, AttributeError):
                    raise DataError(f"{path}:{lineno}", "not a JSON object") from None
                if not isinstance(value, str):
                    raise DataError(f"{path}:{lineno}", "field 'id' is missing or not a string")
                ids.add(value)
            else:
                ids.add(line)
    return ids


def excluded(records: Iterable[tuple[str, Record]], drop: set[str]) -> Iterator[tuple[str, Record]]:
    """The records whose id is not in ``drop``."""
    return ((rid, r) for rid, r in records if rid not in drop)


def exclude_spec(spec: dict, where: str) -> list[str]:
    """The ``exclude_ids`` entry of a source spec as a list of paths (validated, not yet expanded)."""
    value = spec.get("exclude_ids")
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{where}.exclude_ids", f"expected a file path or a list of paths, got {value!r}")
    return value
