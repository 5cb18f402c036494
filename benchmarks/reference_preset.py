#!/usr/bin/env python
"""Choose the CPU reference run's model shape by measurement: training loss and BLiMP fast per CPU-minute.

Each candidate shape is pre-trained with ``classit-train train`` on the reference run's data
(configs/reference_cpu_pretrain.yaml: the same tokenizer, sequence length, batch and learning rate) for the same
training-loop time at the same thread count, then scored on ``classit_blimp_fast`` with ``classit-eval``. A short probe run first measures each
shape's seconds per step, so that every shape gets the number of steps that fits the budget and a cosine schedule
that ends at the budget (a shape compared mid-schedule would look worse than it is).

    python benchmarks/reference_preset.py --data ../shared/data                # 3 shapes, 4 loop-minutes each
    python benchmarks/reference_preset.py --data ../shared/data --minutes 8 --shapes 6x192,4x128

Printed per shape: parameters (without / with the embedding), seconds per step, steps and tokens in the budget,
user CPU minutes, the mean training loss of the last 5 logged steps, and BLiMP fast (accuracy, 95 % CI). The
figures are printed, never asserted; on a shared machine CPU minutes are the comparable unit, not wall time.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "reference_cpu_pretrain.yaml"
ROWS, SEQ = 32, 128  # the reference config's batch rows and sequence length
LOSS_LINE = re.compile(r"\{'loss': .*?\}")


def shape_overrides(shape: str) -> dict[str, int]:
    """``"6x192"`` -> a Llama shape: head size 64, SwiGLU width ~8/3 x hidden rounded to 8."""
    layers, hidden = (int(part) for part in shape.lower().split("x"))
    heads = max(1, hidden // 64)
    inter = int(round(hidden * 8 / 3 / 8)) * 8
    return dict(num_hidden_layers=layers, hidden_size=hidden, num_attention_heads=heads,
                num_key_value_heads=heads, intermediate_size=inter)


def count_params(shape: dict[str, int], vocab: int) -> tuple[int, int]:
    h, i, n = shape["hidden_size"], shape["intermediate_size"], shape["num_hidden_layers"]
    body = n * (4 * h * h + 3 * h * i + 2 * h) + h
    return body, body + vocab * h


def train(shape: str, steps: int, out: Path, data: Path, tokenizer: Path | None, threads: int):
    """Run classit-train; return (seconds per optimizer step, process CPU seconds, logged losses).

    Seconds per step come from the arrival times of the Trainer's log lines (steps 1, 10, 20, ...), so the
    start-up (reading and packing 3M words, which every shape pays alike) is left out."""
    sets = [f"model.overrides.{k}={v}" for k, v in shape_overrides(shape).items()]
    sets += ["model.preset=tiny", f"training.max_steps={steps}", "training.logging_steps=10",
             "training.disable_tqdm=true", "checkpoints.schedule=none", "training.save_steps=100000"]
    if tokenizer is not None:
        sets += [f"tokenizer.path={tokenizer}", "tokenizer.train_files=[]"]
    cmd = [sys.executable, "-m", "classit_train", "train", str(CONFIG), "--output_path", str(out), "--fresh"]
    for item in sets:
        cmd += ["--set", item]
    env = dict(os.environ, CLASSIT_SHARED_DATA=str(data), OMP_NUM_THREADS=str(threads), PYTHONUNBUFFERED="1")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    stamps, losses, tail = [], [], []
    with subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        for line in proc.stdout:
            tail = (tail + [line])[-40:]
            match = LOSS_LINE.search(line)
            if match:
                stamps.append(time.monotonic())
                losses.append(float(ast.literal_eval(match.group(0))["loss"]))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0 or len(stamps) < 2:
        sys.exit(f"reference_preset: training {shape} failed:\n{''.join(tail)}")
    logged_steps = [1] + [10 * k for k in range(1, len(stamps))]  # logging_first_step, then every 10 steps
    per_step = (stamps[-1] - stamps[0]) / (logged_steps[-1] - logged_steps[0])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return per_step, cpu, losses


def blimp_fast(model: Path, data: Path, out: Path) -> tuple[float, float, float]:
    cmd = ["classit-eval", "--model_args", f"pretrained={model}", "--tasks", "classit_blimp_fast",
           "--data_dir", str(data / "babylm_eval_2025"), "--device", "cpu", "--batch_size", "128",
           "--output_path", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"reference_preset: BLiMP fast on {model} failed:\n{proc.stderr[-3000:]}")
    result = json.loads(next(out.rglob("results_*.json")).read_text())["results"]["classit_blimp_fast"]
    acc = result["acc,none"]
    stderr = result.get("acc_stderr,none") or 0.0
    return 100 * acc, 100 * (acc - 1.96 * stderr), 100 * (acc + 1.96 * stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="the data folder (holds corpora/ and babylm_eval_2025/)")
    parser.add_argument("--shapes", default="6x192,4x256,8x128", help="layers x hidden, comma-separated")
    parser.add_argument("--minutes", type=float, default=4.0,
                        help="training-loop budget per shape, in wall minutes at --threads threads")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--probe_steps", type=int, default=21)
    parser.add_argument("--tokenizer", default=None, help="reuse this tokenizer folder (default: train one first)")
    parser.add_argument("--output_path", default=None, help="keep the runs here (default: a temporary folder)")
    args = parser.parse_args()
    data = Path(args.data).resolve()
    work = Path(args.output_path or tempfile.mkdtemp(prefix="classit-preset-"))
    work.mkdir(parents=True, exist_ok=True)

    tokenizer = Path(args.tokenizer).resolve() if args.tokenizer else None
    rows = []
    for shape in args.shapes.split(","):
        probe = work / f"probe-{shape}"
        per_step, cpu, _ = train(shape, args.probe_steps, probe, data, tokenizer, args.threads)
        if tokenizer is None:  # the first probe trains the tokenizer; every other run reuses it
            tokenizer = work / "tokenizer"
            shutil.copytree(probe / "tokenizer", tokenizer, dirs_exist_ok=True)
        steps = max(args.probe_steps, int(args.minutes * 60 / per_step))
        run = work / f"run-{shape}"
        per_step, cpu, losses = train(shape, steps, run, data, tokenizer, args.threads)
        acc, low, high = blimp_fast(run / "final", data, work / f"eval-{shape}")
        vocab = json.loads((run / "final" / "config.json").read_text())["vocab_size"]
        body, total = count_params(shape_overrides(shape), vocab)
        tail = losses[-5:]
        rows.append(dict(shape=shape, body=body, total=total, s_per_step=per_step, steps=steps,
                         tokens=steps * ROWS * SEQ, cpu_min=cpu / 60, loss=sum(tail) / max(1, len(tail)),
                         blimp=acc, low=low, high=high))
        print(f"  {shape}: {steps} steps, {per_step:.2f} s/step, {cpu / 60:.1f} CPU-min, loss {rows[-1]['loss']:.3f}, BLiMP fast {acc:.2f}",
              file=sys.stderr, flush=True)

    print(f"\nShapes at {args.minutes:g} training-loop minutes each ({args.threads} threads; batch {ROWS} x {SEQ} "
          f"tokens; CPU-min: the whole process, start-up included; runs in {work}):\n")
    print(f"{'shape':>7} {'params (body / all)':>21} {'s/step':>7} {'steps':>6} {'tokens':>8} {'CPU-min':>8} "
          f"{'loss':>6} {'BLiMP fast [95% CI]':>22}")
    for r in rows:
        print(f"{r['shape']:>7} {r['body'] / 1e6:>9.2f}M / {r['total'] / 1e6:.2f}M {r['s_per_step']:>7.2f} "
              f"{r['steps']:>6} {r['tokens'] / 1e6:>7.2f}M {r['cpu_min']:>8.1f} {r['loss']:>6.3f} "
              f"{r['blimp']:>8.2f} [{r['low']:.1f}, {r['high']:.1f}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
