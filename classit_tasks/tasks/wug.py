"""WUG tests: adjective nominalization (Hofmann et al., 2024) and past tense (Weissweiler et al., 2023).

Line format (both files): ``{"sentences": "<option 0>\\t<option 1>[\\t...]", "ratio": <human share choosing
option 0>}``. Per item, each option is a full sentence scored by the shared 2025 rule (summed log-prob, no
leading space, token 0 never scored); p0 = softmax over the options' scores, entry 0. The task score is
Spearman's rho between p0 and ``ratio`` over the whole file (``compute_results.py::rank_and_evaluate_wug`` of
babylm/evaluation-pipeline-2025, fixed 2025-08-10 to use all items rather than the last batch). The metric is the
raw rho; the leaderboard reports rho x 100.

The past-tense file is a hidden BabyLM task that is often missing from a data folder. A dataset marked
``optional`` is then not evaluated: the split holds one placeholder document (lm-eval cannot build a task with no
documents), ``spearman`` is NaN, the ``status`` metric says why, and a warning is logged.
"""

from __future__ import annotations

import logging
import math
from typing import Sequence

from classit_tasks import nonfinite
from classit_tasks.tasks.data import ClassitDataError, check_count, find_dataset, read_jsonl, resolve_data_dir
from classit_tasks.tasks.loaders import Docs, _flag
from classit_tasks.tasks.family import Family, LeaderboardTask
from classit_tasks.tasks.hf_rule import warn_if_hf_differs
from classit_tasks.tasks.text_files import open_utf8

log = logging.getLogger(__name__)

# task -> (item count of the official 2025 release (collate_preds.py WUG_SIZE, WUG_PAST_TENSE_SIZE), optional (the
# hidden past-tense file is distributed separately: absent = not evaluated), YAML comment). Data folder and file
# stem are the task name.
TASKS = {
    "wug_adj_nominalization": (
        200, False, "WUG adjective nominalization (Hofmann et al., 2024): 200 nonce adjectives, -ity (option 0) vs -ness."),
    "wug_past_tense": (
        50, True, "WUG past tense (Weissweiler et al., 2023): 50 nonce verbs, a hidden BabyLM 2025 task distributed "
        "separately."),
}
EXPECTED_COUNTS = {name: {name: count} for name, (count, _, _) in TASKS.items()}
GROUP = "classit_wug"
CHANCE = 0.5  # accuracy of two options (WUG reports Spearman's rho, whose chance level is 0)


def leaf(name: str) -> str:
    return f"classit_{name}"


FAMILY = Family(
    name="wug",
    leaves=tuple(leaf(n) for n in TASKS),
    metrics=("spearman", "status"),
    chance=CHANCE,
    expected_counts=EXPECTED_COUNTS,
    ability="WUG",
    leaderboard={
        "wug_adj": LeaderboardTask("WUG adjective nominalization", "human", (leaf("wug_adj_nominalization"),),
                                   "spearman", prediction="continuation_prob"),
        "wug_past": LeaderboardTask("WUG past tense", "human", (leaf("wug_past_tense"),), "spearman",
                                    prediction="continuation_prob"),
    },
)
WUG_FIELDS = {"sentences": str, "ratio": (int, float, str)}
PLACEHOLDER = "(not evaluated)"


def parse_ratio(value, where: str) -> float:
    """``ratio`` as a float in [0, 1]; the 2025 code applies float(), so numeric strings are accepted."""
    try:
        ratio = float(value)
    except (TypeError, ValueError):
        raise ClassitDataError(f"{where}: field 'ratio' must be a number, got {str(value)[:40]!r}") from None
    if not math.isfinite(ratio) or not 0.0 <= ratio <= 1.0:
        raise ClassitDataError(f"{where}: field 'ratio' must be a proportion in [0, 1], got {value!r}")
    return ratio


