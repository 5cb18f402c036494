"""``--use_cache`` keyed by model identity.

lm-eval's ``CachingLM`` keys its SQLite cache by the request alone (task text and arguments), so a cache written by
one model is silently reused by another at the same ``--use_cache`` path -- ``--model hf`` answers served to
``classit-hf``, or the scores of old weights served after a checkpoint was retrained in place. ``classit-eval``
therefore turns ``--use_cache PATH`` into ``PATH_<digest>`` where the digest covers the model's identity:
the registry name, the model class, the ``pretrained`` (and ``tokenizer``) argument, the checkpoint's identity hash
(``artifacts.checkpoints.model_files_sha256``: weights, config and tokenizer files) when it is a local folder, and
every other model argument except those that only choose the device or the batch size.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from classit_tasks.artifacts.checkpoints import model_files_sha256

# Model args that do not change a score (where the work runs, how it is batched).
NEUTRAL_ARGS = frozenset({"device", "batch_size", "max_batch_size", "parallelize", "device_map"})


def _model_class(model: str) -> str:
    try:
        from classit_tasks.harness import model_class

        cls = model_class(model)
        return f"{cls.__module__}.{cls.__qualname__}"
    except Exception:  # noqa: BLE001 - an unknown name fails later, in lm-eval, with its own message
        return model


def cache_identity(model: str, model_args: dict[str, Any] | str | None) -> dict[str, Any]:
    """What defines the scores a model gives: name, class, arguments, and the checkpoint's content."""
    if isinstance(model_args, str):
        from classit_tasks.harness import parse_args_string

        model_args = parse_args_string(model_args)
    args = {k: str(v) for k, v in sorted((model_args or {}).items()) if k not in NEUTRAL_ARGS}
    identity: dict[str, Any] = {"model": model, "class": _model_class(model), "args": args}
    for key in ("pretrained", "tokenizer", "peft"):
        value = (model_args or {}).get(key)
        if value and Path(str(value)).expanduser().is_dir():
            identity[f"{key}_sha256"] = model_files_sha256(Path(str(value)).expanduser())
    return identity


def identity_digest(identity: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]


def keyed_cache_path(use_cache: str, model: str, model_args) -> str:
    """``use_cache`` with the model-identity digest appended (lm-eval then adds ``_rank<N>.db``)."""
    return f"{use_cache}_{identity_digest(cache_identity(model, model_args))}"
