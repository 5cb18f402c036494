"""``classit-eval finetune``: fine-tune a checkpoint on the BabyLM 2025 (Super)GLUE tasks and write lm-eval results.

Examples::

    classit-eval finetune --model_args pretrained=/abs/ckpt --tasks classit_glue --output_path results/
    classit-eval finetune --model_args pretrained=/abs/ckpt --tasks rte,wsc --seeds 1,2,3 --output_path results/
    classit-eval finetune --model_args pretrained=/abs/ckpt --tasks classit_glue --parity   # BabyLM 2025 numbers
    accelerate launch -m classit_tasks.finetune --model_args pretrained=/abs/ckpt ...      # data parallel
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from pathlib import Path

from classit_tasks.artifacts.results import RESULTS_PREFIX
from classit_tasks.command import SubCommand
from classit_tasks.flags import alias
from classit_tasks.tasks.data import ClassitDataError
from classit_tasks.finetune.config import MIXED_PRECISION, POOLINGS, SELECT_ON, FinetuneConfig
from classit_tasks.finetune.seeds import parse_seeds
from classit_tasks.finetune.train import make_accelerator
from classit_tasks.finetune.tasks import GlueTask, load_split, resolve_tasks, split_path
from classit_tasks.finetune.train import FinetuneError, TaskData, heldout_split

FINETUNE = SubCommand("finetune")
MODEL_ARGS = {"pretrained", "dtype", "revision", "trust_remote_code", "tokenizer"}
logger = logging.getLogger("classit_tasks.finetune")


def build_parser() -> argparse.ArgumentParser:
    p = FINETUNE.parser(
        description="Fine-tune a checkpoint on the BabyLM 2025 (Super)GLUE tasks (classification head, one run per "
        "task and seed) and write lm-eval-style results. Defaults follow the 2025 protocol except pooling (last "
        "token) and model selection (held-out slice of train); --parity restores both.",
    )
    p.add_argument("--model_args", required=True, help="pretrained=CKPT[,dtype=float32][,revision=…]"
                   "[,trust_remote_code=True][,tokenizer=PATH]")
    p.add_argument("--tasks", default="classit_glue",
                   help="classit_glue (all 7) or a comma list: boolq,multirc,rte,wsc,mrpc,qqp,mnli "
                   "(with or without the classit_glue_ prefix)")
    p.add_argument("--output_path", default=None,
                   help=f"folder (results go to <folder>/<model>/{RESULTS_PREFIX}<ts>.json) or a .json file name")
    p.add_argument("--data_dir", default=None, help="evaluation-data folder (default: $CLASSIT_DATA_DIR)")
    p.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available); multi-GPU: launch "
                   "with accelerate launch / torchrun -m classit_tasks.finetune")
    p.add_argument("--batch_size", type=int, default=None, help="global train batch (default: 32, 16 BoolQ/MultiRC)")
    p.add_argument("--eval_batch_size", type=int, default=None, help="default: 64 (as 2025)")
    p.add_argument("--num_epochs", dest="epochs", type=int, default=None, help="default: 10, 30 for WSC")
    p.add_argument("--learning_rate", type=float, default=3e-5)
    p.add_argument("--max_length", type=int, default=512)
    p.add_argument("--seeds", default="42", help="comma list of distinct integers; several seeds give mean, std "
                   "and a 95%% CI per task")
    p.add_argument("--seed_workers", type=int, default=0,
                   help="parallel processes for the (task, seed) runs (default 0 = automatic: one per GPU, or one "
                   "per 2 CPU cores; 1 = sequential in this process)")
    p.add_argument("--num_threads", type=int, default=None,
                   help="torch CPU threads of this process (default: torch's choice, all cores)")
    p.add_argument("--micro_batch_size", type=int, default=None,
                   help="default mode: rows per forward pass, gradients summed to the batch's (default: 8 on CPU, "
                   "the whole batch on GPU; 0 = the whole batch; ignored under --parity)")
    p.add_argument("--mixed_precision", choices=MIXED_PRECISION, default="no",
                   help="bf16: autocast forward passes to bfloat16 (GPU; weights and optimizer stay float32)")
    p.add_argument("--pooling", choices=POOLINGS, default=None,
                   help="last (default: last non-padding token), first (2025: token 0), mean")
    p.add_argument("--select_on", choices=SELECT_ON, default=None,
                   help="heldout (default: best epoch on a held-out slice of train), valid (2025: best epoch on the "
                   "reported file), last_epoch")
    p.add_argument("--heldout_fraction", type=float, default=0.1)
    p.add_argument("--parity", action="store_true",
                   help="BabyLM 2025 behaviour: --pooling first, right padding, --select_on valid")
    p.add_argument("--limit", type=int, default=None,
                   help="use only the first N records of each split (quick runs; numbers not comparable)")
    p.add_argument("--save_model", action="store_true",
                   help="save each selected fine-tuned model under <output folder>/<model>/finetuned/<task>/seed<k>")
    p.add_argument("--verbosity", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    alias(p, "--select_on", "--select-on")
    alias(p, "--num_epochs", "--epochs")
    return p


def parse_model_args(text: str) -> dict:
    from classit_tasks.harness import parse_args_string

    args = parse_args_string(text)
    unknown = sorted(set(args) - MODEL_ARGS)
    if unknown:
        raise ValueError(f"--model_args: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(MODEL_ARGS))})")
    if not args.get("pretrained"):
        raise ValueError("--model_args: pretrained=CKPT is required")
    args["pretrained"] = str(args["pretrained"])
    return args


def make_config(args: argparse.Namespace) -> FinetuneConfig:
    seeds = parse_seeds(args.seeds)
    common = dict(
        batch_size=args.batch_size, eval_batch_size=args.eval_batch_size, epochs=args.epochs,
        learning_rate=args.learning_rate, max_length=args.max_length, seeds=seeds,
        heldout_fraction=args.heldout_fraction, limit=args.limit, save_model=args.save_model,
        mixed_precision=args.mixed_precision, micro_batch_size=args.micro_batch_size,
    )
    if args.parity:
        for flag, value, wanted in (("--pooling", args.pooling, "first"), ("--select_on", args.select_on, "valid")):
            if value is not None and value != wanted:
                raise ValueError(f"--parity uses {flag} {wanted}; drop --parity or {flag} {value}")
        return FinetuneConfig.babylm2025(**common)
    return FinetuneConfig(pooling=args.pooling or "last", select_on=args.select_on or "heldout", **common)


def check_checkpoint(model_args: dict) -> None:
    """A local checkpoint must be a folder with a config.json (a hub id is left to transformers)."""
    pretrained = str(model_args["pretrained"])
    path = Path(pretrained).expanduser()
    if not (path.is_absolute() or pretrained.startswith(".") or path.exists()):
        return
    if not path.is_dir():
        raise ValueError(f"{pretrained}: checkpoint folder not found")
    if not (path / "config.json").is_file():
        raise ValueError(f"{pretrained}: not a Hugging Face checkpoint (no config.json)")


def prepare_data(task: GlueTask, cfg: FinetuneConfig, data_dir: str | None) -> TaskData:
    """Read and split one task's data. Raises ClassitDataError naming the file when a split is missing."""
    train = load_split(task, "train", data_dir)
    report = load_split(task, "valid", data_dir)
    original = len(report)
    if cfg.limit is not None:
        train, report = train[: cfg.limit], report[: cfg.limit]
    select = None
    if cfg.select_on == "heldout":
        train, select = heldout_split(task, train, cfg.heldout_fraction, cfg.heldout_seed)
    files = {split: str(split_path(task, split, data_dir)) for split in ("train", "valid")}
    return TaskData(task=task, train=train, select=select, report=report, report_original_size=original,
                    files=files)


