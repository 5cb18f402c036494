"""``classit-eval submit``: the BabyLM 2025 submission file from classit's result and sample files.

The 2025 pipeline's ``collate_preds.py`` (babylm/evaluation-pipeline-2025) gathers per-item predictions and writes
``results/<model>/all_full_preds_and_fast_scores_<backend>.json``, the file uploaded to the leaderboard. This module
writes the same file from classit's outputs:

* full-suite results of the final model (``classit_zero_shot`` run with ``--log_samples``): per-item predictions of
  BLiMP, supplement, EWoK, entity tracking, WUG adjective / past tense, COMPS and reading;
* fine-tuning results (``classit-eval finetune``): per-item GLUE predictions;
* a ``classit-eval sweep`` folder (``sweep.json``, docs/reports.md): per-checkpoint scores of the fast suite
  (``fast_eval_results``) and the AoA surprisals (``aoa``) of the checkpoints the track requires.

Layout, as ``collate_preds.py`` writes it. Top-level keys ``blimp``, ``blimp_supplement``, ``ewok``,
``entity_tracking``, ``wug_adj``, ``wug_past``, ``comps``, ``reading``, ``aoa``, ``glue``, ``fast_eval_results``.
Each prediction task maps subtask -> ``{"predictions": [{"id": "<subtask>_<i>", "pred": ...}]}`` in file order, where
``pred`` is the chosen option's completion string (BLiMP / supplement: the sentence; EWoK: " " + target; entity
tracking: the option; WUG: the sentence, plus ``prob`` = softmax(option scores)[0]); for COMPS the whole chosen
sentence (``compute_results.py`` stores sentences for COMPS). Reading: ``{"reading": {"predictions": [{"id": row,
"pred": surprisal, "prev_pred": surprisal of the previous word or NaN}]}}``. GLUE: ``{task: {"predictions": [{"id":
"<task>_<i>", "pred": label}]}}``. AoA: ``{"metadata": {...}, "results": [{"step", "word_count", "target_word",
"context_id", "context", "surprisal"}, ...]}``. ``fast_eval_results``: task -> one dict per checkpoint in track
order (subtask -> accuracy as a fraction; WUG: {"wug_adj": ρ}; reading: {"spr": ΔR², "rt": ΔR²}, fractions).

Checks (``collate_preds.py::_check_size`` and ``_check_size_aoa``, re-implemented, and stricter where the official
code only compares the subtasks that are present): every subtask of every part is present with exactly the official
item count; every checkpoint of the track is in the sweep, complete. Anything missing or incomplete refuses the
submission with one line and exit status 2, and no file is written. ``--allow_missing`` names parts that may be absent
(e.g. COMPS and WUG past tense when the data is not available): they are written empty (``{}``; ``[]`` in
``fast_eval_results``), listed in the manifest written beside the file, and count as 0 on the leaderboard.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from classit_tasks.command import SubCommand
from classit_tasks.errors import ClassitError, UsageError
from classit_tasks.json_files import read_json, read_json_lines
from classit_tasks.tasks import aoa, blimp, comps, entity_tracking, ewok, glue, supplement, wug

SUBMIT = SubCommand("submit")
FORMAT = "babylm-2025"
TIMESTAMP = re.compile(r"_(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:\.\d+)?)\.json$")

# Checkpoints whose fast results the submission carries (collate_preds.py STRICT_SMALL_FAST_REVISIONS and
# OTHER_FAST_REVISIONS): every 1M words up to 10M, every 10M up to 100M, and for the 100M-word tracks every 100M up
# to 1B words (the strict-small track stops at 100M).
_SMALL = [f"chck_{i}M" for i in range(1, 10)] + [f"chck_{10 * i}M" for i in range(1, 11)]
_OTHER = [f"chck_{i}M" for i in range(1, 10)] + [f"chck_{10 * i}M" for i in range(1, 10)] + [
    f"chck_{100 * i}M" for i in range(1, 11)]
TRACK_REVISIONS = {"strict-small": _SMALL, "strict": _OTHER, "interaction": _OTHER}
AOA_ITEMS = aoa.AOA_CONTEXTS  # collate_preds.py AOA_SIZE: (word, context) surprisals per checkpoint
GLUE_SIZES = glue.VALID_COUNTS
PARTS = ("blimp", "blimp_supplement", "ewok", "entity_tracking", "wug_adj", "wug_past", "comps", "reading", "aoa",
         "glue")
FAST_PARTS = ("blimp", "blimp_supplement", "ewok", "entity_tracking", "wug_adj", "wug_past", "reading")


def _reading_layout() -> dict[str, tuple[str, int]]:
    from classit_tasks.tasks.reading import READING_ROWS, READING_TASK  # here: the reading module loads pandas

    return {"reading": (READING_TASK, READING_ROWS)}


# part -> {subtask (the 2025 UID) -> (classit leaf task, official item count)}
def full_layout() -> dict[str, dict[str, tuple[str, int]]]:
    wug_task = {name: (wug.leaf(name), count) for name, (count, _, _) in wug.TASKS.items()}
    return {
        "blimp": {p: (blimp.leaf(p), n) for p, n in blimp.COUNTS.items()},
        "blimp_supplement": {s: (supplement.leaf(s), n) for s, n in supplement.COUNTS.items()},
        "ewok": {d: (ewok.leaf(d), ewok.COUNTS[d]) for d in ewok.DOMAINS},
        "entity_tracking": {f"{f}_{k}_ops": (entity_tracking.leaf(f, k), n)
                            for f, by_ops in entity_tracking.COUNTS_BY_NUMOPS.items() for k, n in by_ops.items()},
        "wug_adj": {"wug_adj": wug_task["wug_adj_nominalization"]},
        "wug_past": {"wug_past": wug_task["wug_past_tense"]},
        "comps": {sub: (comps.leaf(sub), comps.COUNTS[stem]) for stem, sub in comps.SUBTASKS.items()},
        "reading": _reading_layout(),
    }


def fast_layout() -> dict[str, dict[str, tuple[str, int]]]:
    """collate_preds.py FAST_SIZES: 200 / 50 / 100 items per BLiMP / supplement / EWoK subtask, the regular entity-
    tracking file by numops, and the full WUG and reading files."""
    full = full_layout()
    et = entity_tracking
    return {
        "blimp": {p: (blimp.leaf(p, "_fast"), blimp.FAST_COUNT) for p in blimp.COUNTS},
        "blimp_supplement": {s: (supplement.leaf(s, "_fast"), supplement.FAST_COUNT) for s in supplement.COUNTS},
        "ewok": {d: (ewok.leaf(d, ewok.FAST_GROUP), ewok.FAST_COUNT) for d in ewok.DOMAINS},
        "entity_tracking": {f"regular_{k}_ops": (et.leaf("regular", k, et.FAST_GROUP), n)
                            for k, n in et.COUNTS_BY_NUMOPS["regular"].items()},
        "wug_adj": full["wug_adj"],
        "wug_past": full["wug_past"],
        "reading": full["reading"],
    }


class SubmissionError(ClassitError, ValueError):
    """A submission that cannot be built faithfully (one-line message naming the file, checkpoint or subtask)."""


# ----------------------------------------------------------------------------------------------------------------
# Reading lm-eval result folders
# ----------------------------------------------------------------------------------------------------------------
@dataclass
class ResultSet:
    """Merged lm-eval results files (the newest wins per task) and the samples file of each task."""

    files: list[Path] = field(default_factory=list)
    results: dict[str, dict] = field(default_factory=dict)
    n_samples: dict[str, dict] = field(default_factory=dict)
    samples: dict[str, Path] = field(default_factory=dict)
    source: dict[str, Path] = field(default_factory=dict)  # task -> results file
    models: dict[Path, str] = field(default_factory=dict)  # results file -> model identity
    pretrained: dict[Path, str | None] = field(default_factory=dict)  # results file -> pretrained= as given
    limits: dict[Path, object] = field(default_factory=dict)
    not_evaluated: dict[str, str] = field(default_factory=dict)


def results_files(path: Path) -> list[Path]:
    if not path.exists():
        raise SubmissionError(f"{path}: no such file or directory")
    if path.is_file():
        return [path]
    found = sorted(p for p in path.rglob("*.json") if TIMESTAMP.search(p.name) and not p.name.startswith("samples_"))
    if not found:
        raise SubmissionError(f"{path}: no lm-eval results file (results_<time>.json) below this folder")
    return found


def _load_json(path: Path) -> dict:
    return read_json(path, SubmissionError)


def _pretrained(data: dict) -> str | None:
    args = (data.get("config") or {}).get("model_args")
    if isinstance(args, dict):
        return args.get("pretrained")
    if isinstance(args, str):
        match = re.search(r"(?:^|,)\s*pretrained=([^,]+)", args)
        if match:
            return match.group(1)
    return data.get("model_name")


def weights_sha256(folder: Path) -> str | None:
    """sha256 of a checkpoint's weights file (model.safetensors / pytorch_model.bin), None if there is none."""
    for name in ("model.safetensors", "pytorch_model.bin"):
        path = folder / name
        if path.is_file():
            digest = hashlib.sha256()
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            return digest.hexdigest()
    return None


