"""A ``classit-eval sweep`` output folder: one folder per checkpoint (by weights hash), its manifest, ``sweep.json``.

    OUT/sweep.json                         index of every checkpoint (rebuilt from the manifests; docs/reports.md)
    OUT/checkpoints/<key>/checkpoint.json  the checkpoint's manifest: fields, completed (checkpoint, task) units
    OUT/checkpoints/<key>/results_<time>.json, samples_<task>_<time>.jsonl   lm-eval's files, one set per unit
    OUT/report/                            the growth report

A unit's files are written into a hidden staging folder, renamed into the checkpoint folder, and only then listed
in the manifest (written to a temporary name and renamed). A unit is complete iff the manifest lists it, so a
process killed at any moment leaves nothing that a later run takes as complete; files a killed run left unlisted
are removed before that checkpoint is evaluated again. Several processes (ranks, Slurm array tasks) write
disjoint checkpoint folders; each rebuilds ``sweep.json`` from all manifests and renames it into place.

:class:`SweepStore` writes the folder (``classit-eval sweep``); :func:`read_index`, :func:`unit_results_files`,
:func:`results_dir` and :func:`check_lineage` read it back (the report, the AoA fit, the submission file), each
raising the caller's error class.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from classit_tasks.artifacts.atomic import write_json_atomic
from classit_tasks.artifacts.checkpoints import Checkpoint
from classit_tasks.artifacts.json_files import read_json, read_json_or_none
from classit_tasks.artifacts.results import is_results_file_name

FORMAT = "classit-sweep/1"
MANIFEST = "checkpoint.json"
INDEX = "sweep.json"
HASHES = ".weights_sha256.json"
CHECKPOINTS = "checkpoints"
REPORT = "report"
OWNED = {CHECKPOINTS, INDEX, REPORT, HASHES}  # what a sweep folder may hold


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())


# ------------------------------------------------------------------------------------------ reading
def is_sweep(path: str | Path) -> bool:
    """A folder holding a sweep index."""
    return (Path(path) / INDEX).is_file()


def index_path(folder: str | Path) -> Path:
    return Path(folder) / INDEX


def report_folder(folder: str | Path) -> Path:
    return Path(folder) / REPORT


def read_index(folder: str | Path, error: type[Exception]) -> dict:
    """A sweep folder's ``sweep.json``: an object of format ``classit-sweep/1`` with a ``checkpoints`` list."""
    path = index_path(folder)
    if not path.is_file():
        raise error(f"{folder}: no {INDEX} (not a `classit-eval sweep` output folder)")
    data = read_json(path, error, expect=None)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise error(f"{path}: field 'format' is not {FORMAT!r}")
    if not isinstance(data.get("checkpoints"), list):
        raise error(f"{path}: field 'checkpoints' missing or not a list")
    return data


def sweep_folder_of(results_file: Path) -> Path:
    """The sweep folder that holds a checkpoint's results file (``SWEEP/checkpoints/<key>/results_<time>.json``)."""
    return Path(results_file).parents[2]


def results_dir(folder: str | Path, entry: dict) -> Path:
    """The folder of an index entry's result files (``checkpoints/<key>`` when the entry does not say)."""
    return Path(folder) / str(entry.get("results_dir") or f"{CHECKPOINTS}/{entry['key']}")


def complete_entry_folder(folder: str | Path, entry: dict, error: type[Exception], where: str) -> Path:
    """The results folder a complete index entry names (refused when the entry names none or it is missing)."""
    path = Path(folder) / str(entry.get("results_dir", ""))
    if not entry.get("results_dir") or not path.is_dir():
        raise error(f"{where}: results_dir {path} not found")
    return path


def unit_results_files(folder: str | Path, entry: dict, error: type[Exception]) -> list[Path]:
    """The results files of an entry's completed units, as its manifest lists them (stray files never read)."""
    where = Path(folder) / entry["results_dir"]
    manifest = read_json(where / MANIFEST, error)
    return [where / name for task in entry["tasks_complete"] for name in manifest["units"][task]["files"]
            if is_results_file_name(name)]