def save_finetuned(folder: Path, task: GlueTask, result, tokenizer, cfg: FinetuneConfig) -> None:
    import json

    import torch

    target = folder / "finetuned" / task.name / f"seed{result.seed}"
    target.mkdir(parents=True, exist_ok=True)
    result.model.backbone.save_pretrained(target)
    tokenizer.save_pretrained(target)
    torch.save(result.model.head.state_dict(), target / "classification_head.pt")
    (target / "classification_head.json").write_text(json.dumps(
        {"task": task.task_name, "labels": list(task.labels), "pooling": cfg.pooling, "dropout": cfg.dropout,
         "best_epoch": result.best_epoch}, indent=2))


def run(args: argparse.Namespace) -> int:
    from classit_tasks.artifacts.results import output_folder, sanitize_model_name
    from classit_tasks.finetune import results as R
    from classit_tasks.finetune.model import ensure_pad_token, load_tokenizer
    from classit_tasks.finetune.seeds import plan_workers, run_parallel
    from classit_tasks.finetune.train import finetune_seed

    start = time.time()
    model_args = parse_model_args(args.model_args)
    cfg = make_config(args)
    for flag, value in (("--seed_workers", args.seed_workers), ("--num_threads", args.num_threads)):
        if value is not None and value < (0 if flag == "--seed_workers" else 1):
            raise ValueError(f"{flag}: expected a {'non-negative' if flag == '--seed_workers' else 'positive'} "
                             f"integer, got {value}")
    tasks = resolve_tasks(args.tasks)
    if cfg.save_model and not args.output_path:
        raise ValueError("--save_model needs --output_path")

    # Every task's data first, so a missing file is reported before any training starts.
    check_checkpoint(model_args)
    prepared: dict[str, TaskData] = {}
    not_evaluated: dict[str, str] = {}
    for task in tasks:
        try:
            prepared[task.task_name] = prepare_data(task, cfg, args.data_dir)
        except ClassitDataError as err:
            if "file not found" not in str(err):
                raise
            not_evaluated[task.task_name] = str(err)
    if not prepared:
        raise ClassitDataError("; ".join(not_evaluated.values()))
    for name, message in not_evaluated.items():  # the other tasks still run
        if os.environ.get("RANK", "0") == "0":
            FINETUNE.say(f"error: {name} not evaluated: {message}")

    if args.num_threads:
        import torch

        torch.set_num_threads(args.num_threads)
    accelerator = make_accelerator(args.device, cfg.mixed_precision)
    pretrained = model_args["pretrained"]
    load_kwargs = {k: model_args[k] for k in ("revision", "trust_remote_code") if k in model_args}
    tokenizer_path = model_args.get("tokenizer", pretrained)
    tokenizer = load_tokenizer(tokenizer_path, cfg.padding_side, **load_kwargs)
    pad_source = ensure_pad_token(tokenizer)
    if pad_source != "pad_token" and accelerator.is_main_process:
        FINETUNE.say(f"note: {tokenizer_path}: the tokenizer has no pad token; padding with "
                     f"{pad_source.replace('_token', '')} {tokenizer.pad_token!r} (id {tokenizer.pad_token_id}), "
                     "masked out of attention and pooling (the 2025 code stops here)")
    cfg.dtype = str(model_args.get("dtype", cfg.dtype))

    jobs = [(name, seed) for name in prepared for seed in cfg.seeds]
    device = "cpu" if accelerator.device.type == "cpu" else accelerator.device.type
    workers, threads = 1, None
    if len(jobs) > 1 and accelerator.num_processes == 1 and not cfg.save_model and args.seed_workers != 1:
        workers, threads = plan_workers(args.seed_workers or None, len(jobs), device)
    by_job = {}
    if workers > 1:
        logger.info("%d runs on %d parallel worker processes (%s, %d thread(s) each)", len(jobs), workers, device,
                    threads)
        level = getattr(logging, args.verbosity)
        done = run_parallel([(prepared[name], pretrained, tokenizer_path, load_kwargs, cfg, seed, level)
                             for name, seed in jobs], workers, threads, device)
        by_job = {(name, seed): result for name, seed, result in done}
    runs = {}
    for name, data in prepared.items():
        seed_runs = []
        for seed in cfg.seeds:
            result = by_job.get((name, seed))
            if result is None:
                result = finetune_seed(data, pretrained, tokenizer, load_kwargs, cfg, seed, accelerator)
            if cfg.save_model and accelerator.is_main_process:
                folder = output_folder(args.output_path, sanitize_model_name(pretrained))
                save_finetuned(folder, data.task, result, tokenizer, cfg)
            result.model = None
            seed_runs.append(result)
            logger.info("%s seed %d: %s (best epoch %d, %.1f s)", name, seed,
                        ", ".join(f"{k}={v:.4f}" for k, v in result.scores.items() if "stderr" not in k),
                        result.best_epoch, result.runtime_s)
        runs[name] = (data, seed_runs)

    if not accelerator.is_main_process:
        return 0
    device = str(accelerator.device) + (f" x{accelerator.num_processes}" if accelerator.num_processes > 1 else "")
    from classit_tasks.finetune.seeds import seed_table
    from classit_tasks.leaderboard.summary import print_summary

    result = R.build(args.model_args, pretrained, cfg, runs, not_evaluated, device, start,
                     extra_config={"pad_token_source": pad_source, "pad_token": tokenizer.pad_token,
                                   "num_processes": accelerator.num_processes, "seed_workers": workers})
    samples = {name: R.samples(data.task, data, seed_runs) for name, (data, seed_runs) in runs.items()}
    if args.output_path:
        path = R.write(args.output_path, result, samples)
        print(f"results written to {path}")
    from classit_tasks.harness import results_table

    print(results_table(result))
    print(results_table(result, "groups"))
    table = seed_table(result)
    if table:
        print(table)
    print_summary(result)
    if not_evaluated:
        print(f"not evaluated: {', '.join(not_evaluated)}")
    return 0


@FINETUNE.entry
def main(argv: list[str] | None = None) -> int:
    """Entry point of ``classit-eval finetune``; returns the exit code (2 on a usage or data error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    # Under torchrun / accelerate launch, only rank 0 logs at the requested level.
    level = getattr(logging, args.verbosity) if os.environ.get("RANK", "0") == "0" else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        return run(args)
    except (ValueError, OSError) as err:  # transformers' and torch's too: the first line of the message is shown
        logger.debug("finetune failed", exc_info=True)
        text = str(err).strip()
        raise FinetuneError(text.splitlines()[0] if text else type(err).__name__) from None