_IDENTITY_CACHE: dict[str, str] = {}


def model_identity(pretrained: str | None) -> str:
    """"sha256:<hex>" of the model's weights when its folder is readable, else its (resolved) name or path."""
    if not pretrained:
        return "unknown model"
    if pretrained not in _IDENTITY_CACHE:
        path = Path(pretrained).expanduser()
        digest = weights_sha256(path.resolve()) if path.is_dir() else None
        _IDENTITY_CACHE[pretrained] = f"sha256:{digest}" if digest else str(path.resolve() if path.exists() else pretrained)
    return _IDENTITY_CACHE[pretrained]


def read_results(paths: list[Path]) -> ResultSet:
    found = sorted({f for p in paths for f in results_files(Path(p))},
                   key=lambda f: (TIMESTAMP.search(f.name).group(1) if TIMESTAMP.search(f.name) else "", str(f)))
    out = ResultSet(files=found)
    for path in found:
        data = _load_json(path)
        if not isinstance(data.get("results"), dict):
            raise SubmissionError(f"{path}: field 'results' missing: not an lm-eval results file")
        out.pretrained[path] = _pretrained(data)
        out.models[path] = model_identity(out.pretrained[path])
        out.limits[path] = (data.get("config") or {}).get("limit")
        stamp = TIMESTAMP.search(path.name)
        samples = {}
        if stamp:
            suffix = f"_{stamp.group(1)}.jsonl"
            samples = {p.name[len("samples_"):-len(suffix)]: p for p in path.parent.glob(f"samples_*{suffix}")}
        for task, entry in data["results"].items():
            out.results[task] = entry
            out.source[task] = path
            if task in samples:
                out.samples[task] = samples[task]
        out.n_samples.update(data.get("n-samples") or {})
        out.not_evaluated.update({k: str(v) for k, v in (data.get("not_evaluated") or {}).items()})
    return out


