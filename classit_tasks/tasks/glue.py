"""The seven BabyLM 2025 (Super)GLUE tasks: the facts of the family, and their data.

This table is the single definition of the tasks: data files, the two input texts, labels, metric, batch size,
epochs, the zero-shot prompt. The fine-tuning wrapper (``classit-eval finetune``, ``classit_tasks.finetune``) reads
it; the task YAML generator (``python -m classit_tasks.tasks.yamls``) writes it into the zero-shot lm-eval prompt
variants (``classit_glue_<task>_zeroshot``), whose YAML ``metadata.finetune`` repeats it for readers.

Input texts follow ``evaluation_pipeline/finetune/dataset.py`` of babylm/evaluation-pipeline-2025; the pair
(text_a, text_b) is handed to the tokenizer as a text pair, exactly as the 2025 code does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from classit_tasks.tasks.data import ClassitDataError, find_dataset, read_jsonl
from classit_tasks.tasks.family import Family, LeaderboardTask, result_number
from classit_tasks.tasks.loaders import Docs

DATASET = "glue_filtered"  # full_eval/glue_filtered/<task>.{train,valid}.jsonl
GROUP = "classit_glue"
SPLITS = ("train", "valid")


@dataclass(frozen=True)
class GlueTask:
    """One fine-tuning task. Templates are ``str.format`` templates over the record's fields."""

    name: str  # file stem: <name>.train.jsonl / <name>.valid.jsonl
    fields: dict[str, Any]  # required record fields -> type (validated on read)
    text_a: str
    text_b: str
    labels: tuple[str, ...]  # label names, index = the integer label in the files
    metric: str  # leaderboard and model-selection metric: "acc" or "f1" (positive class 1)
    batch_size: int
    epochs: int
    zeroshot_prompt: str  # lm-eval prompt variant (Jinja over text_a / text_b)
    zeroshot_choices: tuple[str, ...]  # answer strings, index = label
    heldout_group: str | None = None  # keep records sharing this key on one side of the held-out split

    @property
    def task_name(self) -> str:
        return f"{GROUP}_{self.name}"

    @property
    def num_labels(self) -> int:
        return len(self.labels)

    @property
    def metrics(self) -> tuple[str, ...]:
        """Reported metrics: accuracy and MCC always, binary F1 where there are two labels."""
        return ("acc", "f1", "mcc") if self.num_labels == 2 else ("acc", "mcc")

    def texts(self, record: dict) -> tuple[str, str]:
        return self.text_a.format(**record), self.text_b.format(**record)


_PAIR = {"sentence1": str, "sentence2": str, "label": int}

