"""The texts of the evaluation sets classit ships, read straight from a BabyLM-layout evaluation-data folder.

classit_train does not import classit_tasks (DESIGN.md: the two packages share only checkpoints), so this is a
small reader of the known file layouts, for the decontamination audit only. Each evaluation set becomes a list
of items, each item the list of texts a model reads for it:

=======================  =================================================================  =========
set                      files (under ``full_eval/``, or the folder itself)                 texts
=======================  =================================================================  =========
blimp                    blimp_filtered/*.jsonl                                             sentence_good, sentence_bad
supplement               supplement_filtered/*.jsonl                                        sentence_good, sentence_bad
ewok                     ewok_filtered/*.jsonl or ewok_filtered.zip (protected)             Context1/2, Target1/2
entity_tracking          entity_tracking/*.jsonl or entity_tracking.zip (protected)         input_prefix, options
wug_adj_nominalization   wug_adj_nominalization/*.jsonl                                     the tab-separated sentences
wug_past_tense           wug_past_tense/*.jsonl (optional)                                  the tab-separated sentences
reading                  reading/reading_data.csv                                           column ``sentence`` (one item per sentence)
comps                    comps/*.jsonl (optional)                                           prefix_(un)acceptable + property_phrase
glue_<task>              glue_filtered/<task>.valid.jsonl                                   every string field
=======================  =================================================================  =========

Protected sets (EWoK, entity tracking) are read from their password-protected zips in memory only (password
``$CLASSIT_ZIP_PASSWORD``, default ``BabyLM2025``); their texts are never written or printed.
"""

from __future__ import annotations

import csv
import json
import os
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from ..errors import DataError

ZIP_PASSWORD_ENV = "CLASSIT_ZIP_PASSWORD"
DEFAULT_ZIP_PASSWORD = "BabyLM2025"
DATA_DIR_ENV = "CLASSIT_DATA_DIR"
PROTECTED = ("ewok", "entity_tracking")


@dataclass
class EvalSet:
    name: str
    items: list[list[str]]  # per item: the texts a model reads
    files: list[str] = field(default_factory=list)

    @property
    def protected(self) -> bool:
        return self.name in PROTECTED


def resolve_root(data_dir: str | os.PathLike | None) -> Path:
    """The folder holding the sets: ``data_dir`` (or ``$CLASSIT_DATA_DIR``), its ``full_eval/`` if it has one."""
    data_dir = data_dir or os.environ.get(DATA_DIR_ENV)
    if not data_dir:
        raise DataError("--data_dir", f"no evaluation-data folder given (pass --data_dir or set {DATA_DIR_ENV})")
    root = Path(data_dir).expanduser()
    if not root.is_dir():
        raise DataError(str(root), "evaluation-data folder not found")
    for candidate in (root / "full_eval", root / "evaluation_data" / "full_eval"):
        if candidate.is_dir():
            return candidate
    return root


def _jsonl_rows(name: str, text: str) -> Iterator[tuple[int, dict]]:
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            raise DataError(f"{name}:{lineno}", "not valid JSON") from None
        if not isinstance(row, dict):
            raise DataError(f"{name}:{lineno}", "expected a JSON object")
        yield lineno, row


def _field(row: dict, key: str, where: str) -> str:
    value = row.get(key)
    if not isinstance(value, str):
        raise DataError(where, f"field {key!r} is missing or not a string")
    return value


def _folder_or_zip(root: Path, name: str) -> Iterator[tuple[str, str]]:
    """``(file name, text)`` of every ``*.jsonl`` of set folder ``name`` or of ``name.zip`` (read in memory)."""
    folder = root / name
    if folder.is_dir():
        for path in sorted(folder.glob("*.jsonl")):
            yield str(path), path.read_text(encoding="utf-8")
        return
    archive = root / f"{name}.zip"
    if not archive.is_file():
        return
    password = os.environ.get(ZIP_PASSWORD_ENV, DEFAULT_ZIP_PASSWORD).encode()
    try:
        with zipfile.ZipFile(archive) as zf:
            for member in sorted(zf.infolist(), key=lambda m: m.filename):
                if member.is_dir() or not member.filename.endswith(".jsonl"):
                    continue
                try:
                    data = zf.read(member, pwd=password if member.flag_bits & 0x1 else None)
                except (RuntimeError, zipfile.BadZipFile, zlib.error):
                    raise DataError(str(archive), f"cannot read member {member.filename!r} (wrong password? set "
                                                  f"{ZIP_PASSWORD_ENV})") from None
                yield f"{archive}:{member.filename}", data.decode("utf-8")
    except zipfile.BadZipFile as err:
        raise DataError(str(archive), f"not a valid zip file ({err})") from None