def read_samples(path: Path) -> list[dict]:
    rows = read_json_lines(path, SubmissionError)
    keep = "none" if any(r.get("filter", "none") == "none" for r in rows) else (rows[0].get("filter") if rows else None)
    rows = [r for r in rows if r.get("filter", "none") == keep]
    return sorted(rows, key=lambda r: r.get("doc_id", 0))


# ----------------------------------------------------------------------------------------------------------------
# Per-item predictions
# ----------------------------------------------------------------------------------------------------------------
def _arguments(row: dict, path: Path) -> list[tuple[str, str]]:
    args = row.get("arguments")
    if isinstance(args, dict):  # lm-eval: {"gen_args_0": {"arg_0": context, "arg_1": continuation}, ...}
        return [(a["arg_0"], a["arg_1"]) for a in args.values()]
    if isinstance(args, list):
        return [tuple(a) for a in args]
    raise SubmissionError(f"{path}: doc {row.get('doc_id')}: no request arguments logged")


def _logliks(row: dict, path: Path) -> list[float]:
    try:
        return [float(r[0][0]) if isinstance(r[0], (list, tuple)) else float(r[0]) for r in row["resps"]]
    except (KeyError, IndexError, TypeError, ValueError):
        raise SubmissionError(f"{path}: doc {row.get('doc_id')}: no log-likelihoods in 'resps'") from None


