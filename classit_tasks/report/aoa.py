"""Age of Acquisition over a checkpoint series (Chang & Bergen 2022; BabyLM 2025), from a ``classit-eval sweep``.

Chang, T. A. & Bergen, B. K. (2022). Word Acquisition in Neural Language Models. TACL 10, 1–16. The BabyLM 2025
pipeline's version (``evaluation_pipeline/utils.py::AoAEvaluator`` of babylm/evaluation-pipeline-2025, scored by
``calculate_results_from_pred.py``) is reproduced here, rule for rule:

* Learning curve of a word: every (checkpoint, context) surprisal of the word pooled into one curve (no averaging
  over contexts), x = log10(W + 1) with W the words seen at the checkpoint (the word count in the checkpoint's name,
  ``chck_10M`` = 10^7, as the 2025 ``extract_step_number`` reads it; else the sweep's ``words_seen``),
  y = −surprisal.
* Fit: f(x) = a / (1 + exp(−b (x − c))) + d by least squares (scipy ``curve_fit``, unbounded, start
  a = max(y) − min(y), b = 1, c = mean(x), d = min(y), at most 1,000 evaluations).
* Acquisition point: where f crosses −s*, s* = R − ½ (R − s_min), R = log2(300,000) (the 2025 "random chance"
  surprisal; note it is in bits while surprisals are in nats, kept for parity), s_min = the word's lowest surprisal.
  Model AoA = c − ln(a / (−s* − d) − 1) / b, in log10 words; none when a ≤ 0 or b ≤ 0, when −s* is outside
  (d, a + d), or when 10^AoA − 1 lies outside the series' first and last word counts.
* Children's AoA (``cdi_human.csv``: a ``word`` column and the share of children producing it at 16..30 months):
  the same sigmoid fitted with bounds a ∈ [0, 2], b ∈ [0, 1], c ∈ [first age, last age], d ∈ [−0.5, 0.5]
  (start 1, 0.1, mean age, 0); AoA = the age where it crosses 0.5, none outside the ages or with fewer than 3
  values.
* Score: Pearson r between model and child AoA over the words that have both (0.0 with fewer than 3 words, as
  in 2025); higher = the model acquires words in the children's order. classit adds the p-value and a 95 % CI
  (Fisher z: tanh(atanh r ± 1.96 / sqrt(n − 3))).

The children's file: ``--aoa_human`` / ``human_csv``, else ``aoa/cdi_human.csv`` in the evaluation-data folder,
else the Wordbank stand-in ``sources/aoa/cdi_human_standin_chang2021.csv`` beside it. Files are told apart by
content (sha256): every output that used the stand-in says so.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import OptimizeWarning, curve_fit
from scipy.stats import pearsonr

from classit_tasks.artifacts.checkpoints import milestone_words
from classit_tasks.artifacts.json_files import read_numbered_json_lines
from classit_tasks.artifacts.results import latest_samples_file, samples_glob
from classit_tasks.artifacts.sweep_folder import INDEX, read_index, results_dir
from classit_tasks.report.errors import ReportInputError
from classit_tasks.tasks.aoa import TASK  # the per-checkpoint task whose samples the fit reads
from classit_tasks.command import SubCommand

AOA = SubCommand("aoa")
FORMAT = "classit-aoa/1"
APPROXIMATE_VOCAB = 300_000  # the 2025 "random chance" vocabulary
THRESHOLD = 0.5  # half-way between chance and the best surprisal; children: half of the children
AGES = tuple(str(a) for a in range(16, 31))
MIN_CHECKPOINTS = 3

HUMAN_FILE = "aoa/cdi_human.csv"
STANDIN_NAME = "cdi_human_standin_chang2021.csv"
STANDIN_SHA256 = "7b57c433933919afcbf14c43466d8b564b0c0703c6b4ec0ee62a8be24f3e51ba"
# The official file (OSF, evaluation_data/full_eval/aoa/cdi_human.csv) as far as it is known here: 42,174 bytes,
# sha256 fd6e4795…2037 (a third-party audit; the full hash is not published).
OFFICIAL_SIZE = 42_174
OFFICIAL_SHA256_ENDS = ("fd6e4795", "2037")
OFFICIAL_HINT = ("the official cdi_human.csv is in evaluation_data/full_eval/aoa/ of the BabyLM 2025 evaluation data "
                 "(https://osf.io/ryjfm/); pass it with --aoa_human FILE")
STANDIN_NOTE = "computed with the Wordbank stand-in, differs slightly from the leaderboard"
CUSTOM_NOTE = ("computed with a children's file that does not match the official cdi_human.csv (42,174 bytes, "
               "sha256 fd6e4795…2037); may differ from the leaderboard")

# pandas.read_csv's default missing-value strings.
PANDAS_NA_VALUES = frozenset({
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA",
    "NULL", "NaN", "None", "n/a", "nan", "null",
})


def sigmoid(x: np.ndarray, a: float, b: float, c: float, d: float) -> np.ndarray:
    """f(x) = a / (1 + exp(−b (x − c))) + d (Chang & Bergen 2022; 2025 ``utils.sigmoid_function``)."""
    return a / (1 + np.exp(-b * (x - c))) + d


def _crossing(params: tuple[float, float, float, float], y: float) -> float:
    a, b, c, d = params
    return c - math.log(a / (y - d) - 1) / b


# ------------------------------------------------------------------------------------------------ per-word fits
@dataclass
class ModelFit:
    """A word's learning-curve fit; ``aoa`` in log10 words, None with the reason in ``status``."""

    status: str  # "ok", "too_few_points", "fit_failed", "not_increasing", "threshold_outside_curve", "outside_series"
    params: tuple[float, float, float, float] | None = None
    min_surprisal: float | None = None
    threshold_surprisal: float | None = None
    aoa: float | None = None

    def as_dict(self) -> dict:
        a, b, c, d = self.params or (None,) * 4
        return {"status": self.status, "a": a, "b": b, "c": c, "d": d, "min_surprisal": self.min_surprisal,
                "threshold_surprisal": self.threshold_surprisal, "aoa_log10_words": self.aoa,
                "aoa_words": None if self.aoa is None else 10 ** self.aoa - 1}


