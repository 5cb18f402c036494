"""``classit-eval finetune --parity`` against the official BabyLM 2025 fine-tuning code, side by side.

    python benchmarks/finetune_official_parity.py --official_repo /path/to/evaluation-pipeline-2025 \
        --official_python /path/to/venv/bin/python [--model DIR] [--tasks wsc,rte] [--num_epochs 3] [--seed 42]

Runs, for each task, the official step of ``eval_finetuning.sh`` (``python -m evaluation_pipeline.finetune.run``
with the script's flags, minus ``--save``), unmodified, in its own Python environment, and ``classit-eval finetune
--parity`` on the same checkpoint, data, seed, epochs and batch size. The official code prints no per-step loss:
it is observed from outside, by a wrapper that records the value returned by every ``torch.nn.functional
.cross_entropy`` call before handing control to the official module (``runpy``); the per-epoch valid metrics come
from its ``--verbose`` output and the predictions from its ``predictions.json``. Prints per-epoch numbers of both
side by side and whether losses, metrics, best epoch and predictions are identical.

Without ``--model`` a tiny checkpoint is built (``--tiny``: the 2-layer width-64 Llama with a BOS-adding tokenizer
of tests/integration/test_finetune_e2e.py, or the 2-layer GPT-2 with a no-BOS tokenizer of tests/integration/test_finetune_parity.py). The official environment needs torch, transformers, scikit-learn, tqdm and wandb
(imported unconditionally by its trainer); use the same torch and transformers versions as classit's, or the
comparison measures library differences.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / ".." / "shared" / "data" / "babylm_eval_2025"
TASK_FLAGS = {  # eval_finetuning.sh: --num_labels, --metrics, --metric_for_valid per task
    "rte": (2, ["accuracy", "f1", "mcc"], "accuracy"), "wsc": (2, ["accuracy", "f1", "mcc"], "accuracy"),
    "mrpc": (2, ["accuracy", "f1", "mcc"], "f1"), "qqp": (2, ["accuracy", "f1", "mcc"], "f1"),
    "boolq": (2, ["accuracy", "f1", "mcc"], "accuracy"), "multirc": (2, ["accuracy", "f1", "mcc"], "accuracy"),
    "mnli": (3, ["accuracy"], "accuracy"),
}
BATCH = {"boolq": 16, "multirc": 16}

# Observes the official run from outside: every cross-entropy value, written to a file at exit.
WRAPPER = r"""
import atexit, json, runpy, sys
import torch.nn.functional as F
losses, original = [], F.cross_entropy
def recorded(*a, **k):
    out = original(*a, **k)
    losses.append(out.item())
    return out
