"""``classit-train configs list|show|copy``: the run configs shipped inside the package.

The configs live in ``classit_train/configs/`` (package data, so an installed wheel has them); the repository's
``configs/`` is a link to that folder, the path the docs use in a checkout. ``classit-train train`` also accepts a
shipped config's name (``classit-train train tiny_merged``) when no file of that name exists.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from ..errors import ConfigError


def _folder():
    return resources.files("classit_train").joinpath("configs")


def shipped_configs() -> dict[str, str]:
    """name (without .yaml) -> the config's text."""
    return {entry.name[: -len(".yaml")]: entry.read_text(encoding="utf-8")
            for entry in sorted(_folder().iterdir(), key=lambda e: e.name) if entry.name.endswith(".yaml")}


def _summary(text: str) -> str:
    """The config's first comment line (its one-line description)."""
    for line in text.splitlines():
        if line.startswith("#"):
            return line.lstrip("# ").strip()
    return ""


def config_text(name: str) -> str:
    configs = shipped_configs()
    key = name[: -len(".yaml")] if name.endswith(".yaml") else name
    if key not in configs:
        raise ConfigError("configs", f"no shipped config {name!r} (shipped: {', '.join(configs)})")
    return configs[key]


def resolve_config_path(path: str):
    """``path`` if it exists, else the shipped config of that name (a context manager gives a real file)."""
    if Path(path).exists() or "/" in path:
        return None
    try:
        config_text(path)
    except ConfigError:
        return None
    name = path if path.endswith(".yaml") else f"{path}.yaml"
    return resources.as_file(_folder().joinpath(name))


def cmd_configs(args) -> int:
    if args.configs_command == "list":
        configs = shipped_configs()
        width = max(map(len, configs))
        for name, text in configs.items():
            print(f"{name:<{width}}  {_summary(text)}")
        print(f"\n`classit-train configs show NAME` prints one; `classit-train configs copy NAME [DEST]` copies it.")
        return 0
    if args.configs_command == "show":
        print(config_text(args.name), end="")
        return 0
    text = config_text(args.name)
    name = args.name if args.name.endswith(".yaml") else f"{args.name}.yaml"
    dest = Path(args.dest) if args.dest else Path(name)
    if dest.is_dir():
        dest = dest / name
    if dest.exists() and not args.force:
        raise ConfigError("configs copy", f"{dest} exists (pass --force to overwrite)")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    shutil.move(str(tmp), str(dest))
    print(f"copied {name} to {dest}")
    return 0


def add_parser(sub) -> None:
    configs = sub.add_parser("configs", help="list, show or copy the shipped run configs (paper-size included)")
    configs_sub = configs.add_subparsers(dest="configs_command", required=True)
    configs_sub.add_parser("list", help="the shipped configs with their one-line descriptions")
    show = configs_sub.add_parser("show", help="print a shipped config")
    show.add_argument("name")
    copy = configs_sub.add_parser("copy", help="copy a shipped config to edit it")
    copy.add_argument("name")
    copy.add_argument("dest", nargs="?", default=None, help="file or folder (default: ./NAME.yaml)")
    copy.add_argument("--force", action="store_true", help="overwrite an existing file")
