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
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

from classit_tasks.artifacts.atomic import write_files
from classit_tasks.artifacts.checkpoints import milestone_name, milestone_words
from classit_tasks.artifacts.json_files import read_json_lines
from classit_tasks.artifacts.results import (
    MergedResults, filtered_rows, read_merged_results, sample_arguments, sample_logliks,
)
from classit_tasks.artifacts.sweep_folder import check_lineage, complete_entry_folder, index_path, read_index
from classit_tasks.command import SubCommand
from classit_tasks.errors import ClassitError, UsageError
from classit_tasks.tasks import aoa, blimp, comps, entity_tracking, ewok, glue, supplement, wug
from classit_tasks.tasks import families as F

SUBMIT = SubCommand("submit")
FORMAT = "babylm-2025"

# Checkpoints whose fast results the submission carries (collate_preds.py STRICT_SMALL_FAST_REVISIONS and
# OTHER_FAST_REVISIONS): every 1M words up to 10M, every 10M up to 100M, and for the 100M-word tracks every 100M up
# to 1B words (the strict-small track stops at 100M).
_M = 10**6
_SMALL = [milestone_name(i * _M) for i in range(1, 10)] + [milestone_name(10 * i * _M) for i in range(1, 11)]
_OTHER = [milestone_name(i * _M) for i in range(1, 10)] + [milestone_name(10 * i * _M) for i in range(1, 10)] + [
    milestone_name(100 * i * _M) for i in range(1, 11)]
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
def read_results(paths: list[Path]) -> MergedResults:
    return read_merged_results(paths, SubmissionError)


def read_samples(path: Path) -> list[dict]:
    return filtered_rows(read_json_lines(path, SubmissionError))


# ----------------------------------------------------------------------------------------------------------------
# Per-item predictions
# ----------------------------------------------------------------------------------------------------------------
def choose(logliks: list[float]) -> int:
    """The 2025 decision: the first index of the maximal score (torch.max), so a tie goes to option 0."""
    best = max(logliks)
    return logliks.index(best)


def predictions(part: str, subtask: str, rows: list[dict], path: Path) -> list[dict]:
    """The 2025 ``predictions.json`` entries of one subtask, from lm-eval sample rows (doc order = file order), in
    the form the part's leaderboard task names (``LeaderboardTask.prediction``, classit_tasks.tasks.family)."""
    form = F.leaderboard_tasks()[part].prediction
    out = []
    for i, row in enumerate(rows):
        ident = f"{subtask}_{i}"
        if form == "surprisal":
            lls = sample_logliks(row, path, SubmissionError)
            doc = row.get("doc") or {}
            out.append({"id": doc.get("row", i), "pred": -lls[0], "prev_pred": -lls[1] if len(lls) > 1 else math.nan})
            continue
        args, lls = sample_arguments(row, path, SubmissionError), sample_logliks(row, path, SubmissionError)
        k = choose(lls)
        context, continuation = args[k]
        if form == "sentence":
            pred = context + continuation  # the whole sentence: prefix + " " + property phrase
        else:
            pred = continuation
        entry = {"id": ident, "pred": pred}
        if form == "continuation_prob":
            pair = row.get("spearman")
            if not (isinstance(pair, (list, tuple)) and len(pair) == 2):
                raise SubmissionError(f"{path}: doc {row.get('doc_id')}: no per-item probability logged ('spearman')")
            entry["prob"] = float(pair[0])
        out.append(entry)
    return out


def _status(entry: dict | None) -> str:
    status = (entry or {}).get("status,none")
    return status if isinstance(status, str) and status.startswith("not evaluated") else ""


def plan_full(results: MergedResults, allow_missing: set[str]) -> tuple[dict, list[str]]:
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


