"""Results in lm-eval's results-JSON shape, and per-example predictions in lm-eval's samples shape.

Files: ``<output_path>/<sanitized model name>/results_<timestamp>.json`` and
``samples_<task>_<timestamp>.jsonl`` beside it, named exactly as lm-eval names them, so every tool that reads
lm-eval output reads these. Fine-tuning specifics (per-seed scores, selected epochs, files used) are under the
extra top-level key ``finetune``; tasks that could not run are listed under ``not_evaluated``.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np

from classit_tasks.artifacts.results import hash_text as _hash
from classit_tasks.artifacts.results import sanitize_model_name, write_result_set

from classit_tasks.finetune import metrics as M
from classit_tasks.finetune.config import FinetuneConfig
from classit_tasks.tasks.glue import coverage
from classit_tasks.finetune.tasks import GROUP, GlueTask
from classit_tasks.finetune.train import SeedResult, TaskData

VERSION = 1.0


def _clean(value):
    """NaN / inf are not JSON: lm-eval writes an unavailable stderr as "N/A"."""
    if isinstance(value, float) and not math.isfinite(value):
        return "N/A"
    return value


def task_results(task: GlueTask, runs: list[SeedResult]) -> dict:
    per_seed = [r.scores for r in runs]
    out = {"alias": task.task_name, **M.summarize(per_seed, task.metrics)}
    # "score" = the leaderboard metric of the task (accuracy; F1 for MRPC and QQP)
    out["score,none"] = out[f"{task.metric},none"]
    out["score_stderr,none"] = out[f"{task.metric}_stderr,none"]
    for suffix in ("seed_std", "seed_ci_low", "seed_ci_high"):
        if f"{task.metric}_{suffix},none" in out:
            out[f"score_{suffix},none"] = out[f"{task.metric}_{suffix},none"]
    return {k: _clean(v) for k, v in out.items()}


def group_results(per_task: dict[str, dict]) -> dict:
    """Unweighted mean over the evaluated tasks (the GLUE score: acc, F1 for MRPC/QQP); stderr pooled as lm-eval
    does for an unweighted group, sqrt(sum se^2) / k. ``score_leaderboard`` is the leaderboard's mean over all
    seven tasks with a missing task counted as 0; ``tasks_evaluated`` says how many the mean covers."""
    cover = coverage({name: r["score,none"] for name, r in per_task.items() if "score,none" in r})
    out: dict = {"alias": GROUP + (" (partial)" if cover["partial"] else ""),
                 "tasks_evaluated,none": len(cover["evaluated"]),
                 "score_leaderboard,none": cover["leaderboard_mean"]}
    for metric in ("score", "acc", "mcc"):
        values = [r[f"{metric},none"] for r in per_task.values() if f"{metric},none" in r]
        errors = [r.get(f"{metric}_stderr,none") for r in per_task.values() if f"{metric},none" in r]
        if not values:
            continue
        out[f"{metric},none"] = float(np.mean(values))
        if all(isinstance(e, float) for e in errors):
            out[f"{metric}_stderr,none"] = math.sqrt(sum(e * e for e in errors)) / len(errors)
        else:
            out[f"{metric}_stderr,none"] = "N/A"
    return out


def task_config(task: GlueTask, data: TaskData, cfg: FinetuneConfig) -> dict:
    return {
        "task": task.task_name,
        "tag": GROUP,
        "output_type": "finetune_classification",
        "dataset_path": data.files.get("valid"),
        "training_split": data.files.get("train"),
        "validation_split": "valid",
        "text_a": task.text_a,
        "text_b": task.text_b,
        "labels": list(task.labels),
        "metric_list": [{"metric": m, "aggregation": m if m != "acc" else "mean", "higher_is_better": True}
                        for m in task.metrics],
        "selection_metric": task.metric,
        "batch_size": cfg.batch_size or task.batch_size,
        "num_epochs": cfg.epochs or task.epochs,
        "metadata": {"version": VERSION},
    }


def samples(task: GlueTask, data: TaskData, runs: list[SeedResult]) -> list[dict]:
    """One lm-eval-style sample per reported item. ``resps`` holds one prediction per seed; ``acc`` is the item's
    accuracy averaged over seeds (0/1 with one seed); ``pred`` is the first seed's prediction, ``preds`` all."""
    out = []
    seeds = [r.seed for r in runs]
    for i, doc in enumerate(data.report):
        text_a, text_b = task.texts(doc)
        target = int(doc["label"])
        preds = [int(r.preds[i]) for r in runs]
        sample = {
            "doc_id": i,
            "doc": doc,
            "target": str(target),
            "arguments": {"gen_args_0": {"arg_0": text_a, "arg_1": text_b}},
            "resps": [[str(p) for p in preds]],
            "filtered_resps": [str(p) for p in preds],
            "filter": "none",
            "metrics": list(task.metrics),
            "doc_hash": _hash(json.dumps(doc, indent=2, ensure_ascii=False)),
            "prompt_hash": _hash(text_a + "\n" + text_b),
            "target_hash": _hash(str(target)),
            "acc": float(np.mean([p == target for p in preds])),
            "pred": preds[0],
            "preds": preds,
            "seeds": seeds,
        }
        for m in task.metrics:
            if m != "acc":
                sample[m] = [target, preds[0]]  # lm-eval's per-item (gold, pred) for f1 / mcc
        out.append(sample)
    return out