def choose(logliks: list[float]) -> int:
    """The 2025 decision: the first index of the maximal score (torch.max), so a tie goes to option 0."""
    best = max(logliks)
    return logliks.index(best)


def predictions(part: str, subtask: str, rows: list[dict], path: Path) -> list[dict]:
    """The 2025 ``predictions.json`` entries of one subtask, from lm-eval sample rows (doc order = file order)."""
    out = []
    for i, row in enumerate(rows):
        ident = f"{subtask}_{i}"
        if part == "reading":
            lls = _logliks(row, path)
            doc = row.get("doc") or {}
            out.append({"id": doc.get("row", i), "pred": -lls[0], "prev_pred": -lls[1] if len(lls) > 1 else math.nan})
            continue
        args, lls = _arguments(row, path), _logliks(row, path)
        k = choose(lls)
        context, continuation = args[k]
        if part == "comps":
            pred = context + continuation  # the whole sentence: prefix + " " + property phrase
        else:
            pred = continuation
        entry = {"id": ident, "pred": pred}
        if part in ("wug_adj", "wug_past"):
            pair = row.get("spearman")
            if not (isinstance(pair, (list, tuple)) and len(pair) == 2):
                raise SubmissionError(f"{path}: doc {row.get('doc_id')}: no per-item probability logged ('spearman')")
            entry["prob"] = float(pair[0])
        out.append(entry)
    return out


def _status(entry: dict | None) -> str:
    status = (entry or {}).get("status,none")
    return status if isinstance(status, str) and status.startswith("not evaluated") else ""


def plan_full(results: ResultSet, allow_missing: set[str]) -> tuple[dict, list[str]]:
    """part -> [(subtask, task, official size, samples file)] after the cheap checks (every subtask present with the
    official count in the results file, a samples file logged), and the parts left empty (allowed missing)."""
    plan, empty = {}, []
    for part, subtasks in full_layout().items():
        found, problem = [], None
        for subtask, (task, expected) in subtasks.items():
            entry = results.results.get(task)
            if entry is None or _status(entry):
                problem = problem or (f"{task}: {_status(entry) or 'not in the full-suite results'} "
                                      f"(subtask {subtask} of {part})")
                continue
            source = results.source[task]
            n = (results.n_samples.get(task) or {}).get("effective")
            if n is not None and n != expected:
                raise SubmissionError(f"{source}: {part} subtask {subtask} ({task}) has {n} items, the official size is "
                                      f"{expected}" + (" (the run used --limit)" if results.limits.get(source) else ""))
            path = results.samples.get(task)
            if path is None:
                raise SubmissionError(f"{source}: no samples file for {task}; re-run with --log_samples")
            found.append((subtask, task, expected, path))
        if problem:
            if part not in allow_missing:
                raise SubmissionError(problem + f"; pass --allow_missing {part} to submit without it (counts as 0)")
            if found:  # a part present in part only is incomplete, not missing
                raise SubmissionError(problem + f" while other {part} subtasks are present: incomplete")
            empty.append(part)
        plan[part] = found
    return plan, empty


def collect_full(plan: dict) -> dict:
    """The prediction parts of the submission (an empty dict for a part left empty)."""
    out = {}
    for part, found in plan.items():
        preds = {}
        for subtask, task, expected, path in found:
            rows = read_samples(path)
            if len(rows) != expected:
                raise SubmissionError(f"{path}: {part} subtask {subtask} has {len(rows)} predictions, the official "
                                      f"size is {expected}")
            preds[subtask] = {"predictions": predictions(part, subtask, rows, path)}
        out[part] = preds
    return out


