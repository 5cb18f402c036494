"""Entity tracking (Kim & Schuster, 2023), BabyLM 2025 multiple-choice version.

Each line: ``input_prefix`` (box contents, operations, then "Box k contains " with a trailing space), ``options``
(5 continuations, the correct one first) and ``numops`` (0-5). Sentence = input_prefix + option; the scored
completion is the option (``read_files.py::decode_entity_tracking`` of babylm/evaluation-pipeline-2025). In lm-eval
terms: context = input_prefix (trailing space kept), continuation = option, target_delimiter "". With classit-hf
the full string is tokenized once and every token whose span ends after the option's first character is scored,
so a token that covers the trailing space and the option's first word (GPT-2 "Ġthe") is scored, as in 2025.

Subtask = ``<file>_<numops>_ops`` (18); score = mean over numops within each file, then over the 3 files, which
equals the flat mean over the 18 subtasks because every file has the 6 numops values (lm-eval's group mean).

Prompts reach ~217 words. classit-hf refuses a sequence longer than the model's context window; stock
``--model hf`` would silently drop tokens from the left of the prompt (docs in task_yamls/entity_tracking/README.md).
"""

from __future__ import annotations

import functools
import logging
import re
from pathlib import Path
from typing import Mapping

from classit_tasks.tasks.data import ClassitDataError, check_count, find_dataset, read_jsonl, resolve_data_dir
from classit_tasks.tasks.loaders import Docs, _flag
from classit_tasks.tasks.family import Family, LeaderboardTask
from classit_tasks.tasks.hf_rule import warn_if_hf_differs
from classit_tasks.tasks.text_files import open_utf8

log = logging.getLogger(__name__)

FILES = ("regular", "ambiref", "move_contents")
NUMOPS = tuple(range(6))
# Item counts of the official 2025 release per file (collate_preds.py ENTITY_TRACKING_SIZES) and per numops 0..5
# (counted on the release files).
COUNTS = {"regular": 3152, "ambiref": 3224, "move_contents": 3107}
COUNTS_BY_NUMOPS = {
    "regular": {0: 606, 1: 607, 2: 606, 3: 606, 4: 568, 5: 159},
    "ambiref": {0: 607, 1: 607, 2: 604, 3: 604, 4: 615, 5: 187},
    "move_contents": {0: 605, 1: 606, 2: 605, 3: 606, 4: 529, 5: 156},
}
EXPECTED_COUNTS = {
    "entity_tracking": COUNTS,
    # The BabyLM fast set (fast_eval/entity_tracking_fast/) holds regular.jsonl only, byte-identical to the full file.
    "entity_tracking_fast": {"regular": COUNTS["regular"]},
}
GROUP = "classit_entity_tracking"
FAST_GROUP = "classit_entity_tracking_fast"
# group -> (data folder, fallback folder when absent (the fast file is the full one), files)
VARIANTS = {
    GROUP: ("entity_tracking", None, FILES),
    FAST_GROUP: ("entity_tracking_fast", "entity_tracking", ("regular",)),
}
N_OPTIONS = 5
CHANCE = 1 / N_OPTIONS


def leaf(file: str, numops: int, group: str = GROUP) -> str:
    return f"{group}_{file}_{numops}_ops"


ABILITY = "Entity tracking operations"


def ability_rows(task: str, meta: Mapping, alias: str) -> list[tuple[str, str]]:
    """A leaf task counts in the row of its number of operations ("3 ops"; the task name if it has none)."""
    match = re.search(r"_(\d+)_ops$", task)
    return [(ABILITY, f"{match.group(1)} ops" if match else task)]


FAMILY = Family(
    name="entity_tracking",
    leaves=tuple(leaf(f, n, g) for g, (_, _, files) in VARIANTS.items() for f in files for n in NUMOPS),
    metrics=("acc", "acc_ties_half", "ties"),
    chance=CHANCE,
    expected_counts=EXPECTED_COUNTS,
    ability=ABILITY,
    ability_rule=ability_rows,
    margin_abilities=(ABILITY,),
    leaderboard={"entity_tracking": LeaderboardTask("Entity tracking", "nlp", (GROUP, FAST_GROUP), "acc")},
    raw_metrics=("ties",),
)

assert all(sum(by_ops.values()) == COUNTS[name] for name, by_ops in COUNTS_BY_NUMOPS.items())
ENTITY_TRACKING_FIELDS = {"input_prefix": str, "options": list, "numops": int}


def locate(dataset: str, fallback: str | None, data_dir=None) -> tuple[str, Path]:
    """(dataset name actually used, its folder); ``fallback`` is used when ``dataset`` is not in the data."""
    resolve_data_dir(data_dir)  # a missing data folder is always an error
    try:
        return dataset, find_dataset(dataset, data_dir)
    except ClassitDataError:
        if not fallback:
            raise
    folder = find_dataset(fallback, data_dir)
    log.info("classit: %s not in the evaluation data; using %s (the BabyLM fast file is identical)", dataset, fallback)
    return fallback, folder


@functools.lru_cache(maxsize=16)
def _read_file(path: str, mtime_ns: int, size: int) -> tuple[dict, ...]:
    records = read_jsonl(path, ENTITY_TRACKING_FIELDS)
    with open_utf8(path) as handle:  # line numbers of the non-blank lines, as read_jsonl counts
        linenos = [n for n, line in enumerate(handle, start=1) if line.strip()]
    for lineno, record in zip(linenos, records):
        where = f"{path}:{lineno}"
        if not record["input_prefix"].strip():
            raise ClassitDataError(f"{where}: field 'input_prefix' is empty")
        options = record["options"]
        if len(options) < 2:
            raise ClassitDataError(f"{where}: field 'options' must list at least 2 options, got {len(options)}")
        if not all(isinstance(o, str) and o for o in options):
            raise ClassitDataError(f"{where}: field 'options' must hold non-empty strings")
    return tuple(records)


def read_file(path: Path) -> tuple[dict, ...]:
    stat = path.stat() if path.is_file() else None
    if stat is None:
        raise ClassitDataError(f"{path}: file not found")
    return _read_file(str(path), stat.st_mtime_ns, stat.st_size)


def load_entity_tracking(
    dataset: str, subset: str, numops: int, data_dir=None, check_counts=True, fallback: str | None = None, **_
) -> dict:
    """Items of ``<dataset>/<subset>.jsonl`` with ``numops`` operations, as a ``test`` split."""
    warn_if_hf_differs(dataset, has_context=True, metadata=_)
    used, folder = locate(dataset, fallback, data_dir)
    path = folder / f"{subset}.jsonl"
    records = read_file(path)
    selected = [
        {"input_prefix": r["input_prefix"], "options": list(r["options"]), "numops": r["numops"]}
        for r in records
        if r["numops"] == int(numops)
    ]
    if _flag(check_counts):
        check_count(path, records, EXPECTED_COUNTS.get(used, {}).get(subset))
        expected = COUNTS_BY_NUMOPS.get(subset, {}).get(int(numops))
        if expected is not None and len(selected) != expected:
            raise ClassitDataError(
                f"{path}: {len(selected)} items with numops={numops}, the official release has {expected} "
                f"(pass check_counts=false in --metadata to evaluate a modified file)"
            )
    if not selected:
        raise ClassitDataError(f"{path}: no item with numops={numops}")
    return {"test": Docs(selected)}


def input_prefix(doc: dict) -> str:
    """The context, trailing space included (it is part of the scored first token's span, not dropped)."""
    return doc["input_prefix"]


def options(doc: dict) -> list[str]:
    return list(doc["options"])
