"""What classit-train may delete, when it may reuse an output folder, and how a finished folder is published.

* **Only what it created.** Every temporary entry classit-train makes (``.staging``, ``.tmp-*``, ``.*.old-*``) is
  first recorded in the ``.classit-owned`` manifest of its folder; ``clean_owned`` removes the leftovers of a killed
  run by that list only. A user's file that happens to look temporary is never touched.
* **A finished run is not overwritten by another config.** ``prepare_output_dir`` (called once, after the config is
  validated) takes the folder's lock, compares the new config with the ``config.yaml`` of the run already there and
  refuses a finished run trained with other settings unless ``fresh`` is asked for (then it removes that run's own
  outputs, named by its config, and nothing else); on a resume it warns about every changed setting.
* **A folder appears complete or not at all.** ``publish_dir`` renames a fully written ``.tmp-*`` folder into place.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError
from .lock import lock_output_dir

logger = logging.getLogger("classit_train")
MANIFEST = ".classit-owned"
CONFIG_NAME = "config.yaml"
IGNORED_KEYS = ("config_path", "output_dir")  # where the config came from / went to: not a training setting


def claim(path: str | os.PathLike) -> Path:
    """Record ``path`` (about to be created) in its folder's manifest, so a later run may remove a leftover of it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    manifest = path.parent / MANIFEST
    names = _read_manifest(manifest)
    live = [n for n in names if "/" not in n and ((path.parent / n).exists() or (path.parent / n).is_symlink())]
    if path.name not in live or live != names:  # entries whose temporary is gone are dropped
        tmp = manifest.with_name(f"{MANIFEST}.tmp-{os.getpid()}")
        tmp.write_text("".join(f"{n}\n" for n in dict.fromkeys([*live, path.name])), encoding="utf-8")
        os.replace(tmp, manifest)
    return path


def _read_manifest(manifest: Path) -> list[str]:
    try:
        return [line.strip() for line in manifest.read_text(encoding="utf-8").splitlines() if line.strip()]
    except FileNotFoundError:
        return []


def clean_owned(folder: str | os.PathLike) -> None:
    """Remove the leftovers listed in ``folder``'s manifest (entries a killed classit-train created), then the list."""
    folder = Path(folder)
    manifest = folder / MANIFEST
    for name in _read_manifest(manifest):
        if "/" in name or name in ("", ".", ".."):
            continue  # never leave the folder, whatever the file says
        child = folder / name
        if child.is_symlink() or child.is_file():
            child.unlink(missing_ok=True)
        elif child.is_dir():
            shutil.rmtree(child, ignore_errors=True)
    manifest.unlink(missing_ok=True)


# ------------------------------------------------------------------------------------------- reusing a folder
def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flat(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        out = {}
        for i, item in enumerate(value):
            out.update(_flat(item, f"{prefix}[{i}]"))
        return out
    return {prefix: value}


def config_changes(old: dict, new: dict) -> list[str]:
    """``key: old -> new`` for every setting that differs (paths the config was read from / written to ignored)."""
    a = {k: v for k, v in _flat(old).items() if k.split(".")[0].split("[")[0] not in IGNORED_KEYS}
    b = {k: v for k, v in _flat(new).items() if k.split(".")[0].split("[")[0] not in IGNORED_KEYS}
    return [f"{k}: {a.get(k, '(unset)')!r} -> {b.get(k, '(unset)')!r}" for k in sorted(set(a) | set(b))
            if a.get(k) != b.get(k)]


def _is_finished(out: Path) -> bool:
    final = out / "final"
    return final.is_symlink() and final.resolve().is_dir()


def _remove_run(out: Path, old: dict) -> None:
    """Remove what the classit-train run described by ``old`` wrote into ``out`` (by name), nothing else."""
    names = ["final", "checkpoints", CONFIG_NAME]
    names += [f"{i + 1:02d}-{stage.get('name')}" for i, stage in enumerate(old.get("stages") or [])
              if isinstance(stage, dict)]
    if (old.get("tokenizer") or {}).get("train_files") and not (old.get("tokenizer") or {}).get("path"):
        names.append("tokenizer")
    names.append("selections")  # map-driven stage selections (data/selection.py)
    # milestone checkpoints (training/callbacks.py): chck_* folders that carry classit-train's state file
    names += sorted(p.name for p in out.glob("chck_*") if (p / "classit_state.json").is_file())
    for name in names:
        child = out / name
        if child.is_symlink() or child.is_file():
            child.unlink()
        elif child.is_dir():
            shutil.rmtree(child)
    logger.warning("--fresh: removed the previous run in %s (%s)", out, ", ".join(names))


def prepare_output_dir(out: Path, config, fresh: bool = False, is_main: bool = True) -> None:
    """Lock ``out``, check the new config against the run already there, clean our leftovers, write config.yaml."""
    out.mkdir(parents=True, exist_ok=True)
    if not is_main:
        return
    lock_output_dir(out)
    new = yaml.safe_load(yaml.safe_dump(dataclasses.asdict(config), sort_keys=False))
    saved = out / CONFIG_NAME
    old = None
    if saved.is_file():
        try:
            old = yaml.safe_load(saved.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError):
            old = None
    if isinstance(old, dict):
        changes = config_changes(old, new)
        if changes and fresh:
            _remove_run(out, old)
        elif changes and _is_finished(out):
            raise ConfigError(
                "output_dir", f"{out} holds a finished run trained with another config ({len(changes)} setting(s) "
                f"differ, e.g. {changes[0]}); choose another --output_path, or pass --fresh to replace that run")
        elif changes:
            logger.warning("resuming %s with %d changed setting(s): %s", out, len(changes), "; ".join(changes))
    clean_owned(out)
    tmp = claim(out / f".tmp-{CONFIG_NAME}")
    tmp.write_text(yaml.safe_dump(dataclasses.asdict(config), sort_keys=False), encoding="utf-8")
    os.replace(tmp, saved)


def remove_if_owned(path: str | os.PathLike) -> None:
    """Remove ``path`` if its folder's manifest says classit-train created it (a leftover of a killed run)."""
    path = Path(path)
    if path.name in _read_manifest(path.parent / MANIFEST) and (path.exists() or path.is_symlink()):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def publish_dir(tmp_dir: str | os.PathLike, final_dir: str | os.PathLike) -> None:
    """Atomically move a fully written ``tmp_dir`` to ``final_dir`` (replacing an older one)."""
    tmp_dir, final_dir = Path(tmp_dir), Path(final_dir)
    if final_dir.exists():
        # os.replace cannot replace a non-empty directory: move the old one aside first.
        old = claim(final_dir.with_name(f".{final_dir.name}.old-{os.getpid()}"))
        os.replace(final_dir, old)
        os.replace(tmp_dir, final_dir)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp_dir, final_dir)
    _fsync_dir(final_dir.parent)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
