"""A sweep over a series of checkpoints vs one ``classit-eval`` process per checkpoint: wall time, forward-pass
time, peak memory.

    python benchmarks/sweep_throughput.py --data_dir ../shared/data/babylm_eval_2025 \
        [--checkpoints 10] [--tasks classit_zero_shot_fast] [--limit N] [--threads 2]

Builds (once, under --work) the 10.4M-parameter benchmark model of eval_throughput.py and a series of
``--checkpoints`` copies of it with different random weights, each with a ``classit_state.json`` at 1M, 2M, …
words (the BabyLM milestones). Then, each as a whole process with ``--threads`` torch threads:
  sweep        - ``classit-eval sweep SERIES --tasks T --no_report``: its wall time, the sum of its forward-pass
                 (scoring) times (from its manifests), their ratio (target <= 1.15: everything but the forward
                 passes is paid once), and its peak RSS;
  per-checkpoint - ``classit-eval --model_args pretrained=CK --tasks T --log_samples`` once per checkpoint, one
                 after the other: the summed wall time (as a ratio to the sweep's) and the peak RSS of one such
                 single-checkpoint run (the sweep's peak RSS should be within +10 % of it).
Prints the per-checkpoint breakdown of the sweep (unit wall, forward passes, the rest). The official 2025
pipeline's fast-eval loop is not run here (see the closing note the script prints).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))


def build_series(base: Path, out: Path, count: int) -> list[Path]:
    """``count`` checkpoints of the benchmark model with different random weights, at 1M, 2M, … words."""
    import torch
    from transformers import AutoModelForCausalLM

    folders = []
    for i in range(count):
        folder = out / f"chck_{i + 1}M"
        folders.append(folder)
        if (folder / "classit_state.json").is_file():
            continue
        tmp = out / f".tmp-{folder.name}"
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(base, tmp)
        model = AutoModelForCausalLM.from_pretrained(tmp)
        torch.manual_seed(i + 1)
        with torch.no_grad():
            for p in model.parameters():
                p.add_(torch.randn_like(p) * 0.02)
        model.save_pretrained(tmp)
        (tmp / "classit_state.json").write_text(json.dumps({"stage": "pretrain", "words_seen": (i + 1) * 10**6,
                                                            "global_step": 100 * (i + 1), "branch": "bench"}))
        os.replace(tmp, folder)
    return folders


def run(argv: list[str], env: dict) -> dict:
    """Run a process; its wall time and peak RSS (os.wait4's ru_maxrss, KiB on Linux)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(argv)}\n{err[-3000:]}")
    return {"wall": wall, "rss_mb": usage.ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data_dir", default=os.environ.get("CLASSIT_DATA_DIR"))
    parser.add_argument("--tasks", default="classit_zero_shot_fast")
    parser.add_argument("--checkpoints", type=int, default=10)
    parser.add_argument("--limit", type=int, default=None, help="documents per subtask (a reduced run)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--skip_single", action="store_true", help="do not run classit-eval once per checkpoint")
    parser.add_argument("--work", default=str(REPO / ".cache" / "bench"))
    args = parser.parse_args()
    if not args.data_dir:
        sys.exit("give --data_dir (the BabyLM 2025 evaluation data) or set CLASSIT_DATA_DIR")
    from eval_throughput import build_model

    work = Path(args.work)
    base = build_model(work / "model10m")
    series = build_series(base, work / "series", args.checkpoints)
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads),
               TOKENIZERS_PARALLELISM="false", HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1",
               CLASSIT_DATA_DIR=str(Path(args.data_dir).resolve()),
               PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    limit = ["--limit", str(args.limit)] if args.limit else []
    cli = [sys.executable, "-m", "classit_tasks.cli"]
    print(f"series: {len(series)} checkpoints of the 10.4M model under {work / 'series'}; tasks {args.tasks}"
          f"{f', --limit {args.limit}' if args.limit else ''}; {args.threads} threads; batch {args.batch_size}")

    out = work / "sweep_out"
    shutil.rmtree(out, ignore_errors=True)
    sweep = run([*cli, "sweep", str(work / "series"), "--tasks", args.tasks, "--output_path", str(out),
                 "--batch_size", str(args.batch_size), "--no_report", *limit], env)
    index = json.loads((out / "sweep.json").read_text())
    rows, forward, units = [], 0.0, 0.0
    for entry in index["checkpoints"]:
        manifest = json.loads((out / entry["results_dir"] / "checkpoint.json").read_text())
        unit_s = sum(u["seconds"] for u in manifest["units"].values())
        fwd_s = sum(u["forward_seconds"] for u in manifest["units"].values())
        rows.append((entry["name"], unit_s, fwd_s))
        forward += fwd_s
        units += unit_s

    singles = []
    if not args.skip_single:
        for folder in series:
            target = work / "single_out" / folder.name
            shutil.rmtree(target, ignore_errors=True)
            singles.append(run([*cli, "--model_args", f"pretrained={folder}", "--tasks", args.tasks, "--device",
                                "cpu", "--batch_size", str(args.batch_size), "--output_path", str(target),
                                "--log_samples", *limit], env))

    print(f"\n{'checkpoint':<12}{'unit wall s':>12}{'forward s':>11}{'rest s':>9}")
    for name, unit_s, fwd_s in rows:
        print(f"{name:<12}{unit_s:>12.2f}{fwd_s:>11.2f}{unit_s - fwd_s:>9.2f}")
    print(f"{'sum':<12}{units:>12.2f}{forward:>11.2f}{units - forward:>9.2f}")
    print(f"\nsweep process wall: {sweep['wall']:.1f} s; sum of forward passes: {forward:.1f} s; "
          f"ratio {sweep['wall'] / forward:.2f} (target <= 1.15)")
    print(f"  of which outside the per-checkpoint units (start-up, imports, task loading, hashing, first "
          f"tokenization): {sweep['wall'] - units:.1f} s")
    print(f"sweep peak RSS: {sweep['rss_mb']:.0f} MB")
    if singles:
        total = sum(s["wall"] for s in singles)
        print(f"classit-eval once per checkpoint: {total:.1f} s in all ({total / len(singles):.1f} s each); "
              f"sweep / per-checkpoint wall = {sweep['wall'] / total:.2f}")
        print(f"single-checkpoint peak RSS: {singles[0]['rss_mb']:.0f} MB (max over runs "
              f"{max(s['rss_mb'] for s in singles):.0f} MB); sweep / single = "
              f"{sweep['rss_mb'] / singles[0]['rss_mb']:.3f} (target <= 1.10)")
    print("\nnot run: the official 2025 pipeline's fast-eval loop (babylm/evaluation-pipeline-2025, one process per "
          "task per revision) -- it needs that repository and its environment beside this one.")


if __name__ == "__main__":
    main()