def fit_model_aoa(words: np.ndarray, surprisals: np.ndarray) -> ModelFit:
    """One word's acquisition point from its pooled (words seen, surprisal) points, ordered by words seen."""
    words, surprisals = np.asarray(words, float), np.asarray(surprisals, float)
    if len(surprisals) < 3:
        return ModelFit("too_few_points")
    valid = ~np.isnan(surprisals)
    if not valid.any():
        return ModelFit("too_few_points")
    steps, s = words[valid], surprisals[valid]
    chance = math.log2(APPROXIMATE_VOCAB)
    s_min = float(np.min(s))
    threshold = chance - THRESHOLD * (chance - s_min)
    y, x = -s, np.log10(steps + 1)
    start = [np.max(y) - np.min(y), 1.0, np.mean(x), np.min(y)]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            params, _ = curve_fit(sigmoid, x, y, p0=start, maxfev=1000)
    except (RuntimeError, ValueError, TypeError):
        return ModelFit("fit_failed", min_surprisal=s_min, threshold_surprisal=threshold)
    params = tuple(float(p) for p in params)
    a, b, _, d = params
    fit = ModelFit("ok", params, s_min, threshold)
    if b <= 0 or a <= 0:
        fit.status = "not_increasing"
        return fit
    if not d < -threshold < a + d:
        fit.status = "threshold_outside_curve"
        return fit
    log_aoa = _crossing(params, -threshold)
    if not steps[0] <= 10 ** log_aoa - 1 <= steps[-1]:
        fit.status = "outside_series"
        return fit
    fit.aoa = float(log_aoa)
    return fit


@dataclass
class ChildFit:
    status: str  # "ok", "too_few_values", "fit_failed", "threshold_outside_curve", "outside_ages"
    params: tuple[float, float, float, float] | None = None
    aoa: float | None = None  # months

    def as_dict(self) -> dict:
        a, b, c, d = self.params or (None,) * 4
        return {"status": self.status, "a": a, "b": b, "c": c, "d": d, "aoa_months": self.aoa}


