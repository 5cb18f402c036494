"""lm-eval's result files: ``results_<time>.json`` and one ``samples_<task>_<time>.jsonl`` per task beside it.

``<output_path>/<sanitized model name>/results_<time>.json`` (or ``<stem>_<time>.json`` when ``--output_path``
names a ``.json`` file), where ``<time>`` is ``datetime.now().isoformat()`` with ``:`` replaced by ``-``; the samples
files of one evaluation carry the same ``<time>``. Writing: a :class:`ResultSet` collects one evaluation's files
and :meth:`ResultSet.commit` writes them as one set (samples first, the results file last; see
:mod:`classit_tasks.artifacts.atomic`). Reading: :func:`results_files` finds results files, :func:`samples_files`
the samples written with one, :func:`read_results_file` parses one, :func:`pretrained_of` names its checkpoint.
Readers raise the caller's error class with a one-line message naming the file.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterable

from classit_tasks.artifacts.atomic import write_files
from classit_tasks.artifacts.checkpoints import weights_identity
from classit_tasks.artifacts.json_files import read_json

RESULTS_PREFIX = "results_"
SAMPLES_PREFIX = "samples_"
TIMESTAMP = re.compile(r"_(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:\.\d+)?)\.json$")


# ------------------------------------------------------------------------------------------------ names
def date_id() -> str:
    """The ``<time>`` of a new set of files, as lm-eval makes it."""
    return datetime.now().isoformat().replace(":", "-")


def sanitize_model_name(name: str) -> str:
    """The folder of a model's files under ``--output_path`` (as ``lm_eval.utils.sanitize_model_name``)."""
    return re.sub(r'["<>:/|\\?*\[\]]+', "__", name)


def output_folder(output_path: str | Path, model_name_sanitized: str) -> Path:
    """The folder of a run's files: ``OUT/<model>``, or the folder of a ``.json`` output path."""
    path = Path(output_path)
    return path.parent if path.suffix == ".json" else path / model_name_sanitized


def results_path(output_path: str | Path, model_name_sanitized: str, stamp: str) -> Path:
    """Where a results file goes: ``OUT/<model>/results_<time>.json``, or ``<stem>_<time>.json`` for a ``.json``
    output path."""
    path = Path(output_path)
    name = f"{path.stem}_{stamp}.json" if path.suffix == ".json" else f"{RESULTS_PREFIX}{stamp}.json"
    return output_folder(path, model_name_sanitized) / name


def samples_path(folder: Path, task: str, stamp: str) -> Path:
    return folder / f"{SAMPLES_PREFIX}{task}_{stamp}.jsonl"


def stamp_of(results_file: Path) -> str | None:
    """The ``<time>`` of a results file (None when the name has none)."""
    match = TIMESTAMP.search(Path(results_file).name)
    return match.group(1) if match else None


def is_results_name(name: str) -> bool:
    """A lm-eval results file name (``*_<time>.json`` that is not a samples file)."""
    return bool(TIMESTAMP.search(name)) and not name.startswith(SAMPLES_PREFIX)


def is_results_file_name(name: str) -> bool:
    """``results_…`` (the default name of a results file; manifests list it beside the samples files)."""
    return name.startswith(RESULTS_PREFIX)


