"""``custom_dataset`` loaders and document functions referenced by the task YAMLs.

lm-eval calls a loader as ``custom_dataset(**metadata, **dataset_kwargs)``: the metadata holds the model args,
``--metadata`` JSON (``data_dir``, ``check_counts``) and the YAML's own metadata, so every loader takes ``**_``.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Mapping

from classit_tasks.tasks.data import ClassitDataError, check_count, find_dataset, read_jsonl
from classit_tasks.tasks import blimp, supplement
from classit_tasks.tasks.hf_rule import warn_if_hf_differs

MINIMAL_PAIR_FIELDS = {"sentence_good": str, "sentence_bad": str}
BLIMP_FIELDS = {**MINIMAL_PAIR_FIELDS, "field": str, "linguistics_term": str, "UID": str}
# data folder -> {file stem: official items} of the minimal-pair families (BLiMP and the supplement)
MINIMAL_PAIR_COUNTS = {**blimp.EXPECTED_COUNTS, **supplement.EXPECTED_COUNTS}


class Docs(list):
    """The documents of one split, as a plain list of dicts.

    lm-eval walks a task's documents three times (requests, results, samples); a ``datasets.Dataset`` decodes
    Arrow on every row access, ~15 s over full BLiMP, a list costs nothing. ``features`` (the field names) is
    the one ``Dataset`` attribute lm-eval reads.
    """

    @cached_property
    def features(self) -> dict[str, None]:
        names: dict[str, None] = {}
        for doc in self:
            names.update(dict.fromkeys(doc))
        return names


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in {"0", "false", "no", "off"}
    return bool(value)


def load_records(
    dataset: str, subset: str, required: dict, data_dir=None, check_counts=True, expected_counts: Mapping | None = None
) -> list[dict]:
    """Validated records of ``<dataset>/<subset>.jsonl`` from the evaluation-data folder; with ``check_counts`` its
    length must be the family's official count (``expected_counts``: data folder -> {file stem: items})."""
    path = find_dataset(dataset, data_dir) / f"{subset}.jsonl"
    records = read_jsonl(path, required)
    for lineno, record in enumerate(records, start=1):
        for field in required:
            if required[field] is str and not record[field].strip():
                raise ClassitDataError(f"{path}:{lineno}: field '{field}' is empty")
    if _flag(check_counts):
        check_count(path, records, (expected_counts or {}).get(dataset, {}).get(subset))
    return records


def load_minimal_pairs(dataset: str, subset: str, data_dir=None, check_counts=True, **_) -> dict:
    """BLiMP-style minimal pairs (``sentence_good`` / ``sentence_bad``) as a ``test`` split."""
    warn_if_hf_differs(f"{dataset}/{subset}", has_context=False, metadata=_)
    required = BLIMP_FIELDS if dataset.startswith("blimp") else MINIMAL_PAIR_FIELDS
    records = load_records(dataset, subset, required, data_dir, check_counts, MINIMAL_PAIR_COUNTS)
    return {"test": Docs(records)}


def minimal_pair_choices(doc: dict) -> list[str]:
    """Option 0 is the grammatical sentence; both are scored whole, with no leading space (BabyLM 2025)."""
    return [doc["sentence_good"], doc["sentence_bad"]]


def empty_context(doc: dict) -> str:
    """No context: the options are scored whole. (A function, not the YAML string "", which lm-eval would
    compile as a Jinja template once per document.)"""
    return ""
