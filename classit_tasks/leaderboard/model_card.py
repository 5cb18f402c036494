"""``classit-eval run --update_model_card``: evaluation scores into a checkpoint's model card (``README.md``).

The scores go between the ``<!-- classit-scores:start -->`` / ``<!-- classit-scores:end -->`` markers that
classit-train's cards carry (a card without them, or no card, gets an "Evaluation" section appended / a minimal
card). Successive runs accumulate: a task evaluated again replaces its rows; rows recorded for other weights (the
folder's content digest changed, e.g. a checkpoint retrained in place) are dropped. The rows are kept as JSON
inside an HTML comment, so the card can be re-rendered without parsing Markdown.
"""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from typing import Any

from classit_tasks.artifacts.checkpoints import model_files_sha256
from classit_tasks.artifacts.model_card import read_card, scores_block, stored_scores, with_scores_block, write_card


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
    lines = ["",
             f"Scores from `classit-eval` (model `{data['model']}`, lm-eval {data['lm_eval']}, weights sha256 "
             f"`{data['weights_sha256'][:12]}…`, last updated {data['updated']}):", "",
             "| task | metric | value | ± stderr |", "|---|---|---|---|"]
    for task in sorted(data["scores"]):
        for metric, (value, stderr) in sorted(data["scores"][task].items()):
            err = f"{stderr:.4f}" if isinstance(stderr, (int, float)) else "—"
            lines.append(f"| {task} | {metric} | {value:.4f} | {err} |")
    return scores_block(data, lines)


def update_model_card(folder: str | os.PathLike, results: dict) -> Path:
    """Merge ``results`` (lm-eval's results dict) into ``<folder>/README.md``; returns the card's path."""
    folder = Path(folder)
    card = read_card(folder)
    digest = model_files_sha256(folder)
    old: dict[str, Any] = stored_scores(card)
    scores = dict(old.get("scores", {})) if old.get("weights_sha256") == digest else {}
    scores.update(_metric_rows(results))
    config = results.get("config") or {}
    data = {"scores": scores, "weights_sha256": digest, "model": config.get("model", "?"),
            "lm_eval": results.get("lm_eval_version") or _lm_eval_version(),
            "updated": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    return write_card(folder, with_scores_block(card, _render(data)))


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