def hash_text(text: str) -> str:
    """sha256 hex of a string, as lm-eval hashes a sample's doc, prompt and target (``lm_eval.utils.hash_string``)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def task_hashes(task_samples: dict[str, list[dict]]) -> dict[str, str]:
    """lm-eval's ``task_hashes``: per task, the hash of its samples' doc, prompt and target hashes in order."""
    return {name: hash_text("".join(s["doc_hash"] + s["prompt_hash"] + s["target_hash"] for s in rows))
            for name, rows in task_samples.items()}


# ------------------------------------------------------------------------------------------------ writing
@dataclass
class ResultSet:
    """The files of one evaluation: the results file (path, JSON text) and the samples files (path, text lines),
    recorded first and written by :meth:`commit` as one set."""

    results: tuple[Path, str] | None = None
    samples: list[tuple[Path, Iterable[str]]] = field(default_factory=list)

    @property
    def paths(self) -> list[Path]:
        return [p for p, _ in self.samples] + ([self.results[0]] if self.results else [])

    def commit(self) -> list[Path]:
        """Write all files (samples first, results last); on any failure nothing of this set is left."""
        if self.results is None:
            return []
        path, text = self.results
        return write_files([*self.samples, (path, [text])])


def write_result_set(output_path: str | Path, result: dict, task_samples: dict[str, list[dict]]) -> Path:
    """Write a results dict and its samples (``task -> rows``) as lm-eval names them, with lm-eval's
    ``task_hashes`` added, as one set; returns the results file. Everything is serialised before anything is
    written."""
    stamp = date_id()
    target = results_path(output_path, result["model_name_sanitized"], stamp)
    sample_text = {name: "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
                   for name, rows in task_samples.items()}
    result = {**result, "task_hashes": task_hashes(task_samples)}
    text = json.dumps(result, indent=2, ensure_ascii=False, allow_nan=False)
    files = ResultSet((target, text), [(samples_path(target.parent, name, stamp), [body])
                                       for name, body in sample_text.items()])
    files.commit()
    return target


# ------------------------------------------------------------------------------------------------ reading
def results_files(path: Path, error: type[Exception], check_name: bool = False) -> list[Path]:
    """Results files at a path: the file itself, or every timestamped results file below a folder (sorted).
    ``check_name``: refuse a file that is neither a timestamped results file nor a ``.json``."""
    path = Path(path)
    if not path.exists():
        raise error(f"{path}: no such file or directory")
    if path.is_file():
        if check_name and not TIMESTAMP.search(path.name) and path.suffix != ".json":
            raise error(f"{path}: not an lm-eval results JSON (expected {RESULTS_PREFIX}<time>.json)")
        return [path]
    found = sorted(p for p in path.rglob("*.json") if is_results_name(p.name))
    if not found:
        raise error(f"{path}: no lm-eval results file ({RESULTS_PREFIX}<time>.json) below this folder")
    return found


def samples_files(results_file: Path) -> dict[str, Path]:
    """task -> the ``samples_<task>_<time>.jsonl`` file written together with a results file (same ``<time>``)."""
    stamp = stamp_of(results_file)
    if stamp is None:
        return {}
    suffix = f"_{stamp}.jsonl"
    return {p.name[len(SAMPLES_PREFIX):-len(suffix)]: p
            for p in sorted(Path(results_file).parent.glob(f"{SAMPLES_PREFIX}*{suffix}"))}


def samples_glob(task: str) -> str:
    """The pattern of a task's samples files (``samples_<task>_*.jsonl``), for globs and messages."""
    return f"{SAMPLES_PREFIX}{task}_*.jsonl"


def latest_samples_file(folder: Path, task: str) -> Path | None:
    """The newest ``samples_<task>_<time>.jsonl`` in a folder (lm-eval's ISO times sort in time order)."""
    stamp = re.compile(rf"{SAMPLES_PREFIX}{re.escape(task)}_\d{{4}}-\d{{2}}-\d{{2}}T[0-9.-]+\.jsonl$")
    found = sorted(p for p in folder.glob(samples_glob(task)) if stamp.match(p.name))
    return found[-1] if found else None


def read_results_file(path: Path, error: type[Exception]) -> dict:
    """A results file's content; it must be an object with a ``results`` object."""
    data = read_json(path, error, expect=None)
    if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
        raise error(f"{path}: field 'results' missing: not an lm-eval results file")
    return data


