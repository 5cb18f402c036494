"""A real, tiny end-to-end scenario for ``classit-eval submit``: a training run folder with two milestone
checkpoints, a sweep folder in the classit-sweep/1 layout that ``classit-eval sweep`` writes (sweep.json +
per-checkpoint lm-eval results and samples), the full suite of the final checkpoint, and fine-tuning results of the
GLUE tasks that can run on this machine.

Every result file is written by classit-eval itself (``classit-eval run`` / ``classit-eval finetune``) on tiny
random models; only ``sweep.json`` is written here, following the sweep contract (classit-sweep/1).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tiny_models import EVAL_DATA, build_model, build_tokenizer

from classit_tasks.artifacts.checkpoints import weights_sha256

FINETUNE_TASKS = "wsc"
# What the data on this machine cannot provide: COMPS files, WUG past tense, BoolQ / MultiRC training files; AoA is a
# sweep task (classit_aoa) not run here; RTE, MNLI, QQP and MRPC are skipped to keep the test short.
ALLOW_MISSING = "comps,wug_past,aoa,boolq,multirc,mnli,qqp,mrpc,rte"


def build_run(root: Path, names=("chck_1M", "chck_2M")) -> Path:
    """A training-run folder with milestone checkpoints (tiny Llama models, one tokenizer) and classit_state.json."""
    run = root / "tiny-pretrain"
    tok_dir = root / "tok"
    tokenizer = build_tokenizer("bos", tok_dir)
    for i, name in enumerate(names):
        folder = run / name
        build_model(tokenizer, folder, seed=i)
        words = int(name.removeprefix("chck_").removesuffix("M")) * 1_000_000
        (folder / "classit_state.json").write_text(json.dumps({
            "stage": "pretrain", "global_step": 10 * (i + 1), "tokens_seen": words * 2, "words_seen": words,
            "branch": "tiny-pretrain", "parent": None, "milestone_words": words, "words_offset": 0}))
    shutil.rmtree(tok_dir)
    return run


def evaluate(checkpoint: Path, tasks: str, output: Path) -> None:
    from classit_tasks.cli import main

    code = main(["run", "--model_args", f"pretrained={checkpoint}", "--tasks", tasks, "--data_dir", str(EVAL_DATA),
                 "--device", "cpu", "--batch_size", "64", "--output_path", str(output), "--log_samples"])
    assert code == 0, f"classit-eval run {tasks} on {checkpoint} failed"


def build_sweep(run: Path, out: Path) -> Path:
    """Evaluate every checkpoint of ``run`` on the fast suite and write sweep.json (classit-sweep/1)."""
    entries = []
    for folder in sorted(p for p in run.iterdir() if p.name.startswith("chck_")):
        digest = weights_sha256(folder)  # the sweep's key
        key = digest[:16]
        evaluate(folder, "classit_zero_shot_fast", out / "checkpoints" / key)
        state = json.loads((folder / "classit_state.json").read_text())
        entries.append({
            "key": key, "weights_sha256": digest, "path": str(folder.resolve()), "name": folder.name,
            "run": str(run.resolve()), "branch": state["branch"], "stage": state["stage"], "parent": state["parent"],
            "words_seen": state["words_seen"], "tokens_seen": state["tokens_seen"],
            "global_step": state["global_step"], "results_dir": f"checkpoints/{key}",
            "tasks_complete": ["classit_zero_shot_fast"], "status": "complete", "error": None})
    (out / "sweep.json").write_text(json.dumps(
        {"format": "classit-sweep/1", "tasks": ["classit_zero_shot_fast"], "checkpoints": entries}, indent=1))
    return out


def finetune(checkpoint: Path, output: Path, tasks: str = FINETUNE_TASKS) -> None:
    from classit_tasks.cli import main

    code = main(["finetune", "--model_args", f"pretrained={checkpoint}", "--tasks", tasks, "--data_dir",
                 str(EVAL_DATA), "--device", "cpu", "--num_epochs", "1", "--output_path", str(output)])
    assert code == 0, f"classit-eval finetune on {checkpoint} failed"


def scenario_paths(root: Path) -> dict[str, Path]:
    run = root / "tiny-pretrain"
    return {"run": run, "sweep": root / "sweep", "full": root / "full", "finetune": root / "finetune",
            "final": run / "chck_2M"}


def build_scenario(root: Path) -> dict[str, Path]:
    paths = scenario_paths(root)
    build_sweep(build_run(root), paths["sweep"])
    evaluate(paths["final"], "classit_zero_shot", paths["full"])
    finetune(paths["final"], paths["finetune"])
    return paths
