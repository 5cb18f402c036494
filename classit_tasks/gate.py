"""``classit-eval gate``: the checkpoint regression gate (docs/ci-recipe.md) as a command of the installed package.

    classit-eval gate BASELINE CANDIDATE --data_dir DATA_DIR [--output_path OUT] [--tasks T] [--max_drop P]
                      [--alpha A] [--limit N] [--batch_size B] [--device D] [-- more compare flags]

BASELINE, CANDIDATE: a checkpoint folder (holds config.json; it is evaluated here, into OUT/results/<side>) or a
results folder written earlier by ``classit-eval … --output_path DIR --log_samples`` (same tasks, data, --limit).
DATA_DIR: the BabyLM evaluation data (default: that of ``classit-eval run``, $CLASSIT_DATA_DIR or the fetched
folder). OUT (default gate_out/) receives results/, compare.txt and compare.json. The old form
``gate BASELINE CANDIDATE DATA_DIR [OUT]`` still works for one release (with a deprecation line). Defaults come from the environment
variables of ``scripts/ci_gate.sh`` (GATE_TASKS, GATE_MAX_DROP, GATE_ALPHA, GATE_LIMIT, GATE_BATCH, GATE_DEVICE,
GATE_COMPARE_ARGS), which is now a thin wrapper around this command. Exit status: that of ``classit-eval compare``
(0 no significant regression, 1 regression, 2 bad input).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shlex
import shutil
import sys
from pathlib import Path
from typing import Callable

from classit_tasks.command import SubCommand
from classit_tasks.flags import alias, old_positionals

GATE = SubCommand("gate")


def _parser() -> argparse.ArgumentParser:
    env = os.environ.get
    p = GATE.parser(__doc__.split("\n\n")[0])
    p.add_argument("baseline")
    p.add_argument("candidate")
    p.add_argument("--data_dir", default=None, metavar="DATA_DIR",
                   help="BabyLM evaluation-data folder (default: $CLASSIT_DATA_DIR, else the fetched folder)")
    p.add_argument("--output_path", default="gate_out", metavar="OUT",
                   help="folder for results/, compare.txt and compare.json (default gate_out)")
    p.add_argument("--tasks", default=env("GATE_TASKS", "classit_zero_shot_fast"))
    p.add_argument("--max_drop", default=env("GATE_MAX_DROP", "1"))
    p.add_argument("--alpha", default=env("GATE_ALPHA", "0.05"))
    p.add_argument("--limit", default=env("GATE_LIMIT") or None)
    p.add_argument("--batch_size", default=env("GATE_BATCH", "256"))
    p.add_argument("--device", default=env("GATE_DEVICE", "cpu"))
    alias(p, "--max_drop", "--max-drop")
    old_positionals(p, "--data_dir", "--output_path")
    return p


def _results_of(name: str, path: str, args, evaluate: Callable[[list[str]], int]) -> str:
    """A results folder for ``path``: evaluated here (``evaluate``) when it is a checkpoint folder, used as is
    otherwise."""
    if not (Path(path) / "config.json").is_file():
        return path
    out = Path(args.output_path) / "results" / name
    shutil.rmtree(out, ignore_errors=True)
    argv = ["--model_args", f"pretrained={Path(path).resolve()}", "--tasks", args.tasks,
            *(["--data_dir", args.data_dir] if args.data_dir else []),
            "--device", args.device, "--batch_size", str(args.batch_size), "--output_path", str(out), "--log_samples"]
    if args.limit:
        argv += ["--limit", str(args.limit)]
    with contextlib.redirect_stdout(sys.stderr):  # stdout carries only the comparison
        code = evaluate(argv)
    if code:
        raise SystemExit(code)
    return str(out)


@GATE.entry
def main(argv: list[str], evaluate: Callable[[list[str]], int]) -> int:
    """Entry of ``classit-eval gate``; ``evaluate`` is ``classit-eval`` itself (classit_tasks.cli.main, which
    dispatches here: passed in so that the two modules do not import each other)."""
    argv = list(argv)
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1 :]
    if os.environ.get("GATE_COMPARE_ARGS"):
        extra = shlex.split(os.environ["GATE_COMPARE_ARGS"]) + extra
    args = _parser().parse_args(argv)
    for key in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ.setdefault(key, "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    out = Path(args.output_path)
    out.mkdir(parents=True, exist_ok=True)
    base = _results_of("baseline", args.baseline, args, evaluate)
    cand = _results_of("candidate", args.candidate, args, evaluate)

    from classit_tasks.report.cli import compare_main

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        rc = int(compare_main(["--baseline", base, "--candidate", cand, "--max_drop", str(args.max_drop),
                               "--alpha", str(args.alpha), "--output_path", str(out / "compare.json"),
                               *extra]) or 0)
    text = buffer.getvalue()
    (out / "compare.txt").write_text(text, encoding="utf-8")
    print(text, end="")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(f"### classit-eval compare (exit {rc})\n```\n{text}```\n")
    print(f"classit-eval compare exit status: {rc}")
    return rc
