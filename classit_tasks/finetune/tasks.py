"""The (Super)GLUE tasks of the fine-tuning wrapper: ``--tasks`` resolution over the one task table.

The tasks themselves (files, input texts, labels, metric, batch size, epochs, zero-shot prompts) are defined once,
in ``classit_tasks.tasks.glue`` (the family module the task YAML generator and the reports also read); the names
below are re-exported from there for the fine-tuning modules.
"""

from __future__ import annotations

from classit_tasks.tasks.glue import DATASET, GROUP, SPLITS, TASKS, GlueTask, load_split, load_zeroshot, split_path

__all__ = ["DATASET", "GROUP", "SPLITS", "TASKS", "GlueTask", "load_split", "load_zeroshot", "resolve_tasks",
           "split_path"]


def resolve_tasks(spec: str) -> list[GlueTask]:
    """``classit_glue`` (all seven) or a comma list of names, with or without the ``classit_glue_`` prefix."""
    out: list[GlueTask] = []
    for item in (s.strip() for s in spec.split(",")):
        if not item:
            continue
        if item == GROUP:
            names = list(TASKS)
        else:
            short = item.removeprefix(f"{GROUP}_")
            if short not in TASKS:
                known = ", ".join([GROUP, *TASKS])
                raise ValueError(f"--tasks: unknown task '{item}' (known: {known})")
            names = [short]
        out += [TASKS[n] for n in names if TASKS[n] not in out]
    if not out:
        raise ValueError("--tasks: no task given")
    return out
