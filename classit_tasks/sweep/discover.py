"""Find the checkpoints of training runs, where each sits in training, and what identifies its weights.

A checkpoint is a Hugging Face model folder (``config.json`` + ``*.safetensors`` / ``pytorch_model*.bin``) that is
a BabyLM milestone (``chck_{N}M`` / ``chck_{N}K``), a Trainer ``checkpoint-N`` folder, or any folder holding
classit_train's ``classit_state.json`` (stage-end folders). A folder named on the command line counts whatever its
name. Its position is read from ``classit_state.json`` (``words_seen``, ``tokens_seen``, ``global_step``), else
from its name (``chck_10M`` = 10M words; ``checkpoint-500`` = step 500), else from ``--positions``.

Checkpoints are identified by the SHA-256 of their weight files (not their path): the same weights under two
names are evaluated once, and new weights written over an old folder are a new checkpoint.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from classit_tasks.artifacts.checkpoints import (
    STATE_FILE, Checkpoint, amount, config_sha256, is_model_folder, looks_like_checkpoint, milestone_words,
    name_rank, read_state, read_trainer_state, run_dir_of, stage_of_folder, step_of, weights_sha256,
    tokenizer_sha256,
)
from classit_tasks.errors import ClassitError


class SweepInputError(ClassitError, ValueError):
    """Bad sweep input (one-line message naming the folder)."""


def _hidden(name: str) -> bool:
    return name.startswith(".") or ".old-" in name


def checkpoint_folders(root: Path) -> list[Path]:
    """Checkpoint folders at or below ``root`` (not below another checkpoint; symlinks and temporary folders of an
    unfinished save are skipped)."""
    if is_model_folder(root) and looks_like_checkpoint(root):
        return [root]
    found = []
    for here, dirs, _ in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not _hidden(d) and not (Path(here) / d).is_symlink())
        for d in list(dirs):
            folder = Path(here) / d
            if is_model_folder(folder) and looks_like_checkpoint(folder):
                found.append(folder)
                dirs.remove(d)  # never look inside a checkpoint
    return found


# ------------------------------------------------------------------------------------------------- positions
def parse_positions(text: str | None) -> dict[str, int]:
    """``--positions NAME=AMOUNT,...`` (NAME: a checkpoint folder's name or path) -> words seen per name."""
    out: dict[str, int] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        if not sep:
            raise SweepInputError(f"--positions {part!r}: give NAME=AMOUNT (e.g. checkpoint-100=1.5M)")
        try:
            out[name.strip()] = amount(value)
        except ValueError as e:
            raise SweepInputError(f"--positions {part!r}: {e}") from None
    return out


def _int(value) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def describe(folder: Path, positions: dict[str, int], explicit: bool = False) -> Checkpoint:
    """A checkpoint's run, branch, stage, parent and position (state file, else name, else ``--positions``)."""
    folder = folder.absolute()
    run = run_dir_of(folder) if not explicit or looks_like_checkpoint(folder) else folder.parent
    name = f"{folder.parent.name}/{folder.name}" if folder.parent.parent.name == "checkpoints" else folder.name
    ck = Checkpoint(path=folder, name=name, run=run, branch=run.name)
    if run.name == "snapshots" and run.parent.name.startswith("models--"):  # a Hub download (--revisions)
        ck.branch = run.parent.name.removeprefix("models--").replace("--", "/")
    state_path = folder / STATE_FILE
    state = read_state(folder) if state_path.is_file() else None
    if state_path.is_file() and state is None:
        raise SweepInputError(f"{state_path}: not valid JSON (a half-written state file?)")
    if state is not None:
        ck.words_seen, ck.tokens_seen = _int(state.get("words_seen")), _int(state.get("tokens_seen"))
        ck.global_step = _int(state.get("global_step"))
        ck.stage = state.get("stage") if isinstance(state.get("stage"), str) else None
        ck.branch = state.get("branch") if isinstance(state.get("branch"), str) and state["branch"] else ck.branch
        ck.parent = state.get("parent") if isinstance(state.get("parent"), str) else None
        if "parent" not in state:  # a state from before the key: the run's saved config says where it started
            ck.parent = _config_parent(run)
        ck.words_offset = _int(state.get("words_offset"))
        ck.milestone_words = _int(state.get("milestone_words"))
        ck.position_source = STATE_FILE
    else:
        words, step = milestone_words(folder.name), step_of(folder.name)
        if words is not None:
            ck.words_seen = words
            ck.position_source = "name"
        elif step is not None:
            ck.global_step = step
            trainer = read_trainer_state(folder) or {}
            ck.tokens_seen = _int(trainer.get("num_input_tokens_seen")) or None
            ck.position_source = "name"
        stage = stage_of_folder(folder.parent.name)
        ck.stage = stage if stage and folder.parent.parent.name == "checkpoints" else None
    for name in (str(folder), folder.name):
        if name in positions:
            ck.words_seen = positions[name]
            ck.position_source = "--positions"
            break
    return ck


def _config_parent(run: Path) -> str | None:
    """``model.init_from`` of the config classit-train saved in the run folder (``RUN/config.yaml``), if absolute."""
    path = run / "config.yaml"
    if not path.is_file():
        return None
    try:
        import yaml

        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        init_from = (config.get("model") or {}).get("init_from")
    except Exception:  # noqa: BLE001 - an unreadable config only means "unknown"
        return None
    return init_from if isinstance(init_from, str) and Path(init_from).is_absolute() else None


# ------------------------------------------------------------------------------------------------- discovery
def discover(paths: list[str | Path], positions: dict[str, int] | None = None,
             hash_cache: dict | None = None) -> list[Checkpoint]:
    """Every checkpoint under ``paths`` (run folders or checkpoint folders), one per distinct weights hash.

    Raises SweepInputError for a path without checkpoints, a checkpoint without a position, or two checkpoints of
    one branch at the same position with different weights.
    """
    positions = dict(positions or {})
    folders: dict[Path, bool] = {}
    for raw in paths:
        root = Path(raw).expanduser()
        if not root.exists():
            raise SweepInputError(f"{raw}: no such folder")
        if is_model_folder(root):
            folders.setdefault(root.absolute(), True)  # not resolved: a Hub revision is a symlink named by it
            continue
        found = checkpoint_folders(root)
        if not found:
            raise SweepInputError(f"{raw}: no checkpoints found (looked for chck_*, checkpoint-N and folders with "
                                  f"{STATE_FILE}, each with config.json and weights)")
        for folder in found:
            folders.setdefault(folder.resolve(), False)
    by_hash: dict[str, Checkpoint] = {}
    for folder, explicit in folders.items():
        ck = describe(folder, positions, explicit)
        ck.weights_sha256 = weights_sha256(folder, hash_cache)
        ck.tokenizer_sha256 = tokenizer_sha256(folder)
        ck.config_sha256 = config_sha256(folder)
        same = by_hash.get(ck.weights_sha256)
        if same is None:
            by_hash[ck.weights_sha256] = ck
            continue
        # one model, several folders: it stands at the earliest position it was seen (e.g. a base's last checkpoint,
        # not the first step of a run from it whose learning rate was still 0), then by folder kind and path
        first, second = sorted([same, ck], key=lambda c: (c.words_seen if c.words_seen is not None else math.inf,
                                                          name_rank(c.path.name), str(c.path)))
        first.aliases = sorted({*first.aliases, *second.aliases, str(second.path)})
        by_hash[ck.weights_sha256] = first
    used = {n for n in positions if any(n in (str(c.path), c.name, c.path.name) or n in c.aliases
                                        for c in by_hash.values())}
    unused = sorted(set(positions) - used)
    if unused:
        raise SweepInputError(f"--positions {unused[0]}: no checkpoint of that name or path")
    checkpoints = sorted(by_hash.values(), key=lambda c: (c.branch, order_key(c), str(c.path)))
    _check_positions(checkpoints)
    return checkpoints


def order_key(ck: Checkpoint) -> tuple:
    return (ck.words_seen if ck.words_seen is not None else -1, ck.global_step if ck.global_step is not None else -1)


def _check_positions(checkpoints: list[Checkpoint]) -> None:
    seen: dict[tuple, Checkpoint] = {}
    for ck in checkpoints:
        if ck.words_seen is None and ck.global_step is None:
            raise SweepInputError(f"{ck.path}: no position in training (no {STATE_FILE}, and the name is neither "
                                  "chck_{N}M nor checkpoint-N); give it with --positions NAME=WORDS")
        where = ("words", ck.words_seen) if ck.words_seen is not None else ("step", ck.global_step)
        other = seen.get((ck.branch, *where))
        if other is not None:
            raise SweepInputError(f"{ck.path}: same {where[0]} position ({where[1]:,}) in branch '{ck.branch}' as "
                                  f"{other.path}, with different weights; sweep them separately or set one with "
                                  "--positions")
        seen[(ck.branch, *where)] = ck
