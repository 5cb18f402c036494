"""Checks of a local checkpoint folder before a model is built from it (one-line errors, no traceback).

transformers reports a missing or truncated weights file, an invalid ``config.json`` or a checkpoint that needs its
own Python code as exceptions deep in ``from_pretrained``; these checks name the file and what to do instead.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

from classit_tasks.artifacts.json_files import read_json
from classit_tasks.errors import ClassitError

WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json",
                "pytorch_model.bin.index.json")


class CheckpointError(ClassitError, ValueError):
    """A local checkpoint that cannot be loaded (one-line message naming the file)."""


def _json(path: Path) -> dict:
    return read_json(path, CheckpointError)


def check_safetensors(path: Path) -> None:
    """The header parses and the file holds every byte the header promises (a truncated copy fails here)."""
    size = path.stat().st_size
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
            if len(head) < 8:
                raise CheckpointError(f"{path}: truncated weights file ({size} bytes)")
            (length,) = struct.unpack("<Q", head)
            if length > size - 8:
                raise CheckpointError(f"{path}: truncated weights file (header of {length} bytes, file {size})")
            header = json.loads(handle.read(length))
    except (ValueError, UnicodeDecodeError) as err:
        if isinstance(err, CheckpointError):
            raise
        raise CheckpointError(f"{path}: not a safetensors file (unreadable header)") from None
    ends = [v["data_offsets"][1] for k, v in header.items() if k != "__metadata__" and isinstance(v, dict)
            and isinstance(v.get("data_offsets"), list) and len(v["data_offsets"]) == 2]
    needed = 8 + length + (max(ends) if ends else 0)
    if size < needed:
        raise CheckpointError(f"{path}: truncated weights file ({size:,} of {needed:,} bytes); copy it again")


def check_checkpoint_files(folder: Path, trust_remote_code: bool = False) -> None:
    """config.json valid, weights present and whole, no custom code unless trusted."""
    config = _json(folder / "config.json")
    if config.get("auto_map") and not trust_remote_code:
        raise CheckpointError(
            f"{folder / 'config.json'}: the checkpoint needs its own Python code (auto_map); classit does not run "
            "it unless you pass trust_remote_code=True in --model_args (only for code you trust)")
    present = [name for name in WEIGHT_FILES if (folder / name).is_file()]
    if not present and not any(folder.glob("*.safetensors")):
        raise CheckpointError(f"{folder}: no weights (none of {', '.join(WEIGHT_FILES)})")
    shards = []
    for index in ("model.safetensors.index.json", "pytorch_model.bin.index.json"):
        if (folder / index).is_file():
            weight_map = _json(folder / index).get("weight_map") or {}
            shards += sorted({str(v) for v in weight_map.values()})
    for name in shards:
        if not (folder / name).is_file():
            raise CheckpointError(f"{folder / name}: weights shard listed in the index is missing")
    for path in sorted(folder.glob("*.safetensors")):
        check_safetensors(path)
