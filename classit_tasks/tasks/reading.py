"""Reading-time task: word surprisal → eye-tracking and self-paced-reading ΔR² (BabyLM 2025), inside lm-eval.

Data: ``reading/reading_data.csv`` of the BabyLM evaluation release (de Varda et al. 2023's resource for the UCL
corpus of Frank et al. 2013/2015), one row per target word. Each document issues one loglikelihood request for
(item, word) and, when the row has a previous word, a second one for (prev_item, prev_word); duplicates are scored
once by ``classit-hf``. Surprisal is −log p(word | item) in nats, computed in log space throughout (never p = 0).

Two surprisal rules, selected by the task (``dataset_kwargs.surprisal``):

* ``babylm2025`` (parity, ``classit_reading``): the 2025 pipeline's ``reading/evaluation_functions.py::get_p2``.
  The item is tokenized with the tokenizer's default special tokens and the next-token distribution is read after
  its last token; the word is tokenized separately WITHOUT a leading space; for each further sub-token the decoded
  previous sub-token is appended to the item string, which is re-tokenized, and the target is the first token of
  the re-tokenized decoded sub-token. Only ``--model classit-hf`` applies this rule: every document carries its
  rule in ``surprisal_rule`` and classit-hf scores each request with the rule its document names
  (``classit_tasks.scoring.encoders``); any other model scores ``item + word`` as one string with no space, which
  matches neither rule.
* ``standard`` (``classit_reading_standard``): de Varda's original, " " + word scored jointly with its context,
  which is classit-hf's default rule and, for tokenizers that do not append EOS, what ``--model hf`` computes.

Task-level aggregations (``classit_tasks.tasks.reading_stats``): ``eye_tracking``, ``self_paced_reading``, per-measure
eye-tracking scores, Pearson r of surprisal with every reading and EEG measure, mean surprisal, and
``classit_hf_scored`` (1 when classit-hf scored the words with the task's rule: its responses carry the rule's name,
``classit_tasks.responses``).
"""

from __future__ import annotations

import csv
import logging
import math
from typing import Callable, Sequence

import pandas as pd
from lm_eval.api.instance import Instance
from lm_eval.api.task import ConfigurableTask

from classit_tasks import nonfinite
from classit_tasks.responses import rule_of
from classit_tasks.tasks import reading_stats as stats
from classit_tasks.tasks.data import ClassitDataError, find_file
from classit_tasks.tasks.family import Family, LeaderboardTask, result_number
from classit_tasks.tasks.loaders import Docs, _flag
from classit_tasks.tasks.text_files import open_utf8

log = logging.getLogger(__name__)

READING_FILE = "reading/reading_data.csv"
READING_ROWS = 1726  # official release: 1,726 target words in 205 sentences
# Family facts (classit_tasks.tasks.families): the leaderboard task and its variant; ΔR² scores are already x100.
READING_TASK = "classit_reading"


def leaderboard_score(entry: dict) -> tuple[float | None, str | None]:
    """The leaderboard's reading score: the mean of the eye-tracking and self-paced-reading ΔR² (already ×100)."""
    et, spr = result_number(entry, "eye_tracking"), result_number(entry, "self_paced_reading")
    if et is None or spr is None:
        return None, None
    return (et + spr) / 2, (f"mean of eye tracking {entry['eye_tracking,none']:.2f} and self-paced reading "
                            f"{entry['self_paced_reading,none']:.2f}")


FAMILY = Family(
    name="reading", leaves=(READING_TASK, "classit_reading_standard"), metrics=("eye_tracking", "self_paced_reading"),
    chance=0.0, ability="Reading",
    leaderboard={"reading": LeaderboardTask(
        "Reading", "human", (READING_TASK,), "reading", rule=leaderboard_score, prediction="surprisal",
        fast_fields={"spr": ("self_paced_reading", 100.0), "rt": ("eye_tracking", 100.0)})},
    # the ΔR² scores (and their per-measure breakdowns eye_tracking_<measure>) are already x100; "reading" is the
    # leaderboard's mean of the two
    percent_metrics=("eye_tracking", "self_paced_reading", "reading"), percent_prefixes=("eye_tracking", "self_paced"),
    raw_metrics=("surprisal", "classit_hf_scored"),  # per-word surprisal in nats; 1 where classit-hf scored the words
    companions={"eye_tracking": ("self_paced_reading",)},
)

