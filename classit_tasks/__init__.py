"""classit: the BabyLM 2025 / CLASS-IT evaluation suite as an lm-evaluation-harness task pack."""

from pathlib import Path

from classit_tasks.harness import quiet_custom_dataset_notice

__version__ = "0.1.0"

quiet_custom_dataset_notice()  # lm-eval's per-task "Custom kwargs" notice, dropped for classit's tasks


def task_dir() -> Path:
    """The installed ``task_yamls`` folder: what ``lm_eval --include_path`` should point at."""
    return Path(__file__).resolve().parent / "task_yamls"