# Batch sizes and epochs: eval_finetuning.sh (BSZ 32, BIG_BSZ 16 for BoolQ/MultiRC, 10 epochs, 30 for WSC).
# Zero-shot prompts: lm-eval's own super_glue / glue prompts, rewritten over (text_a, text_b).
TASKS: dict[str, GlueTask] = {
    t.name: t
    for t in [
        GlueTask(
            name="boolq", fields={"question": str, "passage": str, "label": int},
            text_a="{question}", text_b="{passage}", labels=("False", "True"), metric="acc",
            batch_size=16, epochs=10,
            zeroshot_prompt="{{text_b}}\nQuestion: {{text_a}}?\nAnswer:", zeroshot_choices=("no", "yes"),
            heldout_group="passage",
        ),
        GlueTask(
            name="multirc", fields={"paragraph": str, "question": str, "answer": str, "label": int},
            text_a="Question: {question} Answer: {answer}", text_b="{paragraph}", labels=("False", "True"),
            metric="acc", batch_size=16, epochs=10,
            zeroshot_prompt="{{text_b}}\n{{text_a}}\nIs the answer correct?", zeroshot_choices=("no", "yes"),
            heldout_group="paragraph",
        ),
        GlueTask(
            name="rte", fields=_PAIR, text_a="{sentence1}", text_b="{sentence2}",
            labels=("entailment", "not_entailment"), metric="acc", batch_size=32, epochs=10,
            zeroshot_prompt="{{text_a}}\nQuestion: {{text_b}} True or False?\nAnswer:",
            zeroshot_choices=("True", "False"),
        ),
        GlueTask(
            name="wsc",
            fields={"text": str, "span1_text": str, "span2_text": str, "label": int},
            text_a='Does "{span2_text}" refer to "{span1_text}" in this passage?', text_b="{text}",
            labels=("False", "True"), metric="acc", batch_size=32, epochs=30,
            zeroshot_prompt="{{text_b}}\nQuestion: {{text_a}}\nAnswer:", zeroshot_choices=("no", "yes"),
            heldout_group="text",
        ),
        GlueTask(
            name="mrpc", fields=_PAIR, text_a="{sentence1}", text_b="{sentence2}",
            labels=("not_equivalent", "equivalent"), metric="f1", batch_size=32, epochs=10,
            zeroshot_prompt="Sentence 1: {{text_a}}\nSentence 2: {{text_b}}\n"
            "Question: Do both sentences mean the same thing?\nAnswer:",
            zeroshot_choices=("no", "yes"),
        ),
        GlueTask(
            name="qqp", fields={"question1": str, "question2": str, "label": int},
            text_a="{question1}", text_b="{question2}", labels=("not_duplicate", "duplicate"), metric="f1",
            batch_size=32, epochs=10,
            zeroshot_prompt="Question 1: {{text_a}}\nQuestion 2: {{text_b}}\n"
            "Question: Do both questions ask the same thing?\nAnswer:",
            zeroshot_choices=("no", "yes"),
        ),
        GlueTask(
            name="mnli", fields={"premise": str, "hypothesis": str, "label": int},
            text_a="{premise}", text_b="{hypothesis}", labels=("entailment", "neutral", "contradiction"),
            metric="acc", batch_size=32, epochs=10,
            zeroshot_prompt="{{text_a}}\nQuestion: {{text_b}} True, False or Neither?\nAnswer:",
            zeroshot_choices=("True", "Neither", "False"),
        ),
    ]
}


# Validation items per task in the 2025 release (the predictions a submission carries; collate_preds.py).
VALID_COUNTS = {"boolq": 1635, "mnli": 4908, "mrpc": 204, "multirc": 2424, "qqp": 20215, "rte": 139, "wsc": 52}
ZEROSHOT_GROUP = f"{GROUP}_zeroshot"


def zeroshot_task(task: GlueTask) -> str:
    return f"{task.task_name}_zeroshot"


LEADERBOARD_KEY = "glue"  # its leaderboard task, and its part of the submission file


def leaderboard_score(entry: dict) -> tuple[float | None, str | None]:
    """The leaderboard score of classit_glue: all seven tasks, one that did not run counting 0
    (``score_leaderboard``, finetune/coverage.py; ``score`` in results written before that field existed)."""
    value = result_number(entry, "score_leaderboard")
    value = result_number(entry, "score") if value is None else value
    if value is None:
        return None, None
    note = None
    if str(entry.get("alias", "")).endswith("(partial)"):
        note = f"partial: {entry.get('tasks_evaluated,none')} of {len(TASKS)} tasks ran, the others count as 0"
    return 100.0 * value, note


FAMILY = Family(
    name="glue",
    leaves=tuple(t.task_name for t in TASKS.values()) + tuple(zeroshot_task(t) for t in TASKS.values()),
    metrics=("score", "acc", "f1", "mcc"),
    chance=None,  # accuracy: the majority-class share of the evaluated items (known per run, not per family)
    ability="GLUE task",
    leaderboard={LEADERBOARD_KEY: LeaderboardTask("(Super)GLUE", "nlp", (GROUP,), "glue", rule=leaderboard_score)},
    majority_chance=True,
)

assert set(VALID_COUNTS) == set(TASKS)


