"""Fine-tuning wall time of classit's default mode vs the official BabyLM 2025 code, in one run, same machine.

    python benchmarks/finetune_throughput.py --official_repo /path/to/evaluation-pipeline-2025 \
        --official_python /path/to/venv/bin/python [--tasks rte,mrpc,wsc] [--seeds 1,2,3] \
        [--num_epochs N] [--train_limit N] [--valid_limit N] [--threads 1] [--model runs/reference-cpu/base/final]

Model: --model, a checkpoint folder (e.g. the reference run's base, which learns: scores above chance make
"equal accuracy" a real check), else the fixed 10.4M-parameter Llama-style benchmark model of
benchmarks/eval_throughput.py (built once under --work). The two arms are interleaved seed by seed (official seed
1, classit seed 1, official seed 2, ...), one process per seed each, so that load on a shared machine falls on
both alike. Per task, the same data (optionally the first --train_limit / --valid_limit lines of each file, written
to a temporary data folder used by both), the same epochs and batch size (the protocol's, 32), the same seeds:
  official - ``python -m evaluation_pipeline.finetune.run`` with eval_finetuning.sh's flags (``--save`` kept unless
             --no_save), one process per seed, as the script runs it;
  classit  - ``classit-eval finetune`` in its default mode (last-token pooling, held-out selection, length-grouped
             batches), one process per seed.
Both get the same number of torch threads (--threads). Prints per task: wall time of each arm (all seeds), the
ratio classit / official, the CPU time (user + system, os.wait4) of each arm and its ratio (less sensitive than
wall time to other load on a shared machine), the score per seed of each and whether classit's mean lies within
the official seed range, training tokens/s (real tokens / wall), padding fraction of the training batches
(classit: measured; official: the same batch size drawn at random from the same lengths, as its shuffle does,
averaged over 20 draws) and peak RSS (os.wait4 ru_maxrss) of each process.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO))
DATA = REPO / ".." / "shared" / "data" / "babylm_eval_2025"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from finetune_official_parity import BATCH, TASK_FLAGS  # noqa: E402


def limited_data(src: Path, dst: Path, tasks: list[str], train_limit: int | None, valid_limit: int | None) -> Path:
    folder = dst / "full_eval" / "glue_filtered"
    folder.mkdir(parents=True, exist_ok=True)
    for task in tasks:
        for split, limit in (("train", train_limit), ("valid", valid_limit)):
            lines = (src / "full_eval" / "glue_filtered" / f"{task}.{split}.jsonl").read_text().splitlines(True)
            (folder / f"{task}.{split}.jsonl").write_text("".join(lines[:limit] if limit else lines))
    return dst


def rss_of(argv: list[str], env: dict, cwd: Path | None = None) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (GB) and CPU seconds (user + system) of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        sys.exit(f"{' '.join(argv[:6])} failed:\n{err[-3000:]}")
    return seconds, usage.ru_maxrss / 1024**2, usage.ru_utime + usage.ru_stime


def official_run(args, model: Path, task: str, data: Path, work: Path, env: dict, seed: int) -> dict:
    """One seed of the official code, run as eval_finetuning.sh runs it."""
    labels, metrics, valid_metric = TASK_FLAGS[task]
    folder = data / "full_eval" / "glue_filtered"
    out_dir = work / f"official_{task}_{seed}"
    out_dir.mkdir(parents=True)
    argv = [args.official_python, "-m", "evaluation_pipeline.finetune.run", "--model_name_or_path", str(model),
            "--train_data", str(folder / f"{task}.train.jsonl"),
            "--valid_data", str(folder / f"{task}.valid.jsonl"),
            "--predict_data", str(folder / f"{task}.valid.jsonl"), "--task", task, "--num_labels", str(labels),
            "--batch_size", str(BATCH.get(task, 32)), "--learning_rate", "3e-5", "--num_epochs", str(args.epochs),
            "--sequence_length", "512", "--results_dir", str(out_dir / "results"), "--metrics", *metrics,
            "--metric_for_valid", valid_metric, "--seed", str(seed), "--save_dir", str(out_dir / "models")]
    if not args.no_save:
        argv.append("--save")
    seconds, rss, cpu = rss_of(argv, {**env, "PYTHONPATH": str(args.official_repo)}, cwd=out_dir)
    text = next((out_dir / "results").rglob("results.txt")).read_text()
    key = "f1" if valid_metric == "f1" else "accuracy"
    score = float(re.search(rf"^{key}: ([0-9.eE+-]+)$", text, flags=re.M).group(1))
    return {"seconds": seconds, "rss_gb": rss, "cpu": cpu, "scores": [score]}


def classit_run(args, model: Path, task: str, data: Path, work: Path, env: dict, seed: int) -> dict:
    out = work / f"classit_{task}_seed{seed}.json"
    argv = [sys.executable, "-m", "classit_tasks.finetune", "--model_args", f"pretrained={model}", "--tasks", task,
            "--num_epochs", str(args.epochs), "--seeds", str(seed), "--seed_workers", "1", "--device", "cpu",
            "--data_dir", str(data), "--output_path", str(out), "--num_threads", str(args.threads),
            "--verbosity", "WARNING"]
    seconds, rss, cpu = rss_of(argv, {**env, "PYTHONPATH": str(REPO)})
    result = json.loads(next(work.glob(f"classit_{task}_seed{seed}_*.json")).read_text())
    info = result["finetune"][f"classit_glue_{task}"]
    metric = info["selection_metric"]
    per_seed = info["per_seed"]
    real = sum(s["tokens"]["real_tokens"] for s in per_seed)
    padded = sum(s["tokens"]["padded_tokens"] for s in per_seed)
    return {"seconds": seconds, "rss_gb": rss, "cpu": cpu, "scores": [s[metric] for s in per_seed], "real": real,
            "padded": padded}


def random_batch_padding(lengths: list[int], batch: int, draws: int = 20) -> tuple[float, int]:
    """Padding fraction of drop_last batches drawn at random (the official shuffle), and real tokens per epoch."""
    rng = random.Random(0)
    fractions, real = [], 0
    for _ in range(draws):
        order = list(range(len(lengths)))
        rng.shuffle(order)
        tot = real = 0
        for b in range(len(order) // batch):
            chunk = [lengths[i] for i in order[b * batch : (b + 1) * batch]]
            tot += max(chunk) * len(chunk)
            real += sum(chunk)
        fractions.append(1 - real / tot)
    return sum(fractions) / draws, real


def _interleaved(args, model: Path, task: str, data: Path, work: Path, env: dict) -> tuple[dict, dict]:
    """Both arms, seed by seed in alternation; per arm: total wall and CPU seconds, peak RSS, scores per seed."""
    arms: dict[str, dict] = {}
    for seed in args.seed_list:
        for name, run in (("official", official_run), ("classit", classit_run)):
            one = run(args, model, task, data, work, env, seed)
            total = arms.setdefault(name, {"seconds": 0.0, "cpu": 0.0, "rss_gb": 0.0, "scores": [], "real": 0,
                                           "padded": 0})
            total["seconds"] += one["seconds"]
            total["cpu"] += one["cpu"]
            total["rss_gb"] = max(total["rss_gb"], one["rss_gb"])
            total["scores"] += one["scores"]
            total["real"] += one.get("real", 0)
            total["padded"] += one.get("padded", 0)
    cls = arms["classit"]
    cls["padding"] = cls["padded"] / max(1, cls["real"] + cls["padded"])
    return arms["official"], cls


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--official_repo", required=True, type=Path)
    p.add_argument("--official_python", required=True)
    p.add_argument("--tasks", default="rte,mrpc,wsc")
    p.add_argument("--seeds", default="1,2,3")
    p.add_argument("--num_epochs", dest="epochs", type=int, default=None, help="default: the protocol's (10, WSC 30)")
    p.add_argument("--train_limit", type=int, default=None)
    p.add_argument("--valid_limit", type=int, default=None)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--no_save", action="store_true", help="drop eval_finetuning.sh's --save from the official runs")
    p.add_argument("--data_dir", type=Path, default=DATA)
    p.add_argument("--work", default=str(REPO / ".cache" / "bench"))
    p.add_argument("--model", type=Path, default=None,
                   help="checkpoint folder to fine-tune (default: the 10.4M benchmark model)")
    args = p.parse_args()
    args.seed_list = [int(s) for s in args.seeds.split(",")]
    from eval_throughput import build_model
    from transformers import AutoTokenizer

    model = args.model.resolve() if args.model else build_model(Path(args.work) / "model10m").resolve()
    tokenizer = AutoTokenizer.from_pretrained(str(model))
    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    env = {"OMP_NUM_THREADS": str(args.threads), "MKL_NUM_THREADS": str(args.threads), "HF_HUB_OFFLINE": "1",
           "TOKENIZERS_PARALLELISM": "false", "PATH": "/usr/bin:/bin", "WANDB_MODE": "disabled"}
    print(f"model: {model}{'' if args.model else ' (10.4M Llama)'}; seeds {args.seeds}; epochs {args.epochs or 'protocol'}; train_limit "
          f"{args.train_limit}; valid_limit {args.valid_limit}; {args.threads} thread(s) per process; official "
          f"{'without' if args.no_save else 'with'} --save")
    print("| task | epochs | official s | classit s | ratio | official CPU s | classit CPU s | CPU ratio | "
          "official scores | classit scores | classit mean in "
          "official range | official tok/s | classit tok/s | official pad | classit pad | official RSS GB | "
          "classit RSS GB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        data = limited_data(args.data_dir.resolve(), Path(tmp) / "data", tasks, args.train_limit, args.valid_limit)
        for task in tasks:
            from classit_tasks.finetune.tasks import TASKS

            epochs = args.epochs or TASKS[task].epochs
            args_task = argparse.Namespace(**{**vars(args), "epochs": epochs})
            work = Path(tmp) / task
            work.mkdir()
            off, cls = _interleaved(args_task, model, task, data, work, env)
            records = [json.loads(line) for line in (data / "full_eval" / "glue_filtered" / f"{task}.train.jsonl")
                       .read_text().splitlines()]
            pairs = [TASKS[task].texts(r) for r in records]
            lengths = [len(ids) for ids in tokenizer([a for a, _ in pairs], [b for _, b in pairs], truncation=True,
                                                      max_length=512)["input_ids"]]
            off_pad, off_real_epoch = random_batch_padding(lengths, BATCH.get(task, 32))
            off_tok_s = off_real_epoch * epochs * len(args.seed_list) / off["seconds"]
            mean = sum(cls["scores"]) / len(cls["scores"])
            inside = min(off["scores"]) <= mean <= max(off["scores"])
            fmt = lambda xs: ", ".join(f"{100 * x:.1f}" for x in xs)  # noqa: E731
            print(f"| {task} | {epochs} | {off['seconds']:.1f} | {cls['seconds']:.1f} | "
                  f"{cls['seconds'] / off['seconds']:.2f} | {off['cpu']:.1f} | {cls['cpu']:.1f} | "
                  f"{cls['cpu'] / off['cpu']:.2f} | {fmt(off['scores'])} | {fmt(cls['scores'])} | "
                  f"{'yes' if inside else 'no'} (mean {100 * mean:.1f}) | {off_tok_s:.0f} | "
                  f"{cls['real'] / cls['seconds']:.0f} | {off_pad:.3f} | {cls['padding']:.3f} | {off['rss_gb']:.2f} | "
                  f"{cls['rss_gb']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