def check_lineage(path: Path, entries: list[dict], error: type[Exception]) -> None:
    """Index entries must come from one training run or one lineage of runs (each continued from the last)."""
    runs = []
    for entry in entries:
        run = entry.get("run")
        if run and run not in runs:
            runs.append(run)
    for earlier, later in zip(runs, runs[1:]):
        parents = {str(e.get("parent") or "") for e in entries if e.get("run") == later}
        if not any(p and (p == earlier or p.startswith(earlier.rstrip("/") + "/")) for p in parents):
            raise error(f"{path}: checkpoints of unrelated runs mixed ({earlier} and {later}; a later run must "
                        "be continued from the earlier one): results of different models")


# ------------------------------------------------------------------------------------------ writing
class SweepStore:
    """Reads and writes one sweep output folder."""

    def __init__(self, out: Path, error: type[Exception] = ValueError):
        self.out = Path(out).absolute()
        self.root = self.out / CHECKPOINTS
        self.error = error  # the writing command's error class
        self.worker = "0/1"  # rank or shard / count of the process writing (recorded per unit)

    # ------------------------------------------------------------------------------------------ checks
    def check_compatible(self, runs: list[Path], checkpoints: list[Checkpoint], settings: dict) -> None:
        """Refuse an output folder that holds something else, another run's sweep, or other settings.

        A folder is accepted when it is empty / new, or its sweep shares a run with this call (the same run
        resumed, grown by new checkpoints, or joined by a branch), or a branch of this call starts from one of
        its checkpoints (or the reverse).
        """
        if not self.out.exists():
            return
        if not self.out.is_dir():
            raise self.error(f"{self.out}: exists and is not a folder (--output_path)")
        foreign = sorted(p.name for p in self.out.iterdir() if p.name not in OWNED and not p.name.startswith("."))
        if foreign and not (self.out / INDEX).exists():
            raise self.error(f"{self.out}: not empty and not a sweep folder (holds {foreign[0]}); "
                                  "give an empty or new --output_path")
        index = self.read_index()
        if index is None:
            if (self.out / INDEX).exists():
                raise self.error(f"{self.out / INDEX}: not a readable sweep index; remove it to rebuild it "
                                      "from the checkpoint manifests")
            return
        if index.get("format") != FORMAT:
            raise self.error(f"{self.out / INDEX}: format {index.get('format')!r}, expected {FORMAT!r}")
        old_settings = index.get("settings") or {}
        for name, value in settings.items():
            if name in old_settings and old_settings[name] != value:
                raise self.error(f"{self.out}: holds a sweep with {name}={old_settings[name]!r}, this call has "
                                      f"{name}={value!r}; results would mix; give another --output_path")
        old_runs = {str(r) for r in index.get("runs") or []}
        new_runs = {str(r) for r in runs}
        if not old_runs or old_runs & new_runs:
            return
        old_paths = {c.get("path") for c in index.get("checkpoints") or []} | {
            a for c in index.get("checkpoints") or [] for a in c.get("aliases") or []}
        new_paths = {str(c.path) for c in checkpoints} | {a for c in checkpoints for a in c.aliases}
        links = {_real(c.parent) for c in checkpoints if c.parent} & {_real(p) for p in old_paths if p}
        links |= {_real(c.get("parent")) for c in index.get("checkpoints") or [] if c.get("parent")} & {
            _real(p) for p in new_paths}
        if links:
            return
        shown = ", ".join(sorted(Path(r).name for r in old_runs))
        raise self.error(f"{self.out}: holds a sweep of other runs ({shown}); give another --output_path "
                              "(the same RUN_DIRs resume or extend it)")

    # ------------------------------------------------------------------------------------------ manifests
    def folder(self, key: str) -> Path:
        return self.root / key

    def manifest(self, key: str) -> dict | None:
        return read_json_or_none(self.folder(key) / MANIFEST)

    def manifests(self) -> list[dict]:
        if not self.root.is_dir():
            return []
        out = []
        for folder in sorted(self.root.iterdir()):
            data = read_json_or_none(folder / MANIFEST) if folder.is_dir() else None
            if data and data.get("key") == folder.name:
                out.append(data)
        return out

    def done(self, key: str) -> set[str]:
        data = self.manifest(key) or {}
        return set((data.get("units") or {}).keys())

    def clean(self, key: str) -> None:
        """Remove what a killed unit left in a checkpoint folder: files its manifest does not list, staging folders."""
        folder = self.folder(key)
        if not folder.is_dir():
            return
        data = self.manifest(key) or {"units": {}}
        listed = {MANIFEST} | {f for unit in data["units"].values() for f in unit.get("files", [])}
        for child in folder.iterdir():
            if child.name not in listed:
                shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink(missing_ok=True)

    def begin(self, ck: Checkpoint) -> dict:
        """The checkpoint's manifest (created or refreshed); leftovers of a killed unit are removed."""
        folder = self.folder(ck.key)
        folder.mkdir(parents=True, exist_ok=True)
        self.clean(ck.key)
        data = self.manifest(ck.key) or {"format": FORMAT, "units": {}}
        data.update(ck.entry())
        data.update(error=None, seen=_now())
        write_json_atomic(folder / MANIFEST, data)
        return data

    def record(self, ck: Checkpoint, task: str, staging: Path, seconds: float, forward_seconds: float) -> list[str]:
        """Move a finished unit's files from ``staging`` into the checkpoint folder, then list them (the commit)."""
        folder = self.folder(ck.key)
        names = []
        for path in sorted(p for p in staging.rglob("*") if p.is_file()):
            os.replace(path, folder / path.name)
            names.append(path.name)
        shutil.rmtree(staging, ignore_errors=True)
        data = self.manifest(ck.key) or {"format": FORMAT, "units": {}, **ck.entry()}
        data["units"][task] = {"files": names, "seconds": round(seconds, 3),
                               "forward_seconds": round(forward_seconds, 3), "finished": _now(), "worker": self.worker}
        data["error"] = None
        write_json_atomic(folder / MANIFEST, data)
        return names

    def fail(self, ck: Checkpoint, error: str) -> None:
        folder = self.folder(ck.key)
        data = self.manifest(ck.key) or {"format": FORMAT, "units": {}}
        data.update(ck.entry())
        data.update(error=error, seen=_now())
        write_json_atomic(folder / MANIFEST, data)

    def staging(self, ck: Checkpoint, task: str) -> Path:
        path = self.folder(ck.key) / f".staging-{task}-{os.getpid()}"
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        return path

    # ------------------------------------------------------------------------------------------ index
    def read_index(self) -> dict | None:
        return read_json_or_none(self.out / INDEX)

    def write_index(self, tasks: list[str], runs: list[Path], settings: dict) -> dict:
        """Rebuild ``sweep.json`` from every manifest in the folder (other shards' too) and rename it into place."""
        old = self.read_index() or {}
        all_tasks = list(dict.fromkeys([*(old.get("tasks") or []), *tasks]))
        all_runs = sorted({*(old.get("runs") or []), *(str(r) for r in runs)})
        candidates = []
        for data in self.manifests():
            units = data.get("units") or {}
            complete = [t for t in all_tasks if t in units]
            status = "failed" if data.get("error") else "complete" if len(complete) == len(all_tasks) else "partial"
            entry = {k: data.get(k) for k in ("key", "weights_sha256", "path", "name", "run", "branch", "stage",
                                              "parent", "words_seen", "tokens_seen", "global_step", "words_offset",
                                              "milestone_words", "position_source", "aliases", "tokenizer_sha256")}
            entry.update(results_dir=f"{CHECKPOINTS}/{data['key']}", tasks_complete=complete, status=status,
                         error=data.get("error"), seen=data.get("seen"))
            candidates.append(entry)
        newest: dict[str, dict] = {}
        for entry in sorted(candidates, key=lambda e: (e.get("seen") or "", e["key"])):
            newest[entry["path"]] = entry  # new weights written over an old folder: the newest seen wins
        entries = list(newest.values())
        superseded = [{"key": e["key"], "path": e["path"], "seen": e.get("seen")} for e in candidates
                      if newest[e["path"]] is not e]
        entries.sort(key=lambda e: (e.get("branch") or "", e.get("words_seen") if e.get("words_seen") is not None
                                    else -1, e.get("global_step") or -1, e.get("path") or ""))
        index = {"format": FORMAT, "tasks": all_tasks, "runs": all_runs, "settings": settings,
                 "checkpoints": entries, "superseded": superseded, "updated": _now()}
        write_json_atomic(self.out / INDEX, index)
        return index

    # ------------------------------------------------------------------------------------------ hashes
    def hash_cache(self) -> dict:
        return read_json_or_none(self.out / HASHES) or {}

    def save_hash_cache(self, cache: dict) -> None:
        try:
            write_json_atomic(self.out / HASHES, cache)
        except OSError:
            pass


def _real(path: str | None) -> str:
    return os.path.realpath(path) if path else ""