def split_path(task: GlueTask, split: str, data_dir: str | os.PathLike | None = None):
    """Path of ``<task>.<split>.jsonl`` in the evaluation-data folder (which may not exist)."""
    return find_dataset(DATASET, data_dir) / f"{task.name}.{split}.jsonl"


def load_split(task: GlueTask, split: str, data_dir: str | os.PathLike | None = None) -> list[dict]:
    """Validated records of one split; a missing file is a one-line error naming it."""
    path = split_path(task, split, data_dir)
    if not path.is_file():
        raise ClassitDataError(
            f"{path}: file not found ({task.name} needs its {split} split for fine-tuning; it is part of the "
            f"BabyLM 2025 evaluation data on OSF)"
        )
    records = read_jsonl(path, task.fields)
    for lineno, record in enumerate(records, start=1):
        if not 0 <= record["label"] < task.num_labels:
            raise ClassitDataError(
                f"{path}:{lineno}: field 'label' must be 0..{task.num_labels - 1}, got {record['label']}"
            )
    return records


# --------------------------------------------------------------------------------------------------------------
# lm-eval side: the zero-shot prompt variants (task_yamls/glue/classit_glue_<task>_zeroshot.yaml)
# --------------------------------------------------------------------------------------------------------------
def load_zeroshot(glue_task: str, data_dir: str | None = None, **_) -> dict:
    """``custom_dataset`` of the zero-shot variants: the valid file (the file 2025 reports on) as the ``test`` split,
    with the two input texts added as columns ``text_a`` / ``text_b``."""
    task = TASKS[glue_task]
    records = []
    for record in load_split(task, "valid", data_dir):
        text_a, text_b = task.texts(record)
        records.append({**record, "text_a": text_a, "text_b": text_b})
    return {"test": Docs(records)}


# ------------------------------------------------------------------------------------------------ coverage
# Which (Super)GLUE tasks a GLUE average covers, and the leaderboard average beside it: the BabyLM leaderboard
# averages all seven task scores and counts a task that was not run as 0; classit's ``classit_glue`` score is the
# mean over the tasks that could run. Both are reported, with the list of tasks.
def coverage(scores: dict[str, float]) -> dict:
    """``scores``: task name (``classit_glue_<task>``) -> score (fraction) of the tasks that ran."""
    names = [f"{GROUP}_{t}" for t in TASKS]
    evaluated = [n for n in names if n in scores]
    missing = [n for n in names if n not in scores]
    return {
        "evaluated": evaluated,
        "missing": missing,
        "partial": bool(missing),
        "mean_evaluated": sum(scores[n] for n in evaluated) / len(evaluated) if evaluated else None,
        "leaderboard_mean": sum(scores.get(n, 0.0) for n in names) / len(names),  # missing = 0
    }


def coverage_note(results: dict) -> str | None:
    """A line under a summary table when a results dict holds a ``classit_glue`` score (None otherwise)."""
    entry = results.get("results", {}).get(GROUP)
    if not entry or not isinstance(entry.get("score,none"), (int, float)):
        return None
    scores = {name: r["score,none"] for name, r in results["results"].items()
              if name.startswith(f"{GROUP}_") and isinstance(r.get("score,none"), (int, float))}
    if not scores:  # a merged or hand-made results dict without the per-task entries: nothing to say
        return None
    info = coverage(scores)
    short = lambda names: ", ".join(n.removeprefix(f"{GROUP}_") for n in names)  # noqa: E731
    if not info["partial"]:
        return f"{GROUP}: mean of all {len(TASKS)} tasks ({short(info['evaluated'])})"
    return (f"{GROUP}: PARTIAL, mean of {len(info['evaluated'])} of {len(TASKS)} tasks "
            f"({short(info['evaluated'])}) = {100 * info['mean_evaluated']:.2f}; missing {short(info['missing'])}; "
            f"leaderboard average (missing = 0) = {100 * info['leaderboard_mean']:.2f}")