def pretrained_of(data: dict, name_fallback: bool = True) -> str | None:
    """The ``pretrained=`` model argument a results file records (a dict, or lm-eval's ``k=v,...`` string); else
    its ``model_name``. ``name_fallback=False``: a dict of model arguments without ``pretrained`` gives None."""
    args = (data.get("config") or {}).get("model_args")
    if isinstance(args, dict):
        return args.get("pretrained") or (data.get("model_name") if name_fallback else None)
    if isinstance(args, str):
        match = re.search(r"(?:^|,)\s*pretrained=([^,]+)", args)
        if match:
            return match.group(1)
    return data.get("model_name") or None


@dataclass
class MergedResults:
    """Results files merged (the newest wins per task), with the samples file of each task and what each file
    says about its model."""

    files: list[Path] = field(default_factory=list)
    results: dict[str, dict] = field(default_factory=dict)
    n_samples: dict[str, dict] = field(default_factory=dict)
    samples: dict[str, Path] = field(default_factory=dict)
    source: dict[str, Path] = field(default_factory=dict)  # task -> results file
    models: dict[Path, str] = field(default_factory=dict)  # results file -> model identity (weights_identity)
    pretrained: dict[Path, str | None] = field(default_factory=dict)  # results file -> pretrained= as given
    limits: dict[Path, object] = field(default_factory=dict)
    not_evaluated: dict[str, str] = field(default_factory=dict)
    configs: dict[str, dict] = field(default_factory=dict)  # task -> its lm-eval config
    group_subtasks: dict[str, list[str]] = field(default_factory=dict)  # groups with children only
    model_kind: str | None = None  # lm-eval's --model of the newest file


def read_merged_results(paths: list[Path], error: type[Exception]) -> MergedResults:
    """Every results file at or below ``paths``, merged in time order."""
    found = sorted({f for p in paths for f in results_files(Path(p), error)}, key=lambda f: (stamp_of(f) or "", str(f)))
    out = MergedResults(files=found)
    for path in found:
        data = read_results_file(path, error)
        out.pretrained[path] = pretrained_of(data, name_fallback=False)
        out.models[path] = weights_identity(out.pretrained[path])
        out.limits[path] = (data.get("config") or {}).get("limit")
        samples = samples_files(path)
        for task, entry in data["results"].items():
            out.results[task] = entry
            out.source[task] = path
            if task in samples:
                out.samples[task] = samples[task]
        out.n_samples.update(data.get("n-samples") or {})
        out.not_evaluated.update({k: str(v) for k, v in (data.get("not_evaluated") or {}).items()})
        out.configs.update(data.get("configs") or {})
        out.group_subtasks.update({k: v for k, v in (data.get("group_subtasks") or {}).items() if v})
        out.model_kind = (data.get("config") or {}).get("model")
    return out


def filtered_rows(rows: list[dict]) -> list[dict]:
    """A samples file's rows of one filter (``none`` when present, else the first row's), in ``doc_id`` order."""
    keep = "none" if any(r.get("filter", "none") == "none" for r in rows) else (rows[0].get("filter") if rows else None)
    return sorted((r for r in rows if r.get("filter", "none") == keep), key=lambda r: r.get("doc_id", 0))


def sample_arguments(row: dict, path: Path, error: type[Exception]) -> list[tuple[str, str]]:
    """The (context, continuation) request arguments a samples row logged."""
    args = row.get("arguments")
    if isinstance(args, dict):  # lm-eval: {"gen_args_0": {"arg_0": context, "arg_1": continuation}, ...}
        return [(a["arg_0"], a["arg_1"]) for a in args.values()]
    if isinstance(args, list):
        return [tuple(a) for a in args]
    raise error(f"{path}: doc {row.get('doc_id')}: no request arguments logged")


def sample_logliks(row: dict, path: Path, error: type[Exception]) -> list[float]:
    """The log-likelihood of each option a samples row logged (``resps``)."""
    try:
        return [float(r[0][0]) if isinstance(r[0], (list, tuple)) else float(r[0]) for r in row["resps"]]
    except (KeyError, IndexError, TypeError, ValueError):
        raise error(f"{path}: doc {row.get('doc_id')}: no log-likelihoods in 'resps'") from None