def fit_child_aoa(ages: np.ndarray, proportions: np.ndarray) -> ChildFit:
    """Age (months) at which the fitted share of children producing a word crosses 0.5."""
    ages, proportions = np.asarray(ages, float), np.asarray(proportions, float)
    valid = ~np.isnan(proportions)
    if valid.sum() < 3:
        return ChildFit("too_few_values")
    x, y = ages[valid], proportions[valid]
    bounds = ([0, 0, x[0], -0.5], [2.0, 1.0, x[-1], 0.5])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            params, _ = curve_fit(sigmoid, x, y, p0=[1.0, 0.1, np.mean(x), 0.0], bounds=bounds, maxfev=1000)
    except (RuntimeError, ValueError, TypeError):
        return ChildFit("fit_failed")
    params = tuple(float(p) for p in params)
    a, b, _, d = params
    if b <= 0 or a <= 0:
        return ChildFit("fit_failed", params)
    if not d < THRESHOLD < a + d:
        return ChildFit("threshold_outside_curve", params)
    age = _crossing(params, THRESHOLD)
    if not x[0] <= age <= x[-1]:
        return ChildFit("outside_ages", params)
    return ChildFit("ok", params, float(age))


# ------------------------------------------------------------------------------------------------ children's file
@dataclass
class HumanAoA:
    """A cdi_human.csv-format file: the children's proportions per word (first row of a repeated word)."""

    path: Path
    sha256: str
    kind: str  # "official", "wordbank_standin", "custom"
    ages: np.ndarray
    rows: dict[str, np.ndarray]

    @property
    def note(self) -> str | None:
        return {"official": None, "wordbank_standin": STANDIN_NOTE}.get(self.kind, CUSTOM_NOTE)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def file_kind(path: Path, sha256: str) -> str:
    if sha256 == STANDIN_SHA256:
        return "wordbank_standin"
    if path.stat().st_size == OFFICIAL_SIZE and sha256.startswith(OFFICIAL_SHA256_ENDS[0]) \
            and sha256.endswith(OFFICIAL_SHA256_ENDS[1]):
        return "official"
    return "custom"


def read_human(path: str | Path) -> HumanAoA:
    """Validated children's file: column ``word`` and age columns "16".."30" (those present), numbers or empty."""
    path = Path(path)
    if not path.is_file():
        raise ReportInputError(f"{path}: children's AoA file not found ({OFFICIAL_HINT})")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
        raise ReportInputError(f"{path}: not a readable CSV file ({str(err).splitlines()[0]})") from None
    if "word" not in frame.columns:
        raise ReportInputError(f"{path}:1: missing column 'word' (a cdi_human.csv has word, 16, 17, ..., 30)")
    ages = [a for a in AGES if a in frame.columns]
    if not ages:
        raise ReportInputError(f"{path}:1: no age columns '16'..'30' (proportion of children per month)")
    table = np.full((len(frame), len(ages)), np.nan)
    for j, age in enumerate(ages):
        for i, text in enumerate(frame[age]):
            text = text.strip()
            if text in PANDAS_NA_VALUES:  # missing, as pandas.read_csv (the 2025 reader) sees it
                continue
            try:
                table[i, j] = float(text)
            except ValueError:
                raise ReportInputError(f"{path}:{i + 2}: column '{age}': {text[:30]!r} is not a number") from None
    rows: dict[str, np.ndarray] = {}
    for i, word in enumerate(frame["word"]):
        rows.setdefault(word, table[i])  # the 2025 lookup takes the first matching row
    sha = _sha256(path)
    return HumanAoA(path, sha, file_kind(path, sha), np.array([int(a) for a in ages], float), rows)


def standin_candidates(root: Path) -> list[Path]:
    return [root.parent / "sources" / "aoa" / STANDIN_NAME, root / "sources" / "aoa" / STANDIN_NAME,
            root / "aoa" / STANDIN_NAME, root / "full_eval" / "aoa" / STANDIN_NAME]


def find_human(human_csv: str | Path | None = None, data_dir: str | Path | None = None,
               notices: list[str] | None = None) -> HumanAoA:
    """The children's file: the one given, else the official file in the data folder, else the stand-in."""
    notices = notices if notices is not None else []
    if human_csv:
        return read_human(human_csv)
    data_dir = data_dir or os.environ.get("CLASSIT_DATA_DIR")
    if not data_dir or not Path(data_dir).is_dir():
        raise ReportInputError(f"no children's AoA file: pass --aoa_human FILE or --data_dir DATA ({OFFICIAL_HINT})")
    root = Path(data_dir).resolve()
    for candidate in (root / "full_eval" / HUMAN_FILE, root / HUMAN_FILE):
        if candidate.is_file():
            return read_human(candidate)
    for candidate in standin_candidates(root):
        if candidate.is_file():
            notices.append(f"{root}: no {HUMAN_FILE}; using the Wordbank stand-in {candidate} ({OFFICIAL_HINT})")
            return read_human(candidate)
    raise ReportInputError(
        f"{root}: no {HUMAN_FILE} and no Wordbank stand-in ({STANDIN_NAME}) found; {OFFICIAL_HINT}"
    )