def build(
    model_args: str,
    pretrained: str,
    cfg: FinetuneConfig,
    runs: dict[str, tuple[TaskData, list[SeedResult]]],
    not_evaluated: dict[str, str],
    device: str,
    start_time: float,
    extra_config: dict | None = None,
) -> dict:
    results, configs, versions, n_shot, higher, n_samples, finetune = {}, {}, {}, {}, {}, {}, {}
    for name, (data, seed_runs) in runs.items():
        task = data.task
        results[name] = task_results(task, seed_runs)
        configs[name] = task_config(task, data, cfg)
        versions[name] = VERSION
        n_shot[name] = 0
        higher[name] = {m: True for m in (*task.metrics, "score")}
        n_samples[name] = {"original": data.report_original_size, "effective": len(data.report)}
        finetune[name] = {
            "files": data.files,
            "selection": cfg.select_on,
            "selection_metric": task.metric,
            "per_seed": [
                {"seed": r.seed, **{k: _clean(v) for k, v in r.scores.items()}, "best_epoch": r.best_epoch,
                 "selection_scores": r.selection_scores, "train_examples": r.train_examples,
                 "selection_examples": r.selection_examples, "optimizer_steps": r.optimizer_steps,
                 "runtime_s": r.runtime_s, "epoch_train_loss": r.epoch_losses, "step_train_loss": r.step_losses,
                 "tokens": r.tokens}
                for r in seed_runs
            ],
        }
    groups = {GROUP: group_results(results)} if results else {}
    end = time.time()
    return {
        "results": {**groups, **results},
        "groups": groups,
        "group_subtasks": {GROUP: list(results)} if results else {},
        "configs": configs,
        "versions": {**({GROUP: VERSION} if results else {}), **versions},
        "n-shot": n_shot,
        "higher_is_better": {**({GROUP: {"score": True, "acc": True, "mcc": True}} if results else {}), **higher},
        "n-samples": n_samples,
        "config": {
            "model": "classit-finetune",
            "model_args": model_args,
            "batch_size": cfg.batch_size,
            "device": device,
            "limit": cfg.limit,
            "random_seed": list(cfg.seeds),
            "finetune": cfg.to_dict(),
            **(extra_config or {}),
        },
        "not_evaluated": not_evaluated,
        "glue_coverage": coverage({n: r["score,none"] for n, r in results.items() if "score,none" in r}),
        "finetune": finetune,
        "git_hash": None,
        "date": start_time,
        "model_source": "classit-finetune",
        "model_name": pretrained,
        "model_name_sanitized": sanitize_model_name(pretrained),
        "start_time": start_time,
        "end_time": end,
        "total_evaluation_time_seconds": str(end - start_time),
    }


def write(output_path: str, result: dict, task_samples: dict[str, list[dict]]) -> Path:
    """Write results and samples the way lm-eval does (a ``.json`` output path becomes ``<stem>_<time>.json``), as
    one set: an interrupted run leaves no partial result."""
    return write_result_set(output_path, result, task_samples)