def collect_glue(results: ResultSet | None, allow_missing: set[str]) -> tuple[dict, list[str]]:
    out, empty = {}, []
    for name, expected in GLUE_SIZES.items():
        task = f"classit_glue_{name}"
        path = results.samples.get(task) if results else None
        if path is None:
            if name in allow_missing or "glue" in allow_missing:
                empty.append(f"glue.{name}")
                continue
            why = (results.not_evaluated.get(task) or results.not_evaluated.get(name)) if results else None
            raise SubmissionError(
                f"{task}: no fine-tuning predictions" + (f" ({why})" if why else "")
                + f"; pass --allow_missing {name} to submit without it (counts as 0)")
        rows = read_samples(path)
        if len(rows) != expected:
            raise SubmissionError(f"{path}: glue subtask {name} has {len(rows)} predictions, the official size is "
                                  f"{expected}" + (" (the run used --limit)" if results.limits.get(results.source[task])
                                                   else ""))
        preds = []
        for i, row in enumerate(rows):
            pred = row.get("pred")
            if not isinstance(pred, int):
                raise SubmissionError(f"{path}: doc {row.get('doc_id')}: field 'pred' must be an integer label")
            preds.append({"id": f"{name}_{i}", "pred": pred})
        out[name] = {"predictions": preds}
    return out, empty


# ----------------------------------------------------------------------------------------------------------------
# The sweep: fast scores and AoA per checkpoint
# ----------------------------------------------------------------------------------------------------------------
@dataclass
class Checkpoint:
    name: str
    entry: dict
    results: ResultSet