def collect_glue(results: MergedResults | None, allow_missing: set[str]) -> tuple[dict, list[str]]:
    out, empty = {}, []
    for name, expected in GLUE_SIZES.items():
        task = glue.TASKS[name].task_name
        path = results.samples.get(task) if results else None
        if path is None:
            if name in allow_missing or glue.LEADERBOARD_KEY in allow_missing:
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
class CheckpointResults:
    """A sweep checkpoint's index entry and its results."""

    name: str
    entry: dict
    results: MergedResults


def read_sweep(folder: Path, revisions: list[str], branch: str | None) -> list[CheckpointResults]:
    path = index_path(folder)
    data = read_index(folder, SubmissionError)
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
        results_dir = complete_entry_folder(folder, entry, SubmissionError, f"{path}: checkpoint {name}")
        out.append(CheckpointResults(name, entry, read_results([results_dir])))
    check_lineage(path, [ck.entry for ck in out], SubmissionError)
    return out


def _fraction(value, where: str) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise SubmissionError(f"{where}: no finite score")
    return float(value)


def fast_scores(ck: CheckpointResults, part: str, layout: dict[str, tuple[str, int]]) -> dict | None:
    """One checkpoint's scores of one fast part, as collate_preds.py::get_revision_fast_eval_metrics stores them
    (fractions); None if the part is absent from this checkpoint's results."""
    res = ck.results
    board = F.leaderboard_tasks()[part]
    scores = {}
    for subtask, (task, expected) in layout.items():
        entry = res.results.get(task)
        if entry is None or _status(entry):
            return None
        where = f"{res.source[task]}: {task} (checkpoint {ck.name})"
        n = (res.n_samples.get(task) or {}).get("effective")
        if n != expected:
            raise SubmissionError(f"{where}: fast {part} subtask {subtask} has {n} items, the official size is {expected}")
        if board.fast_fields is not None:  # reading: {"spr": ΔR², "rt": ΔR²} as fractions
            for key, (metric, divisor) in board.fast_fields.items():
                scores[key] = _fraction(entry.get(f"{metric},none"), where) / divisor
        else:  # one value per subtask: accuracy, WUG's Spearman rho
            scores[subtask] = _fraction(entry.get(f"{board.metric},none"), where)
    return scores


def collect_fast(checkpoints: list[CheckpointResults], allow_missing: set[str]) -> tuple[dict, list[str]]:
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


def _words(ck: CheckpointResults) -> int | None:
    """The checkpoint's nominal word count, as the 2025 AoA code records it (chck_5M -> 5,000,000)."""
    words = milestone_words(ck.name)
    if words is not None:
        return words
    return ck.entry.get("words_seen") if isinstance(ck.entry.get("words_seen"), int) else None


def collect_aoa(checkpoints: list[CheckpointResults], model_name: str, allow_missing: set[str]) -> tuple[dict, list[str]]:
    """The AoA_word ``surprisal.json`` content: one surprisal per (word, context) per checkpoint, from each
    checkpoint's ``classit_aoa`` samples (``doc``: word, context_id, context; per-item ``surprisal``)."""
    results, missing = [], []
    for ck in checkpoints:
        path = ck.results.samples.get(aoa.TASK)
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
        if len(missing) == len(checkpoints) and aoa.LEADERBOARD_KEY in allow_missing:
            return {}, [aoa.LEADERBOARD_KEY]
        raise SubmissionError(f"sweep checkpoint {missing[0]}: no {aoa.TASK} samples (AoA needs every checkpoint)"
                              + (f"; pass --allow_missing {aoa.LEADERBOARD_KEY}" if len(missing) == len(checkpoints)
                                 else ""))
    return {"metadata": {"model_name": model_name, "use_bos_only": False, "total_steps": len(checkpoints),
                         "completed_steps": len(checkpoints)}, "results": results}, []


# ----------------------------------------------------------------------------------------------------------------
# Assembling and writing
# ----------------------------------------------------------------------------------------------------------------
def _check_one_model(full: MergedResults, finetune: MergedResults | None, checkpoints: list[CheckpointResults]) -> str:
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
    write_files([(side, [json.dumps(manifest, indent=2)]), (target, [text])])
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
