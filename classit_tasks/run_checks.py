"""Run-time checks of ``classit-eval run`` and ``classit-eval sweep``.

- :func:`run_metadata`: what classit adds to lm-eval's task metadata for a run (the data folder, the model's name);
  lm-eval passes task metadata to every ``custom_dataset`` loader, which is how ``--data_dir`` reaches the loaders
  and how the loaders' parity warning (``classit_tasks.tasks.hf_rule``) knows the model.
- :func:`quiet_git_hash`: lm-eval records ``git describe`` of the working directory; outside a repository git
  prints ``fatal: not a git repository`` on every run. The same lookup with git's stderr silenced.
- :func:`check_chat_template`: ``--apply_chat_template`` rewrites the scored text of classit's tasks.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Iterable


def run_metadata(model: str | None, data_dir: str | Path | None) -> dict:
    """Task metadata for a run: ``model`` (the lm-eval model name) and, if given, ``data_dir`` (absolute).

    What the user passes in ``--metadata`` (or ``--model_args``) wins over these entries."""
    metadata: dict = {"model": model} if model else {}
    if data_dir:
        metadata["data_dir"] = str(Path(data_dir).resolve())
    return metadata


def quiet_git_hash() -> str | None:
    """``git describe --always`` of the working directory, or None; git's error output is not shown."""
    try:
        out = subprocess.run(["git", "describe", "--always"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return (out.stdout.strip() or None) if out.returncode == 0 else None


def classit_task_names(tasks: Iterable[str] | None) -> list[str]:
    return [t for t in (tasks or []) if isinstance(t, str) and t.startswith("classit")]


def check_chat_template(apply_chat_template, tasks) -> str | None:
    """The one-line refusal for ``--apply_chat_template`` on classit tasks, or None when it does not apply.

    Every classit zero-shot task scores raw text by the BabyLM 2025 rule; a chat template turns each sentence into
    an assistant reply after an empty user turn (and adds a second BOS under classit-hf), so the numbers would be
    neither parity numbers nor comparable to anything.
    """
    if not apply_chat_template:
        return None
    names = classit_task_names(tasks if not isinstance(tasks, str) else tasks.split(","))
    if not names:
        return None
    return (f"--apply_chat_template would rewrite the scored text of {', '.join(names)} (each sentence becomes an "
            "assistant reply in a chat; BabyLM 2025 scores the raw text): drop the flag for these tasks")
