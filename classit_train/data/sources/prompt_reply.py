"""Any prompt/reply dataset: JSONL files, a local dataset folder, or a Hugging Face hub dataset by name.

The CLASS-IT data is ``colinglab/CLASS_IT`` (fields ``prompt``, ``reply``, ``source``, ``text``; configs
``simple_wiki`` and ``switchboard``): ``{type: prompt_reply, dataset: colinglab/CLASS_IT, dataset_config: switchboard}``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Literal

from ...errors import DataError
from ...files import read_lines
from ..records import Record

logger = logging.getLogger(__name__)


@dataclass
class PromptReplyOptions:
    paths: list[str] = field(default_factory=list)
    dataset: str | None = None
    dataset_config: str | None = None
    split: str = "train"
    prompt_field: str = "prompt"
    reply_field: str = "reply"
    max_records: int | None = None
    on_error: Literal["raise", "skip"] = "raise"
    resolved_paths: list[Path] = field(default_factory=list, repr=False)


def load_hf_dataset(name: str, config: str | None, split: str):
    """Load a dataset by hub name, local dataset-repo folder, or ``save_to_disk`` folder; one-line error on failure."""
    import datasets

    where = f"dataset {name!r}" + (f" config {config!r}" if config else "") + f" split {split!r}"
    path = Path(name).expanduser()
    try:
        if path.is_dir() and any((path / f).exists() for f in ("dataset_info.json", "state.json", "dataset_dict.json")):
            loaded = datasets.load_from_disk(str(path))
            if isinstance(loaded, datasets.DatasetDict):
                key = config if config in loaded else split
                if key not in loaded:
                    raise KeyError(f"no split/config {key!r} (have {sorted(loaded)})")
                loaded = loaded[key]
            return loaded
        return datasets.load_dataset(name, config, split=split)
    except Exception as exc:  # noqa: BLE001 -- any loader failure becomes one actionable line
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        hint = (" (the Hugging Face hub is unreachable or offline: download the dataset and point `dataset:` at the "
                "local folder, or unset HF_HUB_OFFLINE/HF_DATASETS_OFFLINE)")
        raise DataError(where, f"could not be loaded: {type(exc).__name__}: {reason[:200]}{hint}") from None


def _record(row: Any, where: str, opts: PromptReplyOptions, name: str) -> Record:
    if not isinstance(row, dict):
        raise DataError(where, "expected a JSON object")
    for key in (opts.prompt_field, opts.reply_field):
        if key not in row:
            raise DataError(where, f"missing field {key!r}")
        if not isinstance(row[key], str):
            raise DataError(where, f"field {key!r} must be a string, got {type(row[key]).__name__}")
    if not row[opts.reply_field].strip():
        raise DataError(where, f"field {opts.reply_field!r} is empty")
    return Record(prompt=row[opts.prompt_field].strip(), reply=row[opts.reply_field].strip(),
                  source=str(row.get("source") or name), origin=where)


def _rows(opts: PromptReplyOptions) -> Iterator[tuple[str, Any]]:
    if opts.dataset:
        ds = load_hf_dataset(opts.dataset, opts.dataset_config, opts.split)
        label = opts.dataset + (f"[{opts.dataset_config}]" if opts.dataset_config else "")
        for i, row in enumerate(ds):
            yield f"{label} row {i}", row
        return
    for path in opts.resolved_paths:
        for lineno, line in read_lines(path):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                yield where, json.loads(line)
            except json.JSONDecodeError as exc:
                yield where, DataError(where, f"invalid JSON ({exc.msg} at column {exc.colno})")


def iter_prompt_reply(opts: PromptReplyOptions, name: str = "prompt_reply") -> Iterator[Record]:
    count = 0
    for where, row in _rows(opts):
        try:
            if isinstance(row, DataError):
                raise row
            record = _record(row, where, opts, name)
        except DataError as err:
            if opts.on_error == "raise":
                raise
            logger.warning("skipping bad record: %s", err)
            continue
        yield record
        count += 1
        if opts.max_records is not None and count >= opts.max_records:
            return
