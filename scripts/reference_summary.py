#!/usr/bin/env python
"""Collect a finished reference run (scripts/reference_run.sh) into the folder that is committed:
docs/results/reference-cpu/ gets summary.json, the reports' Markdown and JSON, the figures and timings.tsv, never
a checkpoint.

    python scripts/reference_summary.py runs/reference-cpu docs/results/reference-cpu

summary.json holds, per checkpoint of the sweep (words seen, branch, stage) and per final model, each task's score
under lm-eval's task name and metric key ("acc,none", ...) with its 95 % bootstrap CI over items, in the display
scale of classit's reports (accuracy x100, Spearman rho x100, reading 100 x dR2/(1-R2)); fine-tuning scores are
the mean over seeds, with a CI over items of the seed-averaged predictions. The paired comparisons are copied as written by `classit-eval compare`.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path


def _rows(run: dict) -> dict:
    tasks = {}
    for row in run["rows"]:
        tasks.setdefault(row["name"], {})[f"{row['metric']},none"] = {
            "score": row["score"], "ci95": [row["ci_low"], row["ci_high"]], "n": row["n"], "chance": row["chance"]}
    return tasks


def _relative(value, root: str):
    """Paths inside the run folder written relative to it (the committed summary names no machine's folders)."""
    if isinstance(value, str) and value.startswith(root + "/"):
        return value[len(root) + 1:]
    if isinstance(value, dict):
        return {k: _relative(v, root) for k, v in value.items()}
    if isinstance(value, list):
        return [_relative(v, root) for v in value]
    return value


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python scripts/reference_summary.py RUN_DIR DEST", file=sys.stderr)
        return 2
    run_dir, dest = Path(argv[0]).resolve(), Path(argv[1])
    sweep = json.loads((run_dir / "sweep" / "report" / "report.json").read_text())
    finals = json.loads((run_dir / "report" / "report.json").read_text())
    summary = {
        "scale": "display scale of classit reports: accuracy x100, Spearman rho x100, reading 100*dR2/(1-R2)",
        "ci": "95% bootstrap over items (fine-tuning: items scored by their mean over the seeds)",
        "checkpoints": [{"checkpoint": r["label"], **{k: v for k, v in r["position"].items() if v is not None},
                         **({"sweep": r["sweep"]} if "sweep" in r else {}), "tasks": _rows(r)}
                        for r in sweep["runs"]],
        "final_models": {r["label"]: _rows(r) for r in finals["runs"]},
        "pace": sweep.get("pace", []),
        "forgetting": sweep.get("series", {}).get("forgetting", []),
        "aoa": sweep.get("series", {}).get("aoa"),
        "comparisons": {p.stem.removeprefix("compare_"): json.loads(p.read_text())
                        for p in sorted((run_dir / "report").glob("compare_*.json"))},
    }
    summary = _relative(summary, str(run_dir.resolve()))
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    shutil.copy(run_dir / "timings.tsv", dest / "timings.tsv")
    for name, source in (("final-models", run_dir / "report"), ("sweep", run_dir / "sweep" / "report"),
                         ("aoa", run_dir / "sweep" / "aoa")):
        target = dest / name
        if target.exists():
            shutil.rmtree(target)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.html", "aoa.json", "report.json"))
    print(f"wrote {dest / 'summary.json'} ({len(summary['checkpoints'])} checkpoints) and the reports under {dest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
