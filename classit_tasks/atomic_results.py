"""Write an evaluation's results JSON and samples files atomically, as one set.

lm-eval writes ``results_<time>.json`` first and then one ``samples_<task>_<time>.jsonl`` per task, each straight
to its final name, and only logs a warning when a write fails (the run still exits 0). A full disk then leaves a
valid results JSON beside a samples file cut mid-line; a kill during the writes leaves a results file that refers
to missing samples. ``staged_results`` replaces the two writers of lm-eval's ``EvaluationTracker`` for the duration
of a ``classit-eval run``: they only record what to write; ``ResultSet.commit`` then writes every file under a
temporary name in its final folder (flushed and fsync'ed), renames the samples files into place and the results
file last. So a results file exists only if every samples file it refers to does; any failure removes what this
set wrote and raises ``ResultsWriteError`` naming the path and the reason; Ctrl-C does the same and re-raises.
Temporary files left by a killed process (``.classit-tmp-<pid>-…``) are removed by the next commit in that folder.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterable, Iterator

TMP_PREFIX = ".classit-tmp-"


class ResultsWriteError(OSError):
    """A result file could not be written (one-line message naming the path and the reason)."""


@dataclass
class ResultSet:
    """The files of one evaluation, recorded by the patched tracker and written by ``commit``."""

    results: tuple[Path, str] | None = None
    samples: list[tuple[Path, list[dict]]] = field(default_factory=list)

    @property
    def paths(self) -> list[Path]:
        return [p for p, _ in self.samples] + ([self.results[0]] if self.results else [])

    def commit(self) -> list[Path]:
        """Write all files (samples first, results last); on any failure nothing of this set is left."""
        if self.results is None:
            return []
        written: list[Path] = []  # temporary files, then final files, of this set
        try:
            staged = []
            for path, rows in self.samples:
                staged.append((_stage(path, (json.dumps(_sanitized(r), default=_serializable, ensure_ascii=False)
                                             + "\n" for r in rows), written), path))
            path, text = self.results
            staged.append((_stage(path, [text], written), path))
            for tmp, final in staged:  # the results file is renamed last
                _rename(tmp, final)
                written.append(final)
        except BaseException:
            for path in written:
                with contextlib.suppress(OSError):
                    path.unlink()
            raise
        return [final for _, final in staged]


def _reason(err: OSError) -> str:
    return err.strerror or str(err) or type(err).__name__


def _stage(final: Path, chunks: Iterable[str], written: list[Path]) -> Path:
    """Write ``chunks`` to a temporary file beside ``final``; returns its path (recorded in ``written``)."""
    folder = final.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ResultsWriteError(f"{folder}: cannot create the output folder ({_reason(err)})") from None
    remove_stale_temporaries(folder)
    tmp = folder / f"{TMP_PREFIX}{os.getpid()}-{final.name}"
    try:
        handle = open(tmp, "w", encoding="utf-8")
    except OSError as err:
        raise ResultsWriteError(f"{final}: cannot write ({_reason(err)})") from None
    written.append(tmp)
    try:
        with handle:
            for chunk in chunks:
                write_chunk(handle, chunk)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as err:
        raise ResultsWriteError(f"{final}: cannot write ({_reason(err)})") from None
    return tmp


def write_chunk(handle, chunk: str) -> None:
    """One write (a seam for the tests' simulated full disk)."""
    handle.write(chunk)


def _rename(tmp: Path, final: Path) -> None:
    try:
        os.replace(tmp, final)
    except OSError as err:
        raise ResultsWriteError(f"{final}: cannot write ({_reason(err)})") from None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(folder: Path) -> None:
    """Remove ``.classit-tmp-<pid>-*`` files of processes that no longer run (a kill -9 during a commit)."""
    with contextlib.suppress(OSError):
        for path in folder.glob(f"{TMP_PREFIX}*"):
            pid = path.name[len(TMP_PREFIX):].split("-", 1)[0]
            if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
                with contextlib.suppress(OSError):
                    path.unlink()


# ------------------------------------------------------------------------------------------ lm-eval's file layout
def _serializable(value):
    from lm_eval.utils import handle_non_serializable

    return handle_non_serializable(value)


def _sanitized(sample: dict) -> dict:
    """A logged sample as lm-eval stores it: arguments as ``gen_args_i.arg_j``, responses as lists, target a str."""
    from lm_eval.utils import sanitize_list

    out = dict(sample)
    out["arguments"] = {f"gen_args_{i}": {f"arg_{j}": a for j, a in enumerate(arg)}
                        for i, arg in enumerate(sample["arguments"])}
    out["resps"] = sanitize_list(sample["resps"])
    out["filtered_resps"] = sanitize_list(sample["filtered_resps"])
    out["target"] = str(sample["target"])
    return out


def _folder(tracker) -> tuple[Path, bool]:
    """lm-eval's output location: (folder, whether --output_path named a .json file)."""
    path = Path(tracker.output_path)
    if path.suffix == ".json":
        return path.parent, True
    return path / str(tracker.general_config_tracker.model_name_sanitized), False


@contextlib.contextmanager
def staged_results() -> Iterator[ResultSet]:
    """Within the block, lm-eval's EvaluationTracker records its results and samples files in the yielded
    ResultSet instead of writing them (runs that push to the Hugging Face Hub keep lm-eval's own writers)."""
    from lm_eval.loggers.evaluation_tracker import EvaluationTracker
    from lm_eval.utils import hash_string

    pending = ResultSet()
    original_aggregated = EvaluationTracker.save_results_aggregated
    original_samples = EvaluationTracker.save_results_samples

    def save_results_aggregated(self, results: dict, samples: dict | None = None) -> None:
        if not self.output_path or self.push_results_to_hub or self.push_samples_to_hub:
            return original_aggregated(self, results, samples)
        self.general_config_tracker.log_end_time()
        hashes = {task: hash_string("".join(s["doc_hash"] + s["prompt_hash"] + s["target_hash"] for s in rows))
                  for task, rows in (samples or {}).items()}
        results.update({"task_hashes": hashes})
        results.update(asdict(self.general_config_tracker))
        text = json.dumps(results, indent=2, default=_serializable, ensure_ascii=False)
        self.date_id = datetime.now().isoformat().replace(":", "-")
        folder, single_file = _folder(self)
        name = f"{Path(self.output_path).stem}_{self.date_id}.json" if single_file else f"results_{self.date_id}.json"
        pending.results = (folder / name, text)

    def save_results_samples(self, task_name: str, samples: list[dict]) -> None:
        if not self.output_path or self.push_results_to_hub or self.push_samples_to_hub:
            return original_samples(self, task_name, samples)
        folder, _ = _folder(self)
        pending.samples.append((folder / f"samples_{task_name}_{self.date_id}.jsonl", samples))

    EvaluationTracker.save_results_aggregated = save_results_aggregated
    EvaluationTracker.save_results_samples = save_results_samples
    try:
        yield pending
    finally:
        EvaluationTracker.save_results_aggregated = original_aggregated
        EvaluationTracker.save_results_samples = original_samples
