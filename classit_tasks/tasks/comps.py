"""COMPS (Misra, Rayz & Ettinger, EACL 2023), as the BabyLM 2025 pipeline scores it.

COMPS ("Conceptual Minimal Pair Sentences") tests property knowledge and its inheritance: each line pairs a
concept that has a property with one that does not, e.g. a prefix naming the acceptable concept and one naming
the unacceptable concept, followed by the same property phrase. Fields used: ``prefix_acceptable``,
``prefix_unacceptable``, ``property_phrase``.

2025 rule (``read_files.py::decode_comps`` of babylm/evaluation-pipeline-2025): the sentences are
``prefix_acceptable + " " + property_phrase`` and ``prefix_unacceptable + " " + property_phrase``, the scored
completion is the property phrase (both options score the same words, under different prefixes), summed natural-log
probabilities, option 0 correct, ties correct. In lm-eval terms this is the "multiple input" mode: one context per
option (the prefix plus its trailing space), one shared continuation (the property phrase), ``target_delimiter
""``. classit-hf then tokenizes ``prefix + " " + property_phrase`` once and scores every token whose span ends after
the phrase's first character, exactly the 2025 completion mask.

Files (``full_eval/comps/``) and subtask names, as the 2025 reader maps file stems (every other stem would become
``wugs_dist_in_between`` there; classit reads the four files by name and refuses any other ``.jsonl`` in the folder):
``comps_base`` -> base (49,340 lines), ``comps_wugs`` -> wugs, ``comps_wugs_dist-before`` -> wugs_dist_before,
``comps_wugs_dist-in-between`` -> wugs_dist_in_between (13,896 lines each; ``collate_preds.py::COMPS_SIZES``).
Score: unweighted mean of the four file accuracies (``calculate_results_from_pred.py::_calculate_comps_results``).
There is no fast set.

The COMPS files are distributed with the BabyLM evaluation data (OSF) and are often missing from a data folder. A
data folder without a ``comps/`` folder leaves COMPS *not evaluated* when the task is marked ``optional`` (as in
``classit_zero_shot``): one placeholder document, ``acc`` NaN, ``status`` says why. A ``comps/`` folder that lacks one
of the four files, or holds a file with another line count, is an error.
"""

from __future__ import annotations

import logging
from typing import Sequence

from classit_tasks.tasks.data import ClassitDataError, find_dataset, resolve_data_dir
from classit_tasks.tasks.loaders import Docs, _flag, load_records
from classit_tasks.tasks.ranking import rank_item
from classit_tasks.tasks.family import Family, LeaderboardTask

log = logging.getLogger(__name__)

DATASET = "comps"
# file stem -> subtask name (the UID of the 2025 predictions)
SUBTASKS = {
    "comps_base": "base",
    "comps_wugs": "wugs",
    "comps_wugs_dist-before": "wugs_dist_before",
    "comps_wugs_dist-in-between": "wugs_dist_in_between",
}
# Item counts of the official 2025 release per file (collate_preds.py COMPS_SIZES, keyed there by subtask);
# 49,340 + 3 x 13,896 = 91,028 pairs. No fast set.
COUNTS = {"comps_base": 49340, "comps_wugs": 13896, "comps_wugs_dist-before": 13896, "comps_wugs_dist-in-between": 13896}
EXPECTED_COUNTS = {DATASET: COUNTS}
GROUP = "classit_comps"
CHANCE = 0.5


def leaf(subtask: str) -> str:
    return f"{GROUP}_{subtask}"


FAMILY = Family(
    name="comps",
    leaves=tuple(leaf(s) for s in SUBTASKS.values()),
    metrics=("acc", "acc_ties_half", "ties", "status"),
    chance=CHANCE,
    expected_counts=EXPECTED_COUNTS,
    ability="",  # the report's ability breakdown lists COMPS under "Other" (as before the family registry)
    leaderboard={"comps": LeaderboardTask("COMPS", "nlp", (GROUP,), "acc", prediction="sentence")},
    raw_metrics=("ties",),
)

assert sum(COUNTS.values()) == 91_028 and set(COUNTS) == set(SUBTASKS)
COMPS_FIELDS = {"prefix_acceptable": str, "prefix_unacceptable": str, "property_phrase": str}
PLACEHOLDER = "(not evaluated)"


def _placeholder(reason: str) -> dict:
    return {"prefix_acceptable": PLACEHOLDER, "prefix_unacceptable": PLACEHOLDER, "property_phrase": PLACEHOLDER,
            "not_evaluated": reason}


def load_comps(subset: str, dataset: str = DATASET, data_dir=None, check_counts=True, optional=False, **_) -> dict:
    """``comps/<subset>.jsonl`` as a ``test`` split (validated, official line count checked)."""
    if subset not in SUBTASKS:
        raise ClassitDataError(f"comps: unknown file '{subset}' (expected one of {', '.join(SUBTASKS)})")
    root = resolve_data_dir(data_dir)  # a missing data folder is always an error
    try:
        folder = find_dataset(dataset, data_dir)
    except ClassitDataError:
        if not _flag(optional):
            raise
        reason = f"{dataset}/ not in the evaluation data"
        log.warning("classit: COMPS is NOT evaluated: %s (%s; see task_yamls/comps/README.md for the files)",
                    reason, root)
        return {"test": Docs([_placeholder(reason)])}
    path = folder / f"{subset}.jsonl"
    if not path.is_file():
        raise ClassitDataError(f"{path}: file not found (COMPS needs all of {', '.join(s + '.jsonl' for s in SUBTASKS)})")
    if _flag(check_counts):
        stray = sorted(p.name for p in folder.glob("*.jsonl") if p.stem not in SUBTASKS)
        if stray:
            raise ClassitDataError(
                f"{folder / stray[0]}: not a COMPS file (the 2025 pipeline would score it as wugs_dist_in_between; "
                "move it out of the folder or pass check_counts=false in --metadata)"
            )
    records = load_records(dataset, subset, COMPS_FIELDS, data_dir, check_counts, EXPECTED_COUNTS)
    keep = list(COMPS_FIELDS)
    return {"test": Docs([{**{k: r[k] for k in keep}, "not_evaluated": ""} for r in records])}


def sentences(doc: dict) -> list[str]:
    """The two full sentences of the 2025 reader (acceptable first): the strings its predictions hold."""
    return [f"{doc['prefix_acceptable']} {doc['property_phrase']}", f"{doc['prefix_unacceptable']} {doc['property_phrase']}"]


# --- lm-eval "multiple input" mode: doc_to_text returns the gold option's index, the options are contexts -------
def gold_index(doc: dict) -> int:
    return 0


def prefixes(doc: dict) -> list[str]:
    """One context per option: the prefix and the space that joins it to the property phrase."""
    return [doc["prefix_acceptable"] + " ", doc["prefix_unacceptable"] + " "]


def property_phrase(doc: dict) -> str:
    return doc["property_phrase"]


def process_comps(doc: dict, results: Sequence[tuple[float, bool]]) -> dict:
    """2025 ranking metrics (ties correct), the tie-aware variant, ties; None everywhere if not evaluated."""
    if doc.get("not_evaluated"):
        return {"acc": None, "acc_ties_half": None, "ties": None, "status": doc["not_evaluated"]}
    return {**rank_item([ll for ll, _ in results]), "status": ""}


def count_present(values: Sequence[float | None]) -> int:
    """Aggregation: number of flagged documents (0 if the task was not evaluated; ``status`` says so)."""
    return int(sum(v for v in values if v is not None))


def expected_total() -> int:
    return sum(COUNTS.values())