# ------------------------------------------------------------------------------------------------ the sweep
@dataclass
class CheckpointSurprisals:
    """A checkpoint of a sweep (as its index lists it) and the surprisals it gave: one point of an AoA series."""

    key: str
    name: str
    path: str
    branch: str
    parent: str | None
    words: float  # x position (words seen)
    folder: Path  # the results folder
    surprisal: dict[tuple[str, int], float] = field(default_factory=dict)


def words_of(entry: dict, where: str) -> float:
    """Words seen: the count in a ``chck_{N}M`` name (as the 2025 pipeline reads it), else ``words_seen``."""
    named = milestone_words(str(entry.get("name") or ""))
    if named is not None:
        return float(named)
    words = entry.get("words_seen")
    if isinstance(words, (int, float)) and not isinstance(words, bool) and words >= 0:
        return float(words)
    raise ReportInputError(f"{where}: checkpoint {entry.get('name')!r} has no words position (words_seen is null "
                           f"and the name is not chck_{{N}}M / chck_{{N}}K)")


def read_surprisals(path: Path) -> dict[tuple[str, int], float]:
    """(word, context id) -> surprisal from one checkpoint's samples file of ``classit_aoa``."""
    rows: list[tuple[int, tuple[str, int], float]] = []
    for lineno, sample in read_numbered_json_lines(path, ReportInputError):
        try:
            doc = sample["doc"]
            key = (str(doc["word"]), int(doc["context_id"]))
            value = math.nan if sample["surprisal"] is None else float(sample["surprisal"])
            doc_id = int(sample.get("doc_id", len(rows)))
        except (KeyError, TypeError, ValueError):
            raise ReportInputError(f"{path}:{lineno}: not a {TASK} sample (needs doc.word, doc.context_id "
                                   f"and surprisal)") from None
        if sample.get("filter", "none") != "none":
            continue
        rows.append((doc_id, key, value))
    out = {key: value for _, key, value in sorted(rows, key=lambda r: r[0])}
    if not out:
        raise ReportInputError(f"{path}: no samples in file")
    return out


def read_sweep(sweep_dir: str | Path, notices: list[str] | None = None) -> list[CheckpointSurprisals]:
    """Checkpoints of ``SWEEP_DIR/sweep.json`` whose classit_aoa unit is complete, with their surprisals."""
    notices = notices if notices is not None else []
    sweep_dir = Path(sweep_dir)
    path = sweep_dir / INDEX
    entries = read_index(sweep_dir, ReportInputError)["checkpoints"]
    out, without = [], []
    for i, entry in enumerate(entries):
        where = f"{path}: checkpoints[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
            raise ReportInputError(f"{where}: not a checkpoint entry (needs 'key')")
        name = str(entry.get("name") or entry["key"])
        if TASK not in (entry.get("tasks_complete") or []):
            if entry.get("status") == "failed":
                notices.append(f"{name}: failed in the sweep ({entry.get('error')}), left out of the AoA fit")
            else:
                without.append(name)
            continue
        folder = results_dir(sweep_dir, entry)
        samples = latest_samples_file(folder, TASK)
        if samples is None:
            raise ReportInputError(f"{folder}: no {samples_glob(TASK)} although {INDEX} lists {TASK} as "
                                   f"complete for {name} (the sweep must log samples)")
        run = entry.get("run") or str(Path(str(entry.get("path") or name)).parent)
        out.append(CheckpointSurprisals(
            key=entry["key"], name=name, path=str(entry.get("path") or ""), branch=str(entry.get("branch") or
            Path(run).name), parent=entry.get("parent"), words=words_of(entry, where), folder=folder,
            surprisal=read_surprisals(samples),
        ))
    if not out:
        raise ReportInputError(f"{path}: no checkpoint has complete {TASK} results; run the sweep with "
                               f"--tasks ...,{TASK}")
    if without:
        notices.append(f"{len(without)} checkpoint(s) without {TASK} results left out: {', '.join(without[:5])}"
                       + (" …" if len(without) > 5 else ""))
    return out


