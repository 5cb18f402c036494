"""Seeds as an axis: parsing ``--seeds``, running (task, seed) jobs in parallel processes, the per-task seed table.

Parallel runs: each worker is a fresh (spawned) process with its own share of the CPU threads, or its own GPU; a
(task, seed) run in a worker is the same computation as in the main process, so a seed's result does not depend
on how many workers there were (on CPU, up to the floating-point effects of the thread count).
"""

from __future__ import annotations

import math
import os


def parse_seeds(text: str) -> tuple[int, ...]:
    """``"1,2,3"`` -> (1, 2, 3). Non-integers, duplicates and an empty list are one-line errors naming ``--seeds``."""
    items = [s.strip() for s in str(text).split(",")]
    if not any(items):
        raise ValueError("--seeds: give at least one integer seed, e.g. --seeds 1,2,3")
    seeds: list[int] = []
    for item in items:
        if not item:
            raise ValueError(f"--seeds: empty item in '{text}' (expected a comma list of integers, e.g. 1,2,3)")
        try:
            seed = int(item)
        except ValueError:
            raise ValueError(f"--seeds: '{item}' is not an integer (expected a comma list of integers, e.g. 1,2,3)") \
                from None
        if seed in seeds:
            raise ValueError(f"--seeds: seed {seed} is given twice in '{text}'")
        if not 0 <= seed < 2**32:
            raise ValueError(f"--seeds: seed {seed} is outside 0..2^32-1")
        seeds.append(seed)
    return tuple(seeds)


def plan_workers(requested: int | None, jobs: int, device: str) -> tuple[int, int]:
    """(worker processes, torch threads per worker). ``requested`` None/0 = automatic: one worker per GPU on CUDA;
    on CPU one worker per job up to one per 2 cores (a tiny model does not use more than ~2 threads well)."""
    import torch

    cores = os.cpu_count() or 1
    if device == "cuda":
        gpus = torch.cuda.device_count()
        workers = requested or gpus
        if workers > gpus:
            raise ValueError(f"--seed_workers {workers}: only {gpus} GPU(s) visible (one worker per GPU)")
        return max(1, min(workers, jobs)), max(1, cores // max(1, min(workers, jobs)))
    workers = requested or max(1, cores // 2)
    workers = max(1, min(workers, jobs))
    return workers, max(1, cores // workers)


_WORKER: dict = {}


def _init_worker(gpu_queue, threads: int, device: str) -> None:
    """Runs first in each spawned worker: pin its GPU (or its CPU thread share) before torch is used."""
    if gpu_queue is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(gpu_queue.get())
    os.environ["OMP_NUM_THREADS"] = str(threads)
    import torch

    torch.set_num_threads(threads)
    _WORKER.update(device=device)


def _run_job(job: tuple):
    """One (task, seed) run inside a worker; returns the SeedResult without the model."""
    import logging

    from classit_tasks.finetune.model import ensure_pad_token, load_tokenizer
    from classit_tasks.finetune.train import finetune_seed, make_accelerator

    data, pretrained, tokenizer_path, load_kwargs, cfg, seed, verbosity = job
    logging.basicConfig(level=verbosity, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    tokenizer = load_tokenizer(tokenizer_path, cfg.padding_side, **load_kwargs)
    ensure_pad_token(tokenizer)
    accelerator = make_accelerator(_WORKER["device"], cfg.mixed_precision)
    result = finetune_seed(data, pretrained, tokenizer, load_kwargs, cfg, seed, accelerator)
    result.model = None
    return data.task.task_name, seed, result


def run_parallel(jobs: list[tuple], workers: int, threads: int, device: str) -> list:
    """Run ``jobs`` (see ``_run_job``) on ``workers`` spawned processes; results in job order."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    gpu_queue = None
    if device == "cuda":
        gpu_queue = ctx.Queue()
        for gpu in range(workers):
            gpu_queue.put(gpu)
    pool = ctx.Pool(workers, initializer=_init_worker, initargs=(gpu_queue, threads, device))
    try:
        out = pool.map(_run_job, jobs, chunksize=1)
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()
        if gpu_queue is not None:
            gpu_queue.close()
    return out


def seed_table(results: dict) -> str:
    """Markdown table of the per-task score over seeds: mean, std, 95% t-interval (only with several seeds)."""
    finetune = results.get("finetune", {})
    rows = []
    for name, info in finetune.items():
        per_seed = info.get("per_seed", [])
        if len(per_seed) < 2:
            continue
        entry = results["results"].get(name, {})
        metric = info.get("selection_metric", "acc")
        values = ", ".join(f"{100 * s[metric]:.2f}" for s in per_seed)
        lo, hi = entry.get("score_seed_ci_low,none"), entry.get("score_seed_ci_high,none")
        ci = f"[{100 * lo:.2f}, {100 * hi:.2f}]" if isinstance(lo, float) and math.isfinite(lo) else "n/a"
        rows.append(f"| {name} | {metric} | {len(per_seed)} | {100 * entry['score,none']:.2f} | "
                    f"{100 * entry.get('score_seed_std,none', float('nan')):.2f} | {ci} | {values} |")
    if not rows:
        return ""
    head = ["", "Scores over seeds (×100; CI: 95% Student-t interval of the mean over seeds)",
            "| Task | Metric | Seeds | Mean | Std | 95% CI | Per seed |", "|---|---|---:|---:|---:|---|---|"]
    return "\n".join(head + rows)
