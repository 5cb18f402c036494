"""``classit-eval run --update_model_card``: evaluation scores into a checkpoint's model card (``README.md``).

The scores go between the ``<!-- classit-scores:start -->`` / ``<!-- classit-scores:end -->`` markers that
classit-train's cards carry (a card without them, or no card, gets an "Evaluation" section appended / a minimal
card). Successive runs accumulate: a task evaluated again replaces its rows; rows recorded for other weights (the
folder's content digest changed, e.g. a checkpoint retrained in place) are dropped. The rows are kept as JSON
inside an HTML comment, so the card can be re-rendered without parsing Markdown.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
from pathlib import Path
from typing import Any

from classit_tasks.scoring.cache_key import folder_digest

START, END = "<!-- classit-scores:start -->", "<!-- classit-scores:end -->"
_DATA = re.compile(r"<!-- classit-scores-data: (.*?) -->", re.S)


def _metric_rows(results: dict) -> dict[str, dict[str, list]]:
    """task -> metric -> [value, stderr or None] for every numeric metric lm-eval reported."""
    rows: dict[str, dict[str, list]] = {}
    for task, metrics in (results.get("results") or {}).items():
        for key, value in metrics.items():
            if "_stderr" in key or key == "alias" or not isinstance(value, (int, float)) or isinstance(value, bool):
                continue
            name, _, filt = key.partition(",")
            stderr = metrics.get(f"{name}_stderr,{filt}") if filt else metrics.get(f"{name}_stderr")
            label = name if filt in ("", "none") else f"{name} ({filt})"
            rows.setdefault(task, {})[label] = [float(value), stderr if isinstance(stderr, (int, float)) else None]
    return rows


def _render(data: dict[str, Any]) -> str:
    lines = [START, f"<!-- classit-scores-data: {json.dumps(data, sort_keys=True)} -->", "",
             f"Scores from `classit-eval` (model `{data['model']}`, lm-eval {data['lm_eval']}, weights sha256 "
             f"`{data['weights_sha256'][:12]}…`, last updated {data['updated']}):", "",
             "| task | metric | value | ± stderr |", "|---|---|---|---|"]
    for task in sorted(data["scores"]):
        for metric, (value, stderr) in sorted(data["scores"][task].items()):
            err = f"{stderr:.4f}" if isinstance(stderr, (int, float)) else "—"
            lines.append(f"| {task} | {metric} | {value:.4f} | {err} |")
    lines.append(END)
    return "\n".join(lines)


def update_model_card(folder: str | os.PathLike, results: dict) -> Path:
    """Merge ``results`` (lm-eval's results dict) into ``<folder>/README.md``; returns the card's path."""
    folder = Path(folder)
    path = folder / "README.md"
    card = path.read_text(encoding="utf-8") if path.is_file() else f"# {folder.name}\n"
    digest = folder_digest(folder)
    old: dict[str, Any] = {}
    match = _DATA.search(card)
    if match:
        try:
            old = json.loads(match.group(1))
        except json.JSONDecodeError:
            old = {}
    scores = dict(old.get("scores", {})) if old.get("weights_sha256") == digest else {}
    scores.update(_metric_rows(results))
    config = results.get("config") or {}
    data = {"scores": scores, "weights_sha256": digest, "model": config.get("model", "?"),
            "lm_eval": results.get("lm_eval_version") or _lm_eval_version(),
            "updated": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    block = _render(data)
    if START in card and END in card:
        head, rest = card.split(START, 1)
        card = head + block + rest.split(END, 1)[1]
    else:
        card = card.rstrip("\n") + "\n\n## Evaluation\n\n" + block + "\n"
    tmp = path.with_name(".README.md.tmp")
    tmp.write_text(card, encoding="utf-8")
    os.replace(tmp, path)
    return path


def _lm_eval_version() -> str:
    from importlib.metadata import version

    return version("lm_eval")


def update_from_results(results: dict) -> str:
    """Update the card of the evaluated checkpoint; returns the line to print (what happened)."""
    model_args = (results.get("config") or {}).get("model_args") or {}
    if isinstance(model_args, str):
        from classit_tasks.harness import parse_args_string

        model_args = parse_args_string(model_args)
    pretrained = model_args.get("pretrained")
    if not pretrained or not Path(str(pretrained)).expanduser().is_dir():
        return f"--update_model_card: {pretrained or 'the model'} is not a local folder; no model card written"
    path = update_model_card(Path(str(pretrained)).expanduser(), results)
    return f"model card updated: {path}"
