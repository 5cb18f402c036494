"""``classit-eval``: lm-eval's own command line with classit's tasks and model registered.

    classit-eval [run] --model_args pretrained=CKPT --tasks classit_zero_shot_fast --data_dir DATA [lm-eval flags]
    classit-eval ls                       list classit's tasks and groups
    classit-eval tasks-dir                print the task folder for `lm_eval --include_path`
    classit-eval finetune|report|compare  fine-tuning wrapper, reports, checkpoint comparison
    classit-eval aoa SWEEP_DIR            age of acquisition (Chang & Bergen 2022) over a sweep's checkpoints
    classit-eval submit                   the BabyLM 2025 submission file from results, fine-tuning and a sweep
    classit-eval audit                    fragile items: near-ties of a run re-scored in float64
    classit-eval sweep RUN_DIR … --tasks T --output_path OUT   every checkpoint of training runs + growth report
    classit-eval gate BASE CAND DATA_DIR  the CI regression gate (evaluate both, then compare)
    classit-eval data fetch|check         download the evaluation data from OSF / verify a data folder

`run` takes every flag of `lm-eval run` and writes the same result files. It differs in three ways: only
classit's task folder is indexed (the stock CLI indexes ~14k YAMLs on every start), the model defaults to
`classit-hf` (exact BabyLM 2025 scoring, see docs/parity.md), and bad input ends with a one-line error and exit
status 2, before any result file is written.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable

from classit_tasks.command import PROG
from classit_tasks.errors import UsageError, fail, guarded

# Sub-commands implemented in their own modules (imported by entry_of): name -> help
SUBCOMMANDS = {
    "finetune": "fine-tune and evaluate on (Super)GLUE",
    "report": "tables and an HTML report with confidence intervals",
    "compare": "paired comparison of two checkpoints (CI gate)",
    "aoa": "age of acquisition over the checkpoints of a sweep",
    "submit": "the BabyLM 2025 submission file (collate_preds.py layout)",
    "audit": "re-score near-tied ranking items in float64 (fragile-item audit)",
    "sweep": "evaluate every checkpoint of training runs, growth report",
    "data": "fetch the BabyLM 2025 evaluation data from OSF, or check a data folder",
    "gate": "evaluate two checkpoints and compare them: the CI regression gate",
}
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model", "vocab.json")


def check_checkpoint(model_args: dict) -> None:
    """A local checkpoint must exist and carry a tokenizer (or name one with tokenizer=)."""
    pretrained = model_args.get("pretrained")
    if not pretrained:
        return
    path = Path(str(pretrained)).expanduser()
    looks_local = path.is_absolute() or str(pretrained).startswith(".") or path.exists()
    if not looks_local:
        return  # a hub id
    if not path.is_dir():
        raise UsageError(f"{pretrained}: checkpoint folder not found")
    if not (path / "config.json").is_file():
        raise UsageError(f"{pretrained}: not a Hugging Face checkpoint (no config.json)")
    from classit_tasks.scoring.checkpoint_check import CheckpointError, check_checkpoint_files

    try:
        check_checkpoint_files(path, str(model_args.get("trust_remote_code")).lower() in {"true", "1", "yes"})
    except CheckpointError as err:
        raise UsageError(str(err)) from None
    if not model_args.get("tokenizer") and not any((path / name).is_file() for name in TOKENIZER_FILES):
        raise UsageError(
            f"{pretrained}: checkpoint has no tokenizer (none of {', '.join(TOKENIZER_FILES)}); "
            "save it with the model or pass tokenizer=PATH in --model_args"
        )


def run(argv: list[str]) -> int:
    from classit_tasks import harness, nonfinite, run_checks, task_dir
    from classit_tasks.artifacts.results import ResultSet
    from classit_tasks.names import unknown_name
    from classit_tasks.leaderboard.summary import print_summary
    from classit_tasks.scoring.cache_key import keyed_cache_path
    from classit_tasks.scoring.model import DEFAULT_BATCH_ROWS
    from classit_tasks.tasks.hf_rule import CLASSIT_MODEL_NAMES

    parser, run_parser = harness.run_parser(PROG)
    run_parser.add_argument(
        "--data_dir", default=None, metavar="<path>",
        help="BabyLM evaluation-data folder (default: $CLASSIT_DATA_DIR)",
    )
    run_parser.add_argument(
        "--allow_nan", action="store_true",
        help="score items with a NaN/inf log-likelihood as wrong and report them (default: stop with an error)",
    )
    from classit_tasks.flags import alias

    alias(run_parser, "--allow_nan", "--allow-nan")
    run_parser.add_argument(
        "--update_model_card", action="store_true",
        help="write the scores into the checkpoint's README.md (model card) when pretrained= is a local folder",
    )
    args = parser.parse_args(["run", *argv])
    if args.model is None:
        args.model = "classit-hf"
    if args.model not in harness.model_names():
        raise UsageError(f"--model: {unknown_name('model', args.model, harness.model_names())}")
    allow_nan = vars(args).pop("allow_nan")
    if allow_nan and args.model not in CLASSIT_MODEL_NAMES:
        raise UsageError(f"--allow_nan is a classit-hf setting; with --model {args.model} set {nonfinite.ENV}=1 "
                         "instead")
    if args.model in CLASSIT_MODEL_NAMES and getattr(args, "batch_size", None) is None:
        args.batch_size = str(DEFAULT_BATCH_ROWS)  # lm-eval's default, 1, would score one row per forward pass
    limit = getattr(args, "limit", None)
    if limit is not None and float(limit) <= 0:
        raise UsageError(f"--limit {limit:g}: give a positive number of documents per task (or a fraction below 1)")
    data_dir = vars(args).pop("data_dir")
    update_card = vars(args).pop("update_model_card")
    harness.setup_lm_eval_logging(getattr(args, "verbosity", None))
    if data_dir and not Path(data_dir).is_dir():
        raise UsageError(f"{data_dir}: evaluation-data folder not found (--data_dir)")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # lm-eval hands model_args | --metadata to every task's custom_dataset loader: the data folder and the model's
    # name reach classit's loaders that way (under what the user gave), not through the process environment.
    metadata = run_checks.run_metadata(args.model, data_dir)

    captured: dict = {}

    def evaluate(simple_evaluate, *a, **kw):
        model_args = kw.get("model_args")
        if allow_nan:  # classit-hf lets non-finite scores through, marked, and the metrics score them as wrong
            model_args = kw["model_args"] = {**(harness.parse_args_string(model_args) if isinstance(model_args, str)
                                                else model_args or {}), "allow_nan": True}
        if isinstance(model_args, dict):
            check_checkpoint(model_args)
        refusal = run_checks.check_chat_template(kw.get("apply_chat_template"), kw.get("tasks"))
        if refusal:
            raise UsageError(refusal)
        if kw.get("use_cache"):  # lm-eval keys its cache by request only: add the model's identity (cache_key.py)
            kw["use_cache"] = keyed_cache_path(kw["use_cache"], kw.get("model") or "hf", model_args)
        wanted_samples = kw.get("log_samples", True)
        if allow_nan:  # the items scored as wrong are counted from the samples
            kw["log_samples"] = True
        results = simple_evaluate(*a, **kw)
        if results is not None and allow_nan:
            captured["nonfinite"] = nonfinite.items_in_samples(results.get("samples") or {})
            if not wanted_samples:
                results.pop("samples", None)
        captured["results"] = results
        return results

    pending = ResultSet()  # results and samples files are written as one set, or not at all
    try:
        with harness.classit_run_patches(evaluate, task_dir(), run_checks.quiet_git_hash, metadata, pending):
            args.func(args)
        pending.commit()
    except ValueError as err:  # lm-eval's own (classit's errors are ValueErrors too: they go on as they are)
        if str(err).startswith("Tasks not found"):
            raise UsageError(f"{err} (see `{PROG} ls`)") from None
        raise
    if captured.get("results"):
        print_summary(captured["results"])
        if update_card:
            from classit_tasks.leaderboard.model_card import update_from_results

            print(update_from_results(captured["results"]))
    wrong = captured.get("nonfinite")
    if wrong:
        print(f"{PROG}: warning: {len(wrong)} item(s) had non-finite scores and were scored as wrong "
              f"(--allow_nan), e.g. {wrong[0]}", file=sys.stderr)
    return 0


def list_tasks() -> int:
    from classit_tasks import harness, task_dir

    print(harness.list_tasks(task_dir()))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv else ""
    if command in ("-h", "--help", ""):
        print(__doc__.strip())
        return 0
    if command == "tasks-dir":
        from classit_tasks import task_dir

        print(task_dir())
        return 0
    if command == "ls":
        return list_tasks()
    if command in SUBCOMMANDS:
        try:
            entry = entry_of(command)
        except ImportError as err:
            return fail(PROG, UsageError(f"'{command}' is not available in this installation ({err})"))
        return guarded(f"{PROG} {command}", lambda: entry(argv[1:]))
    if command == "run":
        argv = argv[1:]
    return guarded(PROG, lambda: run(argv))


def entry_of(command: str) -> Callable[[list[str]], int]:
    """The entry function of a sub-command (imported only when it runs: each pulls in its own dependencies)."""
    match command:  # the sub-command's name (not a task family: `aoa` here is the command)
        case "finetune":
            from classit_tasks.finetune.cli import main as entry
        case "report":
            from classit_tasks.report.cli import report_main as entry
        case "compare":
            from classit_tasks.report.cli import compare_main as entry
        case "aoa":
            from classit_tasks.report.aoa import aoa_main as entry
        case "submit":
            from classit_tasks.leaderboard.submission import main as entry
        case "audit":
            from classit_tasks.scoring.audit import main as entry
        case "sweep":
            from classit_tasks.sweep.cli import sweep_main as entry
        case "data":
            from classit_tasks.tasks.fetch import main as entry
        case "gate":
            from classit_tasks.gate import main as gate_main

            return lambda argv: gate_main(argv, evaluate=main)  # the gate runs classit-eval: passed in, not imported
        case _:
            raise KeyError(command)
    return entry


if __name__ == "__main__":
    sys.exit(main())
