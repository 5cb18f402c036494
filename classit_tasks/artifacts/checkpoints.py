"""Checkpoint folders as classit-train, the Trainer and BabyLM name and fill them, and what identifies their weights.

A checkpoint is a Hugging Face model folder (``config.json`` + ``*.safetensors`` / ``pytorch_model*.bin``). Its
name says where it sits in training: a BabyLM milestone ``chck_{N}M`` / ``chck_{N}K`` (words seen), a Trainer
``checkpoint-N`` (optimizer steps), a classit-train stage folder ``NN-<stage>``. classit-train writes
``classit_state.json`` beside the weights (``words_seen``, ``tokens_seen``, ``global_step``, ``stage``, ``branch``,
``parent``, ``words_offset``, ``milestone_words``); the Trainer writes ``trainer_state.json``.

The identity of a checkpoint is the SHA-256 of its files (:func:`sha256_files`): :func:`weights_sha256` over its
weight files (the sweep's key, the submission's model), :func:`model_files_sha256` over every file that defines
the model (weights, config, tokenizer; the ``--use_cache`` key, the model card).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from classit_tasks.artifacts.json_files import read_json_or_none

STATE_FILE = "classit_state.json"  # written by classit_train
TRAINER_STATE = "trainer_state.json"  # written by transformers' Trainer
WEIGHT_GLOBS = ("*.safetensors", "pytorch_model*.bin")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt",
                   "tokenizer.model")
# Files of a checkpoint folder whose content defines the model (weights, architecture, tokenizer) ...
MODEL_FILE_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".json", ".model", ".txt", ".jinja")
BOOKKEEPING = (TRAINER_STATE, STATE_FILE)  # ... except the training's bookkeeping
MILESTONE_PREFIX = "chck_"
MILESTONE = re.compile(rf"^{MILESTONE_PREFIX}(\d+(?:\.\d+)?)([KMB])$")
HF_STEP = re.compile(r"^checkpoint-(\d+)$")
STAGE_DIR = re.compile(r"^\d{2}-(.+)$")
UNITS = {"K": 10**3, "M": 10**6, "B": 10**9}
_AMOUNT = re.compile(r"\s*([0-9.]+(?:e[0-9]+)?)\s*([kKmMbB]?)\s*")
CHUNK = 1 << 20


# ------------------------------------------------------------------------------------------------- amounts and names
def parse_amount(text: str) -> float:
    """'10M' -> 1e7, '1.5k' -> 1500, '2e6' -> 2e6 (units K, M, B in either case)."""
    match = _AMOUNT.fullmatch(text)
    if not match:
        raise ValueError(f"not an amount: {text!r} (use e.g. 10M, 500K, 2e6)")
    return float(match.group(1)) * UNITS.get(match.group(2).upper(), 1)


def amount(text: str) -> int:
    """'10M' -> 10_000_000, '500K' -> 500_000, '2e6' -> 2_000_000."""
    return int(round(parse_amount(text)))


def milestone_name(words: int) -> str:
    """The BabyLM milestone folder name of a word count: 5_000_000 -> ``chck_5M``, 1_500_000 -> ``chck_1500K``."""
    return f"{MILESTONE_PREFIX}{words // 10**6}M" if words % 10**6 == 0 else f"{MILESTONE_PREFIX}{words // 1000}K"


def milestone_words(name: str) -> int | None:
    """Words seen that a milestone name says (``chck_10M`` -> 10_000_000; the last part of ``stage/chck_2M``);
    None for another name."""
    match = MILESTONE.match(PurePosixPath(str(name)).name)
    return amount(match.group(1) + match.group(2)) if match else None


def step_of(name: str) -> int | None:
    """The optimizer step a Trainer folder name says (``checkpoint-500`` -> 500), None for another name."""
    match = HF_STEP.match(PurePosixPath(str(name)).name)
    return int(match.group(1)) if match else None


def stage_of_folder(name: str) -> str | None:
    """The stage a classit-train stage folder name says (``01-pretrain`` -> ``pretrain``)."""
    match = STAGE_DIR.match(name)
    return match.group(1) if match else None


def name_rank(name: str) -> int:
    """Which of several names of the same weights is shown first: milestone, stage folder, Trainer step, other."""
    patterns = (MILESTONE, STAGE_DIR, HF_STEP)
    return next((i for i, pattern in enumerate(patterns) if pattern.match(name)), len(patterns))


def position_in_name(name: str) -> tuple[str, float] | None:
    """A position guessed from any folder name: ``checkpoint-500`` -> ("steps", 500); ``chck_10M``,
    ``ckpt-10M``, ``model_500k_words`` -> ("words", ...); None when the name says nothing."""
    match = re.search(r"checkpoint-(\d+)$", name)
    if match:
        return "steps", float(match.group(1))
    match = re.search(r"(?:chck|ckpt|words)[_-]?([0-9.]+[kKmMbB]?)(?:$|_)|([0-9.]+[kKmMbB])[_-]?words", name)
    if match:
        return "words", parse_amount(match.group(1) or match.group(2))
    return None


# ------------------------------------------------------------------------------------------------- folders
def weight_files(folder: Path) -> list[Path]:
    return sorted({p for pattern in WEIGHT_GLOBS for p in Path(folder).glob(pattern) if p.is_file()})


def model_files(folder: Path) -> list[Path]:
    """The files whose content defines the model (sorted by name; hidden files and bookkeeping left out)."""
    return [p for p in sorted(Path(folder).iterdir()) if p.is_file() and p.name.endswith(MODEL_FILE_SUFFIXES)
            and not p.name.startswith(".") and p.name not in BOOKKEEPING]


def is_model_folder(folder: Path) -> bool:
    return folder.is_dir() and (folder / "config.json").is_file() and bool(weight_files(folder))


def looks_like_checkpoint(folder: Path) -> bool:
    """Named as a milestone or a Trainer step, or holding classit-train's state file."""
    name = folder.name
    return bool(MILESTONE.match(name) or HF_STEP.match(name) or (folder / STATE_FILE).is_file())