def read_sweep(folder: Path, revisions: list[str], branch: str | None) -> list[Checkpoint]:
    path = folder / "sweep.json"
    if not path.is_file():
        raise SubmissionError(f"{path}: not found (--sweep names a classit-eval sweep output folder)")
    data = _load_json(path)
    if data.get("format") != "classit-sweep/1" or not isinstance(data.get("checkpoints"), list):
        raise SubmissionError(f"{path}: field 'format' must be \"classit-sweep/1\" with a 'checkpoints' list")
    by_name: dict[str, list[dict]] = {}
    for i, entry in enumerate(data["checkpoints"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise SubmissionError(f"{path}: checkpoints[{i}]: field 'name' missing")
        if branch and entry.get("branch") != branch:
            continue
        by_name.setdefault(entry["name"], []).append(entry)
    out = []
    for name in revisions:
        entries = by_name.get(name, [])
        if not entries:
            raise SubmissionError(f"{path}: no checkpoint {name} (the submission needs {revisions[0]} … {revisions[-1]}, "
                                  f"{len(revisions)} checkpoints)")
        if len(entries) > 1:
            branches = ", ".join(str(e.get("branch")) for e in entries)
            raise SubmissionError(f"{path}: {len(entries)} checkpoints named {name} (branches {branches}); pass --branch")
        entry = entries[0]
        if entry.get("status") != "complete":
            raise SubmissionError(f"{path}: checkpoint {name} is {entry.get('status')!r}, not complete"
                                  + (f" ({entry['error']})" if entry.get("error") else "") + ": resume the sweep")
        results_dir = folder / str(entry.get("results_dir", ""))
        if not entry.get("results_dir") or not results_dir.is_dir():
            raise SubmissionError(f"{path}: checkpoint {name}: results_dir {results_dir} not found")
        out.append(Checkpoint(name, entry, read_results([results_dir])))
    _check_lineage(path, out)
    return out


def _check_lineage(path: Path, checkpoints: list[Checkpoint]) -> None:
    """The checkpoints must come from one training run or one lineage of runs (each continued from the last)."""
    runs = []
    for ck in checkpoints:
        run = ck.entry.get("run")
        if run and run not in runs:
            runs.append(run)
    for earlier, later in zip(runs, runs[1:]):
        parents = {str(ck.entry.get("parent") or "") for ck in checkpoints if ck.entry.get("run") == later}
        if not any(p and (p == earlier or p.startswith(earlier.rstrip("/") + "/")) for p in parents):
            raise SubmissionError(f"{path}: checkpoints of unrelated runs mixed ({earlier} and {later}; a later run must "
                                  "be continued from the earlier one): results of different models")


def _fraction(value, where: str) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise SubmissionError(f"{where}: no finite score")
    return float(value)


def fast_scores(ck: Checkpoint, part: str, layout: dict[str, tuple[str, int]]) -> dict | None:
    """One checkpoint's scores of one fast part, as collate_preds.py::get_revision_fast_eval_metrics stores them
    (fractions); None if the part is absent from this checkpoint's results."""
    res = ck.results
    scores = {}
    for subtask, (task, expected) in layout.items():
        entry = res.results.get(task)
        if entry is None or _status(entry):
            return None
        where = f"{res.source[task]}: {task} (checkpoint {ck.name})"
        n = (res.n_samples.get(task) or {}).get("effective")
        if n != expected:
            raise SubmissionError(f"{where}: fast {part} subtask {subtask} has {n} items, the official size is {expected}")
        if part == "reading":
            scores["spr"] = _fraction(entry.get("self_paced_reading,none"), where) / 100.0
            scores["rt"] = _fraction(entry.get("eye_tracking,none"), where) / 100.0
        elif part in ("wug_adj", "wug_past"):
            scores[subtask] = _fraction(entry.get("spearman,none"), where)
        else:
            scores[subtask] = _fraction(entry.get("acc,none"), where)
    return scores


def collect_fast(checkpoints: list[Checkpoint], allow_missing: set[str]) -> tuple[dict, list[str]]:
    out, empty = {}, []
    for part, layout in fast_layout().items():
        per_checkpoint = [fast_scores(ck, part, layout) for ck in checkpoints]
        missing = [ck.name for ck, s in zip(checkpoints, per_checkpoint) if s is None]
        if missing and len(missing) == len(checkpoints) and part in allow_missing:
            out[part] = []
            empty.append(f"fast_eval_results.{part}")
            continue
        if missing:
            task = next(iter(layout.values()))[0]
            raise SubmissionError(f"sweep checkpoint {missing[0]}: no fast results for {part} ({task}…)"
                                  + (f"; pass --allow_missing {part}" if len(missing) == len(checkpoints) else ""))
        out[part] = per_checkpoint
    return out, empty


def _words(ck: Checkpoint) -> int | None:
    """The checkpoint's nominal word count, as the 2025 AoA code records it (chck_5M -> 5,000,000)."""
    match = re.fullmatch(r"chck_(\d+)([MK])", ck.name)
    if match:
        return int(match.group(1)) * (1_000_000 if match.group(2) == "M" else 1_000)
    return ck.entry.get("words_seen") if isinstance(ck.entry.get("words_seen"), int) else None


def collect_aoa(checkpoints: list[Checkpoint], model_name: str, allow_missing: set[str]) -> tuple[dict, list[str]]:
    """The AoA_word ``surprisal.json`` content: one surprisal per (word, context) per checkpoint, from each
    checkpoint's ``classit_aoa`` samples (``doc``: word, context_id, context; per-item ``surprisal``)."""
    results, missing = [], []
    for ck in checkpoints:
        path = ck.results.samples.get("classit_aoa")
        if path is None:
            missing.append(ck.name)
            continue
        rows = read_samples(path)
        if len(rows) != AOA_ITEMS:
            raise SubmissionError(f"{path}: {len(rows)} AoA predictions for checkpoint {ck.name}, the official size is "
                                  f"{AOA_ITEMS}")
        for row in rows:
            doc = row.get("doc") or {}
            surprisal = row.get("surprisal")
            if not isinstance(doc.get("word"), str) or not isinstance(surprisal, (int, float)):
                raise SubmissionError(f"{path}: doc {row.get('doc_id')}: fields 'doc.word' / 'surprisal' missing")
            results.append({"step": ck.name, "word_count": _words(ck), "target_word": doc["word"],
                            "context_id": doc.get("context_id"), "context": doc.get("context"),
                            "surprisal": float(surprisal)})
    if missing:
        if len(missing) == len(checkpoints) and "aoa" in allow_missing:
            return {}, ["aoa"]
        raise SubmissionError(f"sweep checkpoint {missing[0]}: no classit_aoa samples (AoA needs every checkpoint)"
                              + ("; pass --allow_missing aoa" if len(missing) == len(checkpoints) else ""))
    return {"metadata": {"model_name": model_name, "use_bos_only": False, "total_steps": len(checkpoints),
                         "completed_steps": len(checkpoints)}, "results": results}, []


# ----------------------------------------------------------------------------------------------------------------
# Assembling and writing
# ----------------------------------------------------------------------------------------------------------------
def _check_one_model(full: ResultSet, finetune: ResultSet | None, checkpoints: list[Checkpoint]) -> str:
    """All full-suite and fine-tuning results must be of one model, and that model must belong to the sweep's run."""
    sources = [(path, ident) for path, ident in full.models.items()]
    if finetune:
        sources += list(finetune.models.items())
    idents = dict.fromkeys(ident for _, ident in sources)
    if len(idents) > 1:
        (p1, i1), (p2, i2) = sources[0], next((p, i) for p, i in sources if i != sources[0][1])
        raise SubmissionError(f"results of different models mixed: {p1} ({i1}) and {p2} ({i2})")
    ident = next(iter(idents))
    if checkpoints:
        final = next(iter(full.pretrained.values()))
        final_path = Path(str(final)).expanduser()
        hashes = {f"sha256:{ck.entry.get('weights_sha256')}" for ck in checkpoints if ck.entry.get("weights_sha256")}
        runs = [str(ck.entry.get("run") or "") for ck in checkpoints]
        inside = final_path.exists() and any(
            r and str(final_path.resolve()).startswith(str(Path(r).resolve()).rstrip("/") + "/") for r in runs)
        if ident not in hashes and not inside:
            raise SubmissionError(f"{full.files[0]}: the full-suite model {final} is neither a sweep checkpoint nor "
                                  f"inside the sweep's run folder(s) ({runs[-1]}): results of different models")
    return ident


@dataclass
class Submission:
    data: dict
    empty: list[str]
    model: str
    revisions: list[str]


def build_submission(full_paths: list[Path], finetune_paths: list[Path], sweep: Path | None, track: str,
                     allow_missing: set[str], revisions: list[str] | None = None, branch: str | None = None) -> Submission:
    unknown = allow_missing - set(PARTS) - set(GLUE_SIZES)
    if unknown:
        raise SubmissionError(f"--allow_missing: unknown part '{sorted(unknown)[0]}' (parts: {', '.join(PARTS)}, or "
                              f"a GLUE task: {', '.join(GLUE_SIZES)})")
    if sweep is None:
        raise SubmissionError("--sweep is required: the submission carries the fast results of every checkpoint")
    full = read_results(full_paths)
    finetune = read_results(finetune_paths) if finetune_paths else None
    revs = revisions or TRACK_REVISIONS[track]
    checkpoints = read_sweep(sweep, revs, branch)
    model = _check_one_model(full, finetune, checkpoints)
    plan, empty = plan_full(full, allow_missing)  # cheap checks first: refuse before reading ~200k sample lines
    fast, e = collect_fast(checkpoints, allow_missing)
    empty += e
    glue, e = collect_glue(finetune, allow_missing)
    empty += e
    aoa, e = collect_aoa(checkpoints, str(next(iter(full.pretrained.values())) or ""), allow_missing)
    empty += e
    data = collect_full(plan)
    data.update(aoa=aoa, glue=glue, fast_eval_results=fast)
    ordered = {k: data[k] for k in (*PARTS, "fast_eval_results")}
    return Submission(ordered, empty, model, revs)


def write_submission(sub: Submission, output_path: Path, backend: str, manifest: dict) -> Path:
    """Write the file (and its manifest) atomically: a temporary name, then a rename."""
    output_path = Path(output_path)
    target = output_path if output_path.suffix == ".json" else output_path / f"all_full_preds_and_fast_scores_{backend}.json"
    text = json.dumps(sub.data)  # NaN stays NaN, as json.dump writes it in collate_preds.py
    target.parent.mkdir(parents=True, exist_ok=True)
    side = target.with_name(target.stem + ".manifest.json")
    for path, content in ((side, json.dumps(manifest, indent=2)), (target, text)):
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(content, encoding="utf-8")
        os.replace(tmp, path)
    return target


def _parser() -> argparse.ArgumentParser:
    p = SUBMIT.parser("Write the BabyLM 2025 submission file (all_full_preds_and_fast_scores_<backend>.json) from "
                      "classit's results.")
    p.add_argument("--results", action="append", required=True, metavar="PATH",
                   help="full-suite results of the final model (classit_zero_shot with --log_samples): a results "
                        "file or a folder; repeatable")
    p.add_argument("--finetune", action="append", default=[], metavar="PATH",
                   help="fine-tuning results (classit-eval finetune): a results file or folder; repeatable")
    p.add_argument("--sweep", required=True, type=Path, help="classit-eval sweep output folder (sweep.json)")
    p.add_argument("--track", default="strict-small", choices=sorted(TRACK_REVISIONS),
                   help="which checkpoints the fast results must cover (strict-small: chck_1M … chck_100M)")
    p.add_argument("--up_to", default=None, metavar="CHECKPOINT",
                   help="last checkpoint trained (e.g. chck_20M): the track's list up to it, as the 2025 README "
                        "allows for a model trained on fewer words")
    p.add_argument("--revisions", default=None,
                   help="comma list of checkpoint names instead of the track's (NOT accepted by the leaderboard)")
    p.add_argument("--branch", default=None, help="the sweep branch to take checkpoints from when names repeat")
    p.add_argument("--backend", default="causal", help="backend named in the file name (default: causal)")
    p.add_argument("--allow_missing", default="", metavar="PARTS",
                   help=f"comma list of parts that may be absent and are written empty: {', '.join(PARTS)}, or a "
                        "GLUE task (they count as 0 on the leaderboard)")
    p.add_argument("--output_path", required=True, type=Path,
                   help="folder for all_full_preds_and_fast_scores_<backend>.json (or a .json file path)")
    return p


@SUBMIT.entry
def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    allow = {s.strip() for s in args.allow_missing.split(",") if s.strip()}
    revisions = [s.strip() for s in args.revisions.split(",") if s.strip()] if args.revisions else None
    official = revisions is None
    if args.up_to:
        track = TRACK_REVISIONS[args.track]
        if revisions is not None or args.up_to not in track:
            raise UsageError(f"--up_to must name a checkpoint of the {args.track} track ({track[0]} … {track[-1]}) "
                             "and cannot be combined with --revisions")
        revisions = track[: track.index(args.up_to) + 1]
    sub = build_submission([Path(p) for p in args.results], [Path(p) for p in args.finetune], args.sweep,
                           args.track, allow, revisions, args.branch)
    manifest = {
        "format": FORMAT, "written_by": SUBMIT.prog, "model": sub.model, "track": args.track,
        "checkpoints": sub.revisions, "official_checkpoints": official,
        "left_empty": sub.empty,
        "note": "parts left empty count as 0 on the leaderboard" if sub.empty else "",
        "sources": {"results": args.results, "finetune": args.finetune, "sweep": str(args.sweep)},
    }
    path = write_submission(sub, args.output_path, args.backend, manifest)
    size = path.stat().st_size
    print(f"wrote {path} ({size:,} bytes)")
    for part in sub.empty:
        print(f"left empty: {part} (counts as 0 on the leaderboard)")
    if not official:
        print("note: --revisions replaces the track's checkpoint list: the leaderboard will not accept this file")
    return 0


if __name__ == "__main__":
    sys.exit(main())