F.cross_entropy = recorded
target = sys.argv[1]
atexit.register(lambda: open(target, "w").write(json.dumps(losses)))
sys.argv = ["run.py"] + sys.argv[2:]
runpy.run_module("evaluation_pipeline.finetune.run", run_name="__main__")
"""


def run_official(python: str, repo: Path, model: Path, task: str, epochs: int, seed: int, work: Path,
                 data: Path) -> dict:
    labels, metrics, valid_metric = TASK_FLAGS[task]
    folder = data / "full_eval" / "glue_filtered"
    argv = [python, "-c", WRAPPER, str(work / "losses.json"), "--model_name_or_path", str(model),
            "--train_data", str(folder / f"{task}.train.jsonl"), "--valid_data", str(folder / f"{task}.valid.jsonl"),
            "--predict_data", str(folder / f"{task}.valid.jsonl"), "--task", task, "--num_labels", str(labels),
            "--batch_size", str(BATCH.get(task, 32)), "--learning_rate", "3e-5", "--num_epochs", str(epochs),
            "--sequence_length", "512", "--results_dir", str(work / "results"), "--metrics", *metrics,
            "--metric_for_valid", valid_metric, "--seed", str(seed), "--verbose"]
    env = {"PYTHONPATH": str(repo), "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
           "PATH": "/usr/bin:/bin", "WANDB_MODE": "disabled"}
    proc = subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"official run failed:\n{proc.stderr[-3000:]}")
    key = {"accuracy": "accuracy", "f1": "f1"}[valid_metric]
    values = [float(v) for v in re.findall(rf"^{key}: ([0-9.eE+-]+)$", proc.stdout, flags=re.M)]
    per_epoch = values[:epochs]  # then one more line: the best model re-evaluated
    preds_file = next((work / "results").rglob("predictions.json"))
    preds = [p["pred"] for p in json.loads(preds_file.read_text())[task]["predictions"]]
    best = max(range(epochs), key=lambda e: (per_epoch[e], -e)) + 1
    return {"losses": json.loads((work / "losses.json").read_text()), "per_epoch": per_epoch, "best_epoch": best,
            "preds": preds}


def run_classit(model: Path, task: str, epochs: int, seed: int, work: Path, data: Path) -> dict:
    out = work / "classit.json"
    argv = [sys.executable, "-m", "classit_tasks.finetune", "--model_args", f"pretrained={model}", "--tasks", task,
            "--parity", "--num_epochs", str(epochs), "--seeds", str(seed), "--device", "cpu", "--data_dir", str(data),
            "--output_path", str(out), "--num_threads", "1", "--verbosity", "WARNING"]
    env = {"PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
           "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(argv, env=env, capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"classit run failed:\n{proc.stderr[-3000:]}")
    result = json.loads(next(work.glob("classit_*.json")).read_text())
    name = f"classit_glue_{task}"
    per_seed = result["finetune"][name]["per_seed"][0]
    samples = next(work.glob(f"samples_{name}_*.jsonl")).read_text().splitlines()
    return {"losses": per_seed["step_train_loss"], "per_epoch": per_seed["selection_scores"],
            "best_epoch": per_seed["best_epoch"], "preds": [json.loads(s)["pred"] for s in samples]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--official_repo", required=True, type=Path)
    p.add_argument("--official_python", required=True)
    p.add_argument("--model", type=Path, default=None)
    p.add_argument("--tiny", choices=["llama-bos", "gpt2-nobos"], default="llama-bos",
                   help="without --model: the tiny Llama with a BOS-adding tokenizer, or a tiny GPT-2 (dropout 0.1 in "
                   "the backbone) whose tokenizer adds no BOS (token 0 then differs between items)")
    p.add_argument("--tasks", default="wsc,rte")
    p.add_argument("--num_epochs", dest="epochs", type=int, default=3)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--data_dir", type=Path, default=DATA)
    args = p.parse_args()
    data = args.data_dir.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model
        if model is None:
            sys.path[:0] = [str(REPO / "tests" / "integration"), str(REPO / "tests" / "helpers")]
            from test_finetune_e2e import build_tiny_checkpoint
            from test_finetune_parity import build_gpt2_checkpoint

            build = build_gpt2_checkpoint if args.tiny == "gpt2-nobos" else build_tiny_checkpoint
            model = build(Path(tmp) / args.tiny)
        model = model.resolve()
        all_same = True
        for task in [t.strip() for t in args.tasks.split(",") if t.strip()]:
            (Path(tmp) / task / "off").mkdir(parents=True)
            (Path(tmp) / task / "cls").mkdir(parents=True)
            off = run_official(args.official_python, args.official_repo.resolve(), model, task, args.epochs, args.seed,
                               Path(tmp) / task / "off", data)
            cls = run_classit(model, task, args.epochs, args.seed, Path(tmp) / task / "cls", data)
            steps = len(off["losses"]) // args.epochs
            print(f"\n{task}: seed {args.seed}, {args.epochs} epochs x {steps} steps, model {model.name}")
            print("| epoch | official valid | classit --parity valid | official mean loss | classit mean loss | "
                  "steps with identical loss |")
            print("|---:|---:|---:|---:|---:|---:|")
            for e in range(args.epochs):
                a, b = off["losses"][e * steps : (e + 1) * steps], cls["losses"][e * steps : (e + 1) * steps]
                same = sum(x == y for x, y in zip(a, b))
                print(f"| {e + 1} | {off['per_epoch'][e]:.6f} | {cls['per_epoch'][e]:.6f} | {sum(a) / len(a):.9f} | "
                      f"{sum(b) / len(b):.9f} | {same}/{len(a)} |")
            checks = {
                "per-step loss": off["losses"] == cls["losses"],
                "per-epoch valid metric": off["per_epoch"] == cls["per_epoch"],
                "best epoch": off["best_epoch"] == cls["best_epoch"],
                "predictions": off["preds"] == cls["preds"],
            }
            print(f"best epoch: official {off['best_epoch']}, classit {cls['best_epoch']}; "
                  + "; ".join(f"{k}: {'identical' if v else 'DIFFERENT'}" for k, v in checks.items()))
            all_same &= all(checks.values())
        print("\nALL IDENTICAL" if all_same else "\nDIFFERENCES FOUND")


if __name__ == "__main__":
    main()