def _pairs(root: Path, folder: str) -> tuple[list[list[str]], list[str]]:
    items, files = [], []
    for name, text in _folder_or_zip(root, folder):
        files.append(name)
        for lineno, row in _jsonl_rows(name, text):
            where = f"{name}:{lineno}"
            items.append([_field(row, "sentence_good", where), _field(row, "sentence_bad", where)])
    return items, files


def _ewok(root: Path) -> tuple[list[list[str]], list[str]]:
    items, files = [], []
    for name, text in _folder_or_zip(root, "ewok_filtered"):
        files.append(name)
        for lineno, row in _jsonl_rows(name, text):
            items.append([_field(row, k, f"{name}:{lineno}") for k in ("Context1", "Context2", "Target1", "Target2")])
    return items, files


def _entity_tracking(root: Path) -> tuple[list[list[str]], list[str]]:
    items, files = [], []
    for name, text in _folder_or_zip(root, "entity_tracking"):
        files.append(name)
        for lineno, row in _jsonl_rows(name, text):
            where = f"{name}:{lineno}"
            options = row.get("options")
            if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
                raise DataError(where, "field 'options' is missing or not a list of strings")
            items.append([_field(row, "input_prefix", where)] + [_field(row, "input_prefix", where) + o for o in options])
    return items, files


def _wug(root: Path, folder: str) -> tuple[list[list[str]], list[str]]:
    items, files = [], []
    for name, text in _folder_or_zip(root, folder):
        files.append(name)
        for lineno, row in _jsonl_rows(name, text):
            items.append(_field(row, "sentences", f"{name}:{lineno}").split("\t"))
    return items, files


def _reading(root: Path) -> tuple[list[list[str]], list[str]]:
    path = root / "reading" / "reading_data.csv"
    if not path.is_file():
        return [], []
    sentences: dict[str, None] = {}
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if "sentence" not in (reader.fieldnames or []):
            raise DataError(str(path), "column 'sentence' is missing")
        for row in reader:
            sentences.setdefault(row["sentence"] or "", None)
    return [[s] for s in sentences if s], [str(path)]


def _comps(root: Path) -> tuple[list[list[str]], list[str]]:
    items, files = [], []
    for name, text in _folder_or_zip(root, "comps"):
        files.append(name)
        for lineno, row in _jsonl_rows(name, text):
            where = f"{name}:{lineno}"
            phrase = _field(row, "property_phrase", where)
            items.append([f"{_field(row, 'prefix_acceptable', where)} {phrase}",
                          f"{_field(row, 'prefix_unacceptable', where)} {phrase}"])
    return items, files


def _glue(root: Path) -> list[EvalSet]:
    sets = []
    for path in sorted((root / "glue_filtered").glob("*.valid.jsonl")):
        task = path.name.removesuffix(".valid.jsonl")
        items = [[v for v in row.values() if isinstance(v, str)]
                 for _, row in _jsonl_rows(str(path), path.read_text(encoding="utf-8"))]
        sets.append(EvalSet(f"glue_{task}", items, [str(path)]))
    return sets


def load_eval_sets(data_dir: str | os.PathLike | None) -> list[EvalSet]:
    """Every evaluation set found under ``data_dir`` (the optional ones only when present)."""
    root = resolve_root(data_dir)
    sets = []
    for name, (items, files) in [
        ("blimp", _pairs(root, "blimp_filtered")), ("supplement", _pairs(root, "supplement_filtered")),
        ("ewok", _ewok(root)), ("entity_tracking", _entity_tracking(root)),
        ("wug_adj_nominalization", _wug(root, "wug_adj_nominalization")),
        ("wug_past_tense", _wug(root, "wug_past_tense")), ("reading", _reading(root)), ("comps", _comps(root)),
    ]:
        if items:
            sets.append(EvalSet(name, items, files))
    sets += [s for s in _glue(root) if s.items]
    if not sets:
        raise DataError(str(root), "no evaluation set found (expected BabyLM's full_eval layout: blimp_filtered/, ...)")
    return sets


__all__ = ["EvalSet", "PROTECTED", "load_eval_sets", "resolve_root"]
