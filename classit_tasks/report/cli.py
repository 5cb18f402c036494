"""``classit-eval report`` and ``classit-eval compare`` (dispatched from classit_tasks.cli).

Exit status: 0 ok; 1 ``compare`` found a significant regression; 2 bad input (one-line message on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from classit_tasks.artifacts.checkpoints import parse_amount
from classit_tasks.artifacts.results import RESULTS_PREFIX
from classit_tasks.command import SubCommand
from classit_tasks.flags import alias
from classit_tasks.report.errors import ReportInputError
from classit_tasks.report.scores import Settings

REPORT = SubCommand("report")
COMPARE = SubCommand("compare")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--metric", help="headline metric where a task reports it (e.g. acc_ties_half); "
                        "default: acc, spearman, ΔR², the fine-tuning score")
    parser.add_argument("--item_resamples", type=int, default=2000,
                        help="resamples of the items: bootstrap CIs and permutation tests (default 2000)")
    parser.add_argument("--slow_item_resamples", type=int, default=1000,
                        help="item resamples for aggregations that refit per resample, e.g. reading ΔR² (default 1000)")
    parser.add_argument("--ci", type=float, default=0.95, help="confidence level of the intervals (default 0.95)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the resampling (default 0)")
    parser.add_argument("--detail", action="store_true", help="also list every subgroup and subtask")
    parser.add_argument("--allow_nan", action="store_true",
                        help="show tasks with NaN/inf item scores without a value (compare: as regressions) "
                             "instead of stopping with an error")
    alias(parser, "--item_resamples", "--iters")
    alias(parser, "--slow_item_resamples", "--slow_iters", "--slow-iters")
    alias(parser, "--allow_nan", "--allow-nan")


def _settings(args: argparse.Namespace) -> Settings:
    if args.item_resamples < 100:
        raise ReportInputError(f"--item_resamples {args.item_resamples}: use at least 100 resamples")
    if not 0.5 < args.ci < 1:
        raise ReportInputError(f"--ci {args.ci}: give a level between 0.5 and 1, e.g. 0.95")
    return Settings(iters=args.item_resamples, slow_iters=args.slow_item_resamples, level=args.ci, seed=args.seed, metric=args.metric,
                    allow_nan=args.allow_nan)


def _check_runs(runs, settings: Settings) -> None:
    """Refuse NaN/inf item scores (unless --allow_nan) and a --metric no task of the runs reports."""
    from classit_tasks.names import unknown_name
    from classit_tasks.report.load import refuse_nonfinite

    refuse_nonfinite(runs, settings.allow_nan)
    if settings.metric:
        reported = {m for run in runs for task in run.results for m in run.metrics_of(task)}
        if settings.metric not in reported:
            raise ReportInputError(f"--metric: {unknown_name('metric', settings.metric, reported)}")


@REPORT.entry
def report_main(argv: list[str]) -> int:
    parser = REPORT.parser(
        description="Tables with 95%% bootstrap CIs over items and an HTML report with plots, for lm-eval results "
                    "written with --output_path DIR --log_samples (one folder per model/checkpoint).",
    )
    parser.add_argument("results", nargs="+", help=f"{RESULTS_PREFIX}<time>.json files or folders holding them, or the "
                        "output folder of classit-eval sweep (growth curves, pace, forgetting per series)")
    parser.add_argument("--output_path", default=None,
                        help="output folder (default ./classit_report; SWEEP/report for a sweep)")
    parser.add_argument("--label", action="append", default=[], metavar="NAME",
                        help="display name of each run, in order (repeat)")
    parser.add_argument("--x", choices=["words", "tokens", "steps", "order"], default=None,
                        help="x axis of growth curves (default: words, tokens, steps: the first all runs have)")
    parser.add_argument("--positions", default=None, metavar="V1,V2,…",
                        help="position of each run on the --x axis, in order (e.g. 1M,10M,100M); overrides the "
                             "state file and checkpoint names")
    parser.add_argument("--title", default="classit evaluation report")
    parser.add_argument("--no_html", action="store_true", help="only the Markdown and JSON files")
    parser.add_argument("--data_map", default=None, metavar="DIR",
                        help="a training run's data map folder (`classit-train data map`) to include in the report")
    _common(parser)
    alias(parser, "--output_path", "--out")
    alias(parser, "--no_html", "--no-html")
    args = parser.parse_args(argv)
    from classit_tasks.report.build import ReportOptions, build_report
    from classit_tasks.report.load import load_runs
    from classit_tasks.artifacts.sweep_folder import is_sweep
    from classit_tasks.report.sweep_runs import load_sweep

    settings = _settings(args)
    if args.data_map:
        from classit_tasks.report.data_map_link import attach_data_map, find_data_map

        find_data_map(args.data_map)  # fail before anything is written
    sweep = len(args.results) == 1 and is_sweep(args.results[0])
    runs = load_sweep(args.results[0]) if sweep else load_runs(args.results)
    _check_runs(runs, settings)
    if args.output_path is None:
        args.output_path = str(Path(args.results[0]) / "report") if sweep else "classit_report"
    if args.label:
        if len(args.label) != len(runs):
            raise ReportInputError(f"--label given {len(args.label)} times for {len(runs)} runs")
        for run, label in zip(runs, args.label):
            run.label = label
    axis = args.x
    if args.positions:
        values = [v for v in args.positions.split(",") if v.strip()]
        if len(values) != len(runs):
            raise ReportInputError(f"--positions has {len(values)} values for {len(runs)} runs")
        axis = axis if axis and axis != "order" else "words"
        for run, value in zip(runs, values):
            try:
                setattr(run.position, axis, parse_amount(value))
            except ValueError as e:
                raise ReportInputError(f"--positions: {e}") from None
            run.position.source = "--positions"
    report = build_report(runs, ReportOptions(Path(args.output_path), settings, args.detail, axis, args.title,
                                              not args.no_html))
    if args.data_map:
        attach_data_map(report, args.data_map)
    print(report.markdown)
    print(f"\nwrote {report.markdown_path}" + (f", {report.html_path}" if report.html_path else "")
          + f", {report.json_path} and {len(report.images)} figure(s) in {report.markdown_path.parent / 'img'}",
          file=sys.stderr)
    return 0


@COMPARE.entry
def compare_main(argv: list[str]) -> int:
    parser = COMPARE.parser(
        description="Paired comparison of two runs on the same items: difference, paired bootstrap CI and p-value "
                    "per task. Exit 1 when a task drops significantly by more than --max_drop (a CI gate).",
    )
    parser.add_argument("--baseline", required=True, nargs="+",
                        help="results JSON or folder of the baseline run; several = seed runs of one arm (averaged)")
    parser.add_argument("--candidate", required=True, nargs="+",
                        help="results JSON or folder of the candidate run; several = seed runs of one arm (averaged)")
    parser.add_argument("--max_drop", type=float, default=0.0,
                        help="tolerated drop in display points (accuracy ×100, ρ×100; default 0)")
    parser.add_argument("--alpha", type=float, default=0.05,
                        help="family-wise significance level over the gated tasks (Holm; default 0.05)")
    parser.add_argument("--output_path", dest="json_out", default=None, metavar="FILE",
                        help="also write the comparison as JSON to this file "
                             "('-': JSON on stdout instead of the table)")
    parser.add_argument("--tasks", nargs="+", default=None, metavar="PATTERN",
                        help="compare only leaf tasks matching these glob patterns")
    parser.add_argument("--gate_all", action="store_true",
                        help="gate on every row (with --detail: subgroups and subtasks too), not just top-level tasks")
    _common(parser)
    alias(parser, "--max_drop", "--max-drop")
    alias(parser, "--output_path", "--json")
    alias(parser, "--gate_all", "--gate-all")
    args = parser.parse_args(argv)
    from classit_tasks.report.compare import compare_runs, gate, to_json
    from classit_tasks.report.load import load_runs
    from classit_tasks.report.render import compare_table, plain

    settings = _settings(args)
    if not 0 < args.alpha < 1:
        raise ReportInputError(f"--alpha {args.alpha}: give a level between 0 and 1")
    from classit_tasks.report.seeds import merge_seed_runs

    sides = []
    for flag, paths in (("--baseline", args.baseline), ("--candidate", args.candidate)):
        arm = []
        for path in paths:
            found = load_runs([path], require_samples=True)
            if len(found) != 1:
                raise ReportInputError(f"{flag} {path}: holds {len(found)} runs (model folders); name one of them")
            arm += found
        sides.append(merge_seed_runs(arm, flag))
    base, cand = sides
    _check_runs(sides, settings)
    rows = compare_runs(base, cand, settings, tasks=args.tasks, detail=args.detail)
    regressions = gate(rows, args.max_drop, args.alpha, gate_all=args.gate_all)
    status = 1 if regressions else 0
    if args.json_out == "-":
        print(json.dumps(to_json(base, cand, rows, settings, args.max_drop, args.alpha, status), indent=2))
        return status
    print(f"baseline:  {base.label}\ncandidate: {cand.label}")
    print(f"diff = candidate - baseline (points); {settings.level:.0%} paired bootstrap CI ({settings.iters} "
          f"resamples); gate: drop > {args.max_drop:g} with Holm-adjusted p < {args.alpha:g}\n")
    print(plain(compare_table(rows, "baseline", "candidate")))
    if regressions:
        print(f"\nREGRESSION: {', '.join(r.task for r in regressions)}")
    else:
        print("\nno significant regression")
    if args.json_out:
        out = Path(args.json_out)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")  # never a half-written JSON at the final name
        try:
            tmp.write_text(json.dumps(to_json(base, cand, rows, settings, args.max_drop, args.alpha, status), indent=2),
                           encoding="utf-8")
            os.replace(tmp, out)
        finally:
            tmp.unlink(missing_ok=True)
    return status