def run_dir_of(folder: Path) -> Path:
    """The training run a checkpoint belongs to: ``RUN/chck_2M``, ``RUN/01-stage``,
    ``RUN/checkpoints/01-stage/checkpoint-N``."""
    parent = folder.parent
    if parent.parent.name == "checkpoints":
        return parent.parent.parent
    if parent.name == "checkpoints":
        return parent.parent
    return parent


def read_state(folder: Path) -> dict | None:
    """``classit_state.json`` of a checkpoint folder; None when absent or unreadable."""
    return read_json_or_none(Path(folder) / STATE_FILE)


def read_trainer_state(folder: Path) -> dict | None:
    """The Trainer's ``trainer_state.json`` of a checkpoint folder; None when absent or unreadable."""
    return read_json_or_none(Path(folder) / TRAINER_STATE)


# ------------------------------------------------------------------------------------------------- identity
def sha256_files(files: list[Path], cache: dict | None = None) -> str:
    """SHA-256 over the files' names and the SHA-256 of their bytes; ``cache`` maps path -> [size, mtime_ns, digest]
    of earlier calls (a file whose size and mtime did not change is not read again)."""
    digest = hashlib.sha256()
    for path in files:
        stat = path.stat()
        stamp = [stat.st_size, stat.st_mtime_ns]
        hit = (cache or {}).get(str(path))
        if hit and hit[:2] == stamp:
            part = hit[2]
        else:
            h = hashlib.sha256()
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 22), b""):
                    h.update(block)
            part = h.hexdigest()
            if cache is not None:
                cache[str(path)] = [*stamp, part]
        digest.update(path.name.encode() + b"\0" + part.encode() + b"\n")
    return digest.hexdigest()


def weights_sha256(folder: Path, cache: dict | None = None) -> str:
    """The identity of a checkpoint's weights (its weight files); a folder without weights gives the empty hash."""
    return sha256_files(weight_files(folder), cache)


def model_files_sha256(folder: Path) -> str:
    """The identity of everything that defines a local model: weights, config and tokenizer files."""
    return sha256_files(model_files(folder))


_IDENTITY_CACHE: dict[str, str] = {}


def weights_identity(pretrained: str | None) -> str:
    """What a ``pretrained=`` argument names: ``sha256:<weights hash>`` (:func:`weights_sha256`, the sweep's key)
    when it is a folder with weights, else its resolved path, else the name as given."""
    if not pretrained:
        return "unknown model"
    if pretrained not in _IDENTITY_CACHE:
        path = Path(pretrained).expanduser()
        folder = path.resolve()
        digest = weights_sha256(folder) if path.is_dir() and weight_files(folder) else None
        _IDENTITY_CACHE[pretrained] = f"sha256:{digest}" if digest else str(folder if path.exists() else pretrained)
    return _IDENTITY_CACHE[pretrained]


def tokenizer_sha256(folder: Path) -> str:
    return sha256_files([folder / n for n in TOKENIZER_FILES if (folder / n).is_file()])


def config_sha256(folder: Path) -> str:
    """Hash of config.json without the fields that do not change the computation (path, library version)."""
    config = read_json_or_none(folder / "config.json") or {}
    for noise in ("_name_or_path", "transformers_version"):
        config.pop(noise, None)
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()


# ------------------------------------------------------------------------------------------------- the record
@dataclass
class Checkpoint:
    """One checkpoint: the folder that holds it, where it sits in training, and what identifies its weights (as
    discovered on disk, or as a sweep index lists it)."""

    path: Path
    name: str
    run: Path
    branch: str
    stage: str | None = None
    parent: str | None = None
    words_seen: int | None = None
    tokens_seen: int | None = None
    global_step: int | None = None
    words_offset: int | None = None  # from the state file; None when the state predates the key
    milestone_words: int | None = None
    position_source: str = "unknown"
    weights_sha256: str = ""
    tokenizer_sha256: str = ""
    config_sha256: str = ""
    aliases: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.weights_sha256[:16]

    def entry(self) -> dict:
        """The checkpoint's fields in a sweep's manifests and index (docs/reports.md)."""
        return {"key": self.key, "weights_sha256": self.weights_sha256, "path": str(self.path), "name": self.name,
                "run": str(self.run), "branch": self.branch, "stage": self.stage, "parent": self.parent,
                "words_seen": self.words_seen, "tokens_seen": self.tokens_seen, "global_step": self.global_step,
                "words_offset": self.words_offset, "milestone_words": self.milestone_words,
                "position_source": self.position_source, "aliases": self.aliases,
                "tokenizer_sha256": self.tokenizer_sha256, "config_sha256": self.config_sha256}