def _real(path: str | None) -> str | None:
    return os.path.realpath(path) if path else None


def series_of(checkpoints: list[CheckpointSurprisals]) -> dict[str, list[CheckpointSurprisals]]:
    """One series per branch: its own checkpoints, preceded by its lineage (the parent branch's checkpoints up to
    the parent checkpoint, recursively, when the parent is in the sweep); ordered by words seen, one per key."""
    by_path = {_real(c.path): c for c in checkpoints if c.path}
    branches: dict[str, list[CheckpointSurprisals]] = {}
    for c in checkpoints:
        branches.setdefault(c.branch, []).append(c)

    def lineage(branch: str, up_to: float | None, seen: frozenset) -> list[CheckpointSurprisals]:
        own = [c for c in branches.get(branch, []) if up_to is None or c.words <= up_to]
        parents = {_real(c.parent) for c in own if c.parent} - {None}
        for parent_path in sorted(p for p in parents if p in by_path):
            parent = by_path[parent_path]
            if parent.branch != branch and parent.branch not in seen:
                own = lineage(parent.branch, parent.words, seen | {branch}) + own
        return own

    out = {}
    for branch in branches:
        chosen: dict[str, CheckpointSurprisals] = {}
        for c in lineage(branch, None, frozenset()):
            chosen.setdefault(c.key, c)
        ordered = sorted(chosen.values(), key=lambda c: c.words)
        for a, b in zip(ordered, ordered[1:]):
            if a.words == b.words:
                raise ReportInputError(f"series {branch!r}: checkpoints {a.path or a.name} and {b.path or b.name} "
                                       f"are both at {a.words:,.0f} words with different weights")
        out[branch] = ordered
    return out


