"""Age of Acquisition (AoA), per-checkpoint part: surprisal of each CDI word in each of its contexts.

BabyLM 2025's AoA task (``evaluation_pipeline/AoA_word/`` of babylm/evaluation-pipeline-2025, after Chang & Bergen
2022, "Word Acquisition in Neural Language Models", TACL 10) is defined over a series of checkpoints: this task
scores ONE checkpoint, the series fit (sigmoid per word, acquisition point, correlation with children) is
``classit_tasks.report.aoa`` over a ``classit-eval sweep`` output.

Data: ``aoa/cdi_childes.json`` of the evaluation release (``full_eval/aoa/``), a JSON object
``{word: [{"context": str, "word_in_context_stats": {...}}, ...]}``: 504 CDI words, 8,005 contexts (sentence-initial
C4 prefixes that the word followed). The official loader (``eval_util.load_eval``) keeps words with more than one
character and at least ``min_context`` contexts (default 0, as in the final 2025 code); words with no contexts
yield no rows. One document per (word, context).

Surprisal, the 2025 causal rule (``evaluation_functions.StepSurprisalExtractor.compute_surprisal_causal``):
``text = context.strip() + " " + word.strip()`` is tokenized once with the tokenizer's default special tokens; the
scored tokens are those whose character span ends after the word starts (``end > len(text) - len(word)``); token 0
is never scored; surprisal = −Σ ln p(token | preceding tokens), in nats. Each document sends the request
(context = ``context.strip() + " "``, continuation = ``word.strip()``), which is classit-hf's default rule
exactly (see task_yamls/aoa/README.md for ``--model hf``). ``process_results`` logs the per-item ``surprisal``,
which the series fit reads from the samples files.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from classit_tasks.tasks.data import ClassitDataError, find_file
from classit_tasks.tasks.loaders import Docs, _flag
from classit_tasks.tasks.family import Family, LeaderboardTask

AOA_FILE = "aoa/cdi_childes.json"
# Official release (collate_preds.py AOA_SIZE): 8,005 (word, context) rows per checkpoint, from the 504 words of
# aoa/cdi_childes.json (19 of them have no context).
AOA_WORDS = 504
AOA_CONTEXTS = 8_005
TASK = "classit_aoa"
LEADERBOARD_KEY = "aoa"  # its leaderboard task, and its part of the submission file
FAMILY = Family(
    name="aoa",
    leaves=(TASK,),
    metrics=("surprisal",),
    chance=None,
    expected_counts={"aoa": {"cdi_childes": AOA_CONTEXTS}},
    ability="",  # not a per-run ability (a fit over a checkpoint series)
    # a fit over a checkpoint series (classit-eval aoa), never a result name of one run
    leaderboard={LEADERBOARD_KEY: LeaderboardTask(
        "AoA", "human", (), "aoa", absent="a fit over a checkpoint series (classit-eval sweep), not part of this run")},
    raw_metrics=("surprisal",),
)


def read_cdi_childes(path: str | Path, min_context: int = 0) -> list[dict]:
    """Validated (word, context) documents of ``cdi_childes.json``, in file order, with the official filter.

    Each document: ``word``, ``context_id`` (index among the word's contexts), ``context`` (as stored).
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ClassitDataError(f"{path}: file not found") from None
    except json.JSONDecodeError as err:
        raise ClassitDataError(f"{path}:{err.lineno}: malformed JSON ({err.msg}, column {err.colno})") from None
    if not isinstance(data, dict):
        raise ClassitDataError(f"{path}: expected a JSON object {{word: [contexts]}}, got {type(data).__name__}")
    docs = []
    for word, entries in data.items():
        where = f"{path}: word {word!r}"
        if not word.strip():
            raise ClassitDataError(f"{path}: an empty word (key \"\")")
        if not isinstance(entries, list):
            raise ClassitDataError(f"{where}: expected a list of contexts, got {type(entries).__name__}")
        # The official filter: words of one character and words with too few contexts are left out.
        if len(word) <= 1 or len(entries) < min_context:
            continue
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict):
                raise ClassitDataError(f"{where}, context {i}: expected a JSON object, got {type(entry).__name__}")
            context = entry.get("context")
            if not isinstance(context, str):
                got = "missing" if "context" not in entry else f"got {json.dumps(context)[:40]}"
                raise ClassitDataError(f"{where}, context {i}: field 'context' must be a string ({got})")
            if not context.strip():
                raise ClassitDataError(f"{where}, context {i}: field 'context' is empty")
            docs.append({"word": word, "context_id": i, "context": context})
    return docs


def load_aoa(data_dir=None, check_counts=True, min_context=0, **_) -> dict:
    """``custom_dataset`` loader: the (word, context) documents as a ``test`` split."""
    path = find_file(AOA_FILE, data_dir)
    if path is None:
        raise ClassitDataError(f"{AOA_FILE}: not found in the evaluation-data folder (full_eval/{AOA_FILE})")
    try:
        min_context = int(min_context)
    except (TypeError, ValueError):
        raise ClassitDataError(f"aoa: min_context must be an integer, got {min_context!r}") from None
    docs = read_cdi_childes(path, min_context)
    if _flag(check_counts) and min_context <= 0:
        words = len(json.loads(path.read_text(encoding="utf-8")))
        if len(docs) != AOA_CONTEXTS or words != AOA_WORDS:
            raise ClassitDataError(
                f"{path}: {words} words and {len(docs)} contexts, the official release has {AOA_WORDS} and "
                f"{AOA_CONTEXTS} (pass check_counts=false in --metadata to evaluate a modified file)"
            )
    if not docs:
        raise ClassitDataError(f"{path}: no (word, context) pair left (min_context={min_context})")
    return {"test": Docs(docs)}


def context_text(doc: dict) -> str:
    """The request's context: the stored context, stripped, plus one space (the 2025 ``compute_surprisal``)."""
    return doc["context"].strip() + " "


def target_word(doc: dict) -> str:
    return doc["word"].strip()


def process_results(doc: dict, results) -> dict:
    """Per-item surprisal in nats (logged in the samples file; the series fit reads it from there)."""
    surprisal = -float(results[0][0])
    return {"surprisal": surprisal if math.isfinite(surprisal) else math.nan}