def read_wug(path) -> list[dict]:
    """Validated items of a WUG file: ``options`` (>= 2 non-empty sentences) and ``ratio``."""
    records = read_jsonl(path, WUG_FIELDS)
    with open_utf8(path) as handle:  # line numbers of the non-blank lines, as read_jsonl counts
        linenos = [n for n, line in enumerate(handle, start=1) if line.strip()]
    items = []
    for lineno, record in zip(linenos, records):
        where = f"{path}:{lineno}"
        options = record["sentences"].split("\t")
        if len(options) < 2:
            raise ClassitDataError(f"{where}: field 'sentences' must hold at least 2 tab-separated options, got 1")
        if not all(o.strip() for o in options):
            raise ClassitDataError(f"{where}: field 'sentences' has an empty option")
        items.append({"options": options, "ratio": parse_ratio(record["ratio"], where), "not_evaluated": ""})
    return items


def load_wug(dataset: str, subset: str, data_dir=None, check_counts=True, optional=False, **_) -> dict:
    """``<dataset>/<subset>.jsonl`` as a ``test`` split; if ``optional`` and absent, one placeholder document."""
    warn_if_hf_differs(f"{dataset}/{subset}", has_context=False, metadata=_)
    root = resolve_data_dir(data_dir)  # a missing data folder is always an error
    try:
        path = find_dataset(dataset, data_dir) / f"{subset}.jsonl"
        present = path.is_file()
    except ClassitDataError:
        present = False
    if not present:
        reason = f"{dataset}/{subset}.jsonl not in the evaluation data"
        if not _flag(optional):
            raise ClassitDataError(f"{root}: {reason}")
        log.warning(
            "classit: %s is NOT evaluated: %s (%s; BabyLM distributes this file separately, on OSF)",
            subset, reason, root,
        )
        placeholder = {"options": [PLACEHOLDER, PLACEHOLDER], "ratio": float("nan"), "not_evaluated": reason}
        return {"test": Docs([placeholder])}
    items = read_wug(path)
    if _flag(check_counts):
        check_count(path, items, EXPECTED_COUNTS.get(dataset, {}).get(subset))
    return {"test": Docs(items)}


def options(doc: dict) -> list[str]:
    return list(doc["options"])


def option0_probability(logliks: Sequence[float]) -> float:
    """p0 = softmax(scores)[0], in float32 like the 2025 code (torch.softmax over the stacked float32 sums)."""
    import torch  # here, not at the top: the family's facts are read without torch (data check, reports)

    return float(torch.softmax(torch.tensor(list(logliks), dtype=torch.float32), dim=0)[0])


def process_wug(doc: dict, results: Sequence[tuple[float, bool]]) -> dict:
    if doc.get("not_evaluated"):
        return {"spearman": None, "status": doc["not_evaluated"]}
    if not nonfinite.is_finite([ll for ll, _ in results]):  # never let a NaN reach Spearman's rho
        nonfinite.flag(f"item {nonfinite.describe(doc)}", [ll for ll, _ in results])
        return {"spearman": None, "status": "non-finite log-likelihoods (--allow_nan)"}
    return {"spearman": (option0_probability([ll for ll, _ in results]), float(doc["ratio"])), "status": ""}


def spearman(items: Sequence[tuple[float, float] | None]) -> float:
    """Aggregation: Spearman's rho of (p0, ratio) over all items of the task; NaN if the task was not evaluated."""
    pairs = [item for item in items if item is not None]
    if not pairs or len(pairs) != len(items):
        return float("nan")
    from scipy.stats import spearmanr

    p0, ratio = zip(*pairs)
    return float(spearmanr(p0, ratio)[0])


def status(items: Sequence[str]) -> str:
    """Aggregation: "evaluated (N items)" or "not evaluated: <reason>" (shown in the results and the table)."""
    reasons = sorted({item for item in items if item})
    if reasons:
        return "not evaluated: " + "; ".join(reasons)
    return f"evaluated ({len(items)} items)"