# ------------------------------------------------------------------------------------------------ the fit
def _num(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def fit_series(checkpoints: list[CheckpointSurprisals], human: HumanAoA, name: str = "series") -> dict:
    """Per-word model and child AoA over one series and their correlation (the 2025 ``compute_curve_fitness``)."""
    if len(checkpoints) < MIN_CHECKPOINTS:
        raise ReportInputError(
            f"series {name!r}: {len(checkpoints)} checkpoint(s) with {TASK} results "
            f"({', '.join(c.name for c in checkpoints)}); AoA needs at least {MIN_CHECKPOINTS} (the 2025 pipeline "
            f"uses 19: chck_1M..chck_100M)"
        )
    keys = set(checkpoints[0].surprisal)
    for c in checkpoints[1:]:
        if set(c.surprisal) != keys:
            raise ReportInputError(
                f"series {name!r}: {c.name} scored {len(c.surprisal)} (word, context) pairs, {checkpoints[0].name} "
                f"{len(keys)}; evaluate every checkpoint on the same items (same --limit)"
            )
    words_in_order = list(dict.fromkeys(w for w, _ in checkpoints[0].surprisal))  # document order
    contexts: dict[str, list[int]] = {}
    for w, i in sorted(keys, key=lambda k: k[1]):
        contexts.setdefault(w, []).append(i)
    xs = np.array([c.words for c in checkpoints])
    per_word: dict[str, dict] = {}
    model_aoa, child_aoa, both = [], [], []
    missing_human = []
    for word in words_in_order:
        ids = contexts[word]
        # Rows in the 2025 order: checkpoint by checkpoint, contexts in file order within each.
        x = np.repeat(xs, len(ids))
        y = np.array([c.surprisal[(word, i)] for c in checkpoints for i in ids])
        fit = fit_model_aoa(x, y)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a checkpoint whose values are all NaN
            means = np.nanmean(y.reshape(len(checkpoints), len(ids)), axis=1)
        entry: dict[str, Any] = {"n_contexts": len(ids), "mean_surprisal": [_num(m) for m in means],
                                 "model": fit.as_dict(), "child": None, "in_correlation": False}
        if word not in human.rows:
            missing_human.append(word)
        else:
            child = fit_child_aoa(human.ages, human.rows[word])
            entry["child"] = child.as_dict()
            if child.aoa is not None and fit.aoa is not None:
                model_aoa.append(fit.aoa)
                child_aoa.append(child.aoa)
                both.append(word)
                entry["in_correlation"] = True
        per_word[word] = entry
    n = len(both)
    r = p = None
    ci = None
    if n >= 3:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r_value, p_value = pearsonr(model_aoa, child_aoa)
        r, p = float(r_value), float(p_value)
        if n > 3 and math.isfinite(r) and abs(r) < 1:
            z, half = math.atanh(r), 1.959963984540054 / math.sqrt(n - 3)
            ci = [math.tanh(z - half), math.tanh(z + half)]
    return {
        "branch": name,
        "checkpoints": [{"name": c.name, "key": c.key, "path": c.path, "branch": c.branch, "words": c.words}
                        for c in checkpoints],
        "n_words": len(words_in_order),
        "n_contexts": len(keys),
        "n_model_aoa": sum(e["model"]["aoa_log10_words"] is not None for e in per_word.values()),
        "n_child_aoa": sum(1 for e in per_word.values() if e["child"] and e["child"]["aoa_months"] is not None),
        "n_missing_human": len(missing_human),
        "missing_human": missing_human,
        "n": n,
        "pearson_r": r,
        "p_value": p,
        "ci95": ci,
        "ci_method": "Fisher z",
        # The 2025 leaderboard value: Pearson r, or 0.0 when fewer than 3 words have both AoAs.
        "score": r if r is not None and math.isfinite(r) else 0.0,
        "mean_surprisal": [_num(float(np.nanmean(list(c.surprisal.values())))) for c in checkpoints],
        "words": per_word,
    }


def aoa_summary(sweep_dir: str | Path, human_csv: str | Path | None = None, data_dir: str | Path | None = None,
                branch: str | None = None) -> dict:
    """AoA of every series (branch) of a sweep; see docs/reports.md ("Age of Acquisition") for the shape."""
    notices: list[str] = []
    human = find_human(human_csv, data_dir, notices)
    checkpoints = read_sweep(sweep_dir, notices)
    series = series_of(checkpoints)
    if branch is not None:
        if branch not in series:
            raise ReportInputError(f"{sweep_dir}: no branch {branch!r} with {TASK} results "
                                   f"(branches: {', '.join(series)})")
        series = {branch: series[branch]}
    fitted, skipped = [], []
    for name, members in series.items():
        try:
            fitted.append(fit_series(members, human, name))
        except ReportInputError as err:
            if len(series) == 1:
                raise
            skipped.append({"branch": name, "reason": str(err)})
            notices.append(str(err))
    if not fitted:
        raise ReportInputError(f"{sweep_dir}: no series could be fitted ({skipped[0]['reason']})")
    for s in fitted:
        if s["n_missing_human"]:
            notices.append(f"series {s['branch']!r}: {s['n_missing_human']} word(s) not in {human.path.name} "
                           f"(left out of the correlation)")
    return {
        "format": FORMAT,
        "sweep_dir": str(Path(sweep_dir).resolve()),
        "human": {"path": str(human.path), "sha256": human.sha256, "kind": human.kind, "note": human.note},
        "note": human.note,
        "method": {"paper": "Chang & Bergen 2022, TACL 10", "x": "log10(words seen + 1)",
                   "random_chance_surprisal": math.log2(APPROXIMATE_VOCAB), "threshold": THRESHOLD,
                   "child_ages": [int(a) for a in human.ages], "score": "Pearson r (model AoA, child AoA)"},
        "series": fitted,
        "skipped_series": skipped,
        "notices": notices,
    }


# ------------------------------------------------------------------------------------------------ outputs
def headline(series: dict, note: str | None) -> str:
    r, ci = series["pearson_r"], series["ci95"]
    if r is None:
        text = f"AoA {series['branch']}: score 0.0 (only {series['n']} word(s) with both AoAs; r needs 3)"
    else:
        span = f" [{ci[0]:.2f}, {ci[1]:.2f}]" if ci else ""
        text = f"AoA {series['branch']}: r = {r:.3f}{span}, n = {series['n']} words, p = {series['p_value']:.3g}"
    return text + (f"; {note}" if note else "")


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "series"


def plot_series(series: dict, path: Path, note: str | None, examples: int = 4) -> Path:
    """Example words' learning curves with their sigmoids and acquisition points, and model vs child AoA."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from classit_tasks.report.plots import COLORS

    fig = Figure(figsize=(11, 4.2))
    left, right = fig.subplots(1, 2)
    xs = np.log10(np.array([c["words"] for c in series["checkpoints"]]) + 1)
    fitted = sorted(((w, e) for w, e in series["words"].items() if e["model"]["aoa_log10_words"] is not None),
                    key=lambda item: item[1]["model"]["aoa_log10_words"])
    picks = [fitted[int(q * (len(fitted) - 1))] for q in np.linspace(0.1, 0.9, examples)] if fitted else []
    picks = list(dict((w, (w, e)) for w, e in picks).values())
    grid = np.linspace(xs.min(), xs.max(), 200)
    for k, (word, entry) in enumerate(picks):
        m, color = entry["model"], COLORS[k % len(COLORS)]
        left.plot(grid, -sigmoid(grid, m["a"], m["b"], m["c"], m["d"]), color=color, label=word)
        left.axvline(m["aoa_log10_words"], color=color, linestyle=":", linewidth=1)
        left.axhline(m["threshold_surprisal"], color=color, linestyle="--", linewidth=0.6, alpha=0.5)
    for k, (word, entry) in enumerate(picks):
        means = [np.nan if v is None else v for v in entry["mean_surprisal"]]
        left.plot(xs, means, "o", color=COLORS[k % len(COLORS)], markersize=3)
    if picks:
        left.legend(fontsize=8)
    left.set_xlabel("log10(words seen + 1)")
    left.set_ylabel("surprisal (nats; points: mean over contexts)")
    left.set_title("learning curves, fitted sigmoids, acquisition points", fontsize=9)
    both = [(e["model"]["aoa_log10_words"], e["child"]["aoa_months"]) for e in series["words"].values()
            if e["in_correlation"]]
    if both:
        mx, cy = np.array(both).T
        right.scatter(mx, cy, s=10, alpha=0.6, color=COLORS[0])
    right.set_xlabel("model AoA (log10 words seen)")
    right.set_ylabel("child AoA (months)")
    right.set_title(headline(series, None).replace(f"AoA {series['branch']}: ", ""), fontsize=9)
    fig.suptitle(f"Age of acquisition, {series['branch']}" + (f" ({note})" if note else ""), fontsize=10)
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    return path


def write_outputs(summary: dict, out_dir: str | Path) -> list[Path]:
    """``aoa.json`` and one ``aoa_<branch>.png`` per series, each written to a temporary name and renamed."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for series in summary["series"]:
        target = out_dir / f"aoa_{_slug(series['branch'])}.png"
        tmp = target.with_name(f".{target.name}.tmp.png")
        plot_series(series, tmp, summary["note"])
        os.replace(tmp, target)
        written.append(target)
    target = out_dir / "aoa.json"
    fd, tmp_name = tempfile.mkstemp(prefix=".aoa.", suffix=".json", dir=out_dir)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(summary, handle, indent=1, allow_nan=False, default=_json_default)
    os.replace(tmp_name, target)
    return [target, *written]


def _json_default(value):
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    raise TypeError(type(value).__name__)


@AOA.entry
def aoa_main(argv: list[str]) -> int:
    parser = AOA.parser(
        description="Age of Acquisition (Chang & Bergen 2022; BabyLM 2025) over the checkpoints of a sweep run "
                    f"with --tasks ...,{TASK}: a sigmoid per word over log words seen, each word's acquisition "
                    "point, and Pearson r with children's AoA.",
    )
    parser.add_argument("sweep_dir", help="output folder of `classit-eval sweep` (holds sweep.json)")
    parser.add_argument("--aoa_human", default=None, metavar="FILE",
                        help="children's AoA file in cdi_human.csv format (default: aoa/cdi_human.csv in the "
                             "evaluation data, else the Wordbank stand-in)")
    parser.add_argument("--data_dir", default=None, help="BabyLM evaluation-data folder (default: $CLASSIT_DATA_DIR)")
    parser.add_argument("--branch", default=None, help="fit only this series (default: every branch)")
    parser.add_argument("--output_path", default=None, metavar="DIR", help="output folder (default SWEEP_DIR/aoa)")
    args = parser.parse_args(argv)
    summary = aoa_summary(args.sweep_dir, args.aoa_human, args.data_dir, args.branch)
    written = write_outputs(summary, args.output_path or Path(args.sweep_dir) / "aoa")
    for notice in summary["notices"]:
        AOA.say(notice)
    for series in summary["series"]:
        print(headline(series, summary["note"]))
    print(f"wrote {', '.join(str(p) for p in written)}")
    return 0
