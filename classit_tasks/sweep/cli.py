"""``classit-eval sweep``: evaluate every checkpoint of training runs, then write the growth report.

    classit-eval sweep RUN_DIR [RUN_DIR ...] --tasks classit_zero_shot_fast --output_path OUT [--limit N]
    classit-eval sweep ORG/MODEL --revisions chck_1M,chck_2M,... --tasks ... --output_path OUT   (needs network)

Scale-out: under ``torchrun`` / ``accelerate launch`` (WORLD_SIZE > 1) rank r evaluates checkpoints r, r + W, …
and rank 0 writes the report after a barrier (gloo, or nccl on GPUs); ``--shard I/N`` does the same split without
a launcher (e.g. a Slurm array: one task per shard, all writing to one OUT; a last call without --shard writes
the report and evaluates whatever a shard left undone).

Exit status: 0 all done; 1 some checkpoint failed to load or evaluate (the others were evaluated); 2 bad input.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from classit_tasks.command import SubCommand
from classit_tasks.flags import alias

SWEEP = SubCommand("sweep")


def _parser() -> argparse.ArgumentParser:
    p = SWEEP.parser(__doc__.split("\n\n")[0])
    p.add_argument("runs", nargs="+", metavar="RUN_DIR",
                   help="training run folders, checkpoint folders, or (with --revisions) a Hub model id")
    p.add_argument("--tasks", required=True, help="comma-separated tasks / groups, e.g. classit_zero_shot_fast")
    p.add_argument("--output_path", required=True, help="sweep folder (results per checkpoint, sweep.json, report)")
    p.add_argument("--data_dir", default=None, help="BabyLM evaluation-data folder (default: $CLASSIT_DATA_DIR)")
    p.add_argument("--limit", type=float, default=None, help="items per subtask (testing only, as in lm-eval)")
    p.add_argument("--batch_size", type=int, default=None, help="rows per forward pass (default 64)")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:0, … (default: cuda:LOCAL_RANK if any, else cpu)")
    p.add_argument("--model_args", default="",
                   help="extra classit-hf args, e.g. max_tokens_per_batch=8192,dtype=float32")
    p.add_argument("--positions", default=None, metavar="NAME=WORDS,…",
                   help="words seen of checkpoints without a state file or milestone name (folder name or path)")
    p.add_argument("--revisions", default=None, metavar="REV,…",
                   help="with a Hub model id: the revisions (branches) to download and sweep, e.g. chck_1M,chck_2M")
    p.add_argument("--shard", default=None, metavar="I/N", help="evaluate only the I-th of N disjoint shares (0-based)")
    p.add_argument("--bootstrap_iters", type=int, default=0,
                   help="lm-eval's own stderr resamples per checkpoint (default 0: the report computes item-level "
                        "bootstrap CIs)")
    p.add_argument("--item_resamples", type=int, default=1000,
                   help="report: resamples of the items for bootstrap CIs and tests (default 1000)")
    p.add_argument("--no_report", action="store_true", help="do not write the growth report at the end")
    alias(p, "--item_resamples", "--iters")
    return p


def _shard(text: str | None) -> tuple[int, int]:
    from classit_tasks.sweep.discover import SweepInputError

    if text:
        try:
            i, n = (int(v) for v in text.split("/"))
        except ValueError:
            raise SweepInputError(f"--shard {text}: give I/N, e.g. 0/4") from None
        if not (n >= 1 and 0 <= i < n):
            raise SweepInputError(f"--shard {text}: need 0 <= I < N")
        return i, n
    return int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))


def _model_kwargs(text: str) -> dict:
    from classit_tasks.harness import parse_args_string
    from classit_tasks.sweep.discover import SweepInputError

    kwargs = parse_args_string(text) if text else {}
    if "pretrained" in kwargs:
        raise SweepInputError("--model_args: pretrained= is set per checkpoint by the sweep; give RUN_DIRs instead")
    return kwargs


@SWEEP.entry
def sweep_main(argv: list[str]) -> int:
    return _sweep(_parser().parse_args(argv))


def _sweep(args) -> int:
    from classit_tasks.sweep.discover import SweepInputError, discover, parse_positions
    from classit_tasks.sweep.hub import download_revisions
    from classit_tasks.artifacts.sweep_folder import SweepStore

    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    if not tasks:
        raise SweepInputError("--tasks: give at least one task")
    if args.data_dir:
        if not Path(args.data_dir).is_dir():
            raise SweepInputError(f"{args.data_dir}: evaluation-data folder not found (--data_dir)")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    rank, world = _shard(args.shard)
    launched = args.shard is None and world > 1
    model_kwargs = _model_kwargs(args.model_args)
    dtype = str(model_kwargs.pop("dtype", "float32"))
    limit = args.limit
    if limit is not None and limit >= 1:
        limit = int(limit)
    settings = {"limit": limit, "dtype": dtype}
    store = SweepStore(Path(args.output_path), SweepInputError)
    store.worker = f"{rank}/{world}"
    paths = list(args.runs)
    if args.revisions:
        paths = download_revisions(paths, [r.strip() for r in args.revisions.split(",") if r.strip()])
    hash_cache = store.hash_cache()
    checkpoints = discover(paths, parse_positions(args.positions), hash_cache)
    runs = sorted({c.run for c in checkpoints})
    store.check_compatible(runs, checkpoints, settings)
    if rank == 0:
        store.save_hash_cache(hash_cache)
    manager = _check_tasks(tasks, args.data_dir)
    # Group by tokenizer (rows are built once per tokenizer), then follow training order; deal out round-robin.
    first_seen = {t: i for i, t in reversed(list(enumerate(c.tokenizer_sha256 for c in checkpoints)))}
    ordered = sorted(checkpoints, key=lambda c: first_seen[c.tokenizer_sha256])
    mine = ordered[rank::world]
    who = f" (shard {rank}/{world})" if world > 1 else ""
    SWEEP.say(f"{len(checkpoints)} checkpoint(s) in {len(runs)} run(s){who}; tasks: {', '.join(tasks)}; "
         f"output: {store.out}")

    device = args.device or _default_device()
    failures = _evaluate(store, mine, tasks, manager, settings, runs, limit, args, model_kwargs, dtype, device)

    if launched:
        failures = _gather_failures(failures)
    index = store.write_index(tasks, runs, settings)
    if rank == 0 and args.shard is None and not args.no_report:
        pending = [c for c in index["checkpoints"] if c["status"] != "complete"]
        if pending:
            SWEEP.say(f"{len(pending)} checkpoint(s) not complete (e.g. {pending[0]['path']}); the report "
                 "covers the complete ones")
        _write_report(store, args.item_resamples)
    return 1 if failures else 0


def _check_tasks(tasks: list[str], data_dir: str | None = None):
    from classit_tasks import harness, task_dir
    from classit_tasks.run_checks import run_metadata
    from classit_tasks.sweep.discover import SweepInputError

    import classit_tasks.scoring.model  # noqa: F401  (registers classit-hf)

    # the loaders get the data folder and the model's name through lm-eval's task metadata (run_checks.run_metadata)
    manager = harness.task_manager(task_dir(), run_metadata("classit-hf", data_dir))
    unknown = [t for t in tasks if t not in manager.all_tasks]
    if unknown:
        raise SweepInputError(f"--tasks {unknown[0]}: no such classit task or group (see `classit-eval ls`)")
    return manager


def _default_device() -> str:
    import torch

    if torch.cuda.is_available():
        return f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}"
    return "cpu"


def _evaluate(store, mine, tasks, manager, settings, runs, limit, args, model_kwargs, dtype, device) -> int:
    from tqdm import tqdm

    from classit_tasks.tasks.data import ClassitDataError
    from classit_tasks.scoring.model import ClassitModelError
    from classit_tasks.sweep.discover import SweepInputError
    from classit_tasks.sweep.engine import SweepEngine, write_lm_eval_files

    engine = SweepEngine(manager, limit=limit, batch_size=args.batch_size, device=device, model_kwargs=model_kwargs,
                         bootstrap_iters=args.bootstrap_iters, dtype=dtype, say=SWEEP.say)
    failures = 0
    for ck in mine:  # this process's share only: other shards may be writing theirs
        store.clean(ck.key)
    todo = [(c, [t for t in tasks if t not in store.done(c.key)]) for c in mine]
    try:  # build the tasks (read and check the data) before any checkpoint is loaded
        for task in dict.fromkeys(t for _, left in todo for t in left):
            engine.tasks(task)
    except ClassitDataError as err:
        raise SweepInputError(str(err)) from None
    skipped = sum(len(tasks) - len(left) for _, left in todo)
    if skipped:
        SWEEP.say(f"{skipped} (checkpoint, task) unit(s) already complete in {store.out}: skipped")
    for ck, left in tqdm([(c, left) for c, left in todo if left], desc="sweep checkpoints", disable=not todo):
        store.begin(ck)
        try:
            engine.load(ck)
        except Exception as err:  # noqa: BLE001 - any unloadable checkpoint: report it and go on
            message = f"cannot load: {_one_line(err)}"
            SWEEP.say(f"error: {ck.path}: {message}")
            store.fail(ck, message)
            failures += 1
            continue
        for task in left:
            start = time.perf_counter()
            try:
                results, samples, forward = engine.evaluate(task)
                staging = store.staging(ck, task)
                write_lm_eval_files(results, samples, staging, str(ck.path))
                store.record(ck, task, staging, time.perf_counter() - start, forward)
                store.write_index(tasks, runs, settings)  # every process: rebuilt from all manifests, renamed in
            except (ClassitDataError, ClassitModelError) as err:
                raise SweepInputError(str(err)) from None
            except Exception as err:  # noqa: BLE001
                message = f"{task}: {_one_line(err)}"
                SWEEP.say(f"error: {ck.path}: {message}")
                store.fail(ck, message)
                failures += 1
                break
        if store.manifest(ck.key).get("error"):
            store.write_index(tasks, runs, settings)
    stats = engine.totals()
    SWEEP.say(f"model objects built {stats['model_builds']}, weights swapped in {stats['weight_swaps']}; "
         f"requests tokenized {stats['prepare_builds']}x, reused {stats['prepare_reuses']}x; forward passes "
         f"{stats['forward_seconds']:.1f} s")
    return failures


def _one_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else ''}"[:300]


def _gather_failures(failures: int) -> int:
    """Barrier of the launched ranks (gloo on CPU); every rank learns the total failure count."""
    import datetime

    import torch
    import torch.distributed as dist

    if not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend=backend, timeout=datetime.timedelta(days=7))
    total = torch.tensor([failures], dtype=torch.long)
    if dist.get_backend() == "nccl":
        total = total.cuda()
    dist.all_reduce(total)
    return int(total.item())


def _write_report(store, item_resamples: int) -> None:
    from classit_tasks.report.build import ReportOptions, build_report
    from classit_tasks.report.errors import ReportInputError
    from classit_tasks.report.scores import Settings
    from classit_tasks.artifacts.sweep_folder import report_folder
    from classit_tasks.report.sweep_runs import load_sweep

    try:
        runs = load_sweep(store.out)
        settings = Settings(iters=item_resamples, slow_iters=min(item_resamples, 500))
        report = build_report(runs, ReportOptions(report_folder(store.out), settings,
                                                  title="classit sweep: growth across checkpoints"))
    except ReportInputError as err:
        SWEEP.say(f"no report: {err}")
        return
    SWEEP.say(f"wrote {report.markdown_path}" + (f" and {report.html_path}" if report.html_path else ""))