TEXT_COLUMNS = ("item", "word", "prev_item", "prev_word")
NUMERIC_COLUMNS = (
    "Subtlex_log10", "length", "context_length", "prev_length",
    *stats.ET_DVS, stats.SPR_DV, *stats.EEG_DVS,
)
# pandas.read_csv's default missing-value strings (the 2025 code reads the file with pandas defaults).
PANDAS_NA_VALUES = frozenset({
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA",
    "NULL", "NaN", "None", "n/a", "nan", "null",
})
RULES = ("babylm2025", "standard")


# --------------------------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------------------------
def read_reading_csv(path, restore_none_in_prev_item: bool = False) -> list[dict]:
    """Validated rows of ``reading_data.csv``; missing numbers become NaN.

    The "None" trap: pandas reads the sentence-initial word "None" as missing. The 2025 code restores it in
    ``item`` only (``df["item"].fillna("None")``), so a ``prev_item`` equal to "None" stays missing and that row
    gets no ``prev_pred``. ``restore_none_in_prev_item`` keeps the literal string there instead (only an empty
    ``prev_item`` means "no previous word").
    """
    rows = []
    with open_utf8(path, newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if not header:
            raise ClassitDataError(f"{path}:1: empty file, expected a header row")
        column = {}
        for i, name in enumerate(header):
            column.setdefault(name.strip(), i)
        for name in (*TEXT_COLUMNS, *NUMERIC_COLUMNS):
            if name not in column:
                raise ClassitDataError(f"{path}:1: missing column '{name}'")
        for row, fields in enumerate(reader):
            where = f"{path}:{reader.line_num}: row {row}"
            if not fields:
                continue
            if len(fields) != len(header):
                raise ClassitDataError(f"{where}: {len(fields)} fields, the header has {len(header)}")
            record: dict = {"row": row}
            for name in NUMERIC_COLUMNS:
                value = fields[column[name]].strip()
                if value in PANDAS_NA_VALUES:
                    record[name] = math.nan
                    continue
                try:
                    record[name] = float(value)
                except ValueError:
                    raise ClassitDataError(f"{where}, column '{name}': {value[:40]!r} is not a number") from None
            item = fields[column["item"]]
            record["item"] = "None" if item in PANDAS_NA_VALUES else item
            record["word"] = fields[column["word"]]
            prev_item = fields[column["prev_item"]]
            missing = prev_item == "" if restore_none_in_prev_item else prev_item in PANDAS_NA_VALUES
            record["prev_item"] = None if missing else prev_item
            record["prev_word"] = fields[column["prev_word"]] if not missing else None
            if not record["word"].strip():
                raise ClassitDataError(f"{where}, column 'word': empty")
            if record["prev_item"] is not None and not (record["prev_word"] or "").strip():
                raise ClassitDataError(f"{where}, column 'prev_word': empty although prev_item is given")
            rows.append(record)
    return rows


def load_reading(
    surprisal: str = "babylm2025",
    restore_none_in_prev_item: bool = False,
    data_dir=None,
    check_counts=True,
    **_,
) -> dict:
    """``custom_dataset`` loader: the reading rows as a ``test`` split."""
    if surprisal not in RULES:
        raise ClassitDataError(f"reading: unknown surprisal rule '{surprisal}' (expected one of {', '.join(RULES)})")
    path = find_file(READING_FILE, data_dir)
    if path is None:
        raise ClassitDataError(f"{READING_FILE}: not found in the evaluation-data folder (full_eval/{READING_FILE})")
    rows = read_reading_csv(path, _flag(restore_none_in_prev_item))
    if _flag(check_counts) and len(rows) != READING_ROWS:
        raise ClassitDataError(
            f"{path}: {len(rows)} rows, the official release has {READING_ROWS} "
            f"(pass check_counts=false in --metadata to evaluate a modified file)"
        )
    for row in rows:
        row["surprisal_rule"] = surprisal
    return {"test": Docs(rows)}


# --------------------------------------------------------------------------------------------------------------
# The task
# --------------------------------------------------------------------------------------------------------------
class ReadingTask(ConfigurableTask):
    """Two loglikelihood requests per word (the word, and the previous word for the spill-over predictor)."""

    def __init__(self, config: dict | None = None):
        config = {k: v for k, v in (config or {}).items() if k != "class"}
        super().__init__(config=config)
        self.rule = (self.config.dataset_kwargs or {}).get("surprisal", "babylm2025")
        if self.rule not in RULES:
            raise ClassitDataError(f"{self.config.task}: unknown surprisal rule '{self.rule}'")

    def construct_requests(self, doc: dict, ctx, **kwargs) -> list[Instance]:
        # The context is the row's own item: few-shot examples, system prompts and chat templates do not apply.
        kwargs.pop("apply_chat_template", None)
        kwargs.pop("chat_template", None)
        space = "" if self.rule == "babylm2025" else " "
        pairs = [(doc["item"], space + doc["word"])]
        if doc["prev_item"] is not None:
            pairs.append((doc["prev_item"], space + doc["prev_word"]))
        return [
            Instance(request_type="loglikelihood", doc=doc, arguments=pair, idx=i, **kwargs)
            for i, pair in enumerate(pairs)
        ]


def process_results(doc: dict, results) -> dict:
    """Per-word values for the task-level aggregations: results are the (log-likelihood, is_greedy) of the word's
    request and, if the row has a previous word, of the previous word's request."""
    if not nonfinite.is_finite([results[0][0]]):  # the word's own score; with --allow_nan: missing (see _frame)
        nonfinite.flag(f"item {nonfinite.describe(doc)}", [results[0][0]])
    pred = -float(results[0][0])
    prev_pred = -float(results[1][0]) if len(results) > 1 else math.nan
    values = {"pred": pred, "prev_pred": prev_pred, **{name: doc[name] for name in NUMERIC_COLUMNS}}
    et = {k: values[k] for k in ("pred", *stats.ET_PREDICTORS)}
    out = {
        "eye_tracking": {**et, **{dv: values[dv] for dv in stats.ET_DVS}},
        "self_paced_reading": {k: values[k] for k in ("pred", *stats.SPR_PREDICTORS, stats.SPR_DV)},
    }
    for dv in stats.ET_DVS:
        out[f"eye_tracking_{dv}"] = {**et, dv: values[dv]}
    for dv in (*stats.READING_DVS, *stats.EEG_DVS):
        out[f"r_{dv}"] = {"pred": pred, dv: values[dv]}
    out["surprisal"] = pred
    # 1 when classit-hf computed the word's surprisal with the document's rule (the response says so itself)
    out["classit_hf_scored"] = float(rule_of(results[0]) == doc["surprisal_rule"])
    return out


# --------------------------------------------------------------------------------------------------------------
# Task-level aggregations (metric_list[].aggregation)
# --------------------------------------------------------------------------------------------------------------
def _frame(items: Sequence[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(list(items), dtype=float)
    bad = ~frame["pred"].map(math.isfinite)
    if bad.any():  # cannot happen with finite logits; never let an infinite surprisal reach the regression
        log.warning("reading: %d non-finite surprisal value(s) treated as missing", int(bad.sum()))
        frame.loc[bad, "pred"] = math.nan
    return frame


def eye_tracking(items: Sequence[dict]) -> float:
    return stats.eye_tracking_score(_frame(items))


def self_paced_reading(items: Sequence[dict]) -> float:
    return stats.self_paced_reading(_frame(items)).score


def _eye_tracking_dv(dv: str) -> Callable:
    def aggregate(items: Sequence[dict]) -> float:
        return stats.eye_tracking(_frame(items), dv).score

    aggregate.__name__ = f"eye_tracking_{dv}"
    return aggregate


def _pearson(dv: str) -> Callable:
    def aggregate(items: Sequence[dict]) -> float:
        return stats.correlation(_frame(items), dv)

    aggregate.__name__ = f"r_{dv}"
    return aggregate


eye_tracking_RTfirstfix = _eye_tracking_dv("RTfirstfix")
eye_tracking_RTfirstpass = _eye_tracking_dv("RTfirstpass")
eye_tracking_RTgopast = _eye_tracking_dv("RTgopast")
eye_tracking_RTrightbound = _eye_tracking_dv("RTrightbound")
r_RTfirstfix = _pearson("RTfirstfix")
r_RTfirstpass = _pearson("RTfirstpass")
r_RTgopast = _pearson("RTgopast")
r_RTrightbound = _pearson("RTrightbound")
r_self_paced_reading_time = _pearson("self_paced_reading_time")
r_ELAN = _pearson("ELAN")
r_LAN = _pearson("LAN")
r_N400 = _pearson("N400")
r_P600 = _pearson("P600")
r_EPNP = _pearson("EPNP")
r_PNP = _pearson("PNP")


def all_scored(values: Sequence[float]) -> float:
    """1.0 if classit-hf scored every word with the task's rule, else 0.0 (and a warning)."""
    ok = float(min(values, default=0.0))
    if ok < 1.0:
        log.warning(
            "reading: the surprisals were not computed by classit-hf's reading rule (another model such as plain "
            "--model hf, or --use_cache entries written by one). classit_reading's BabyLM 2025 parity needs --model "
            "classit-hf; see task_yamls/reading/README.md"
        )
    return ok
