"""classit: the BabyLM 2025 / CLASS-IT evaluation suite as an lm-evaluation-harness task pack."""

from pathlib import Path

__version__ = "0.1.0"


def task_dir() -> Path:
    """The installed ``task_yamls`` folder: what ``lm_eval --include_path`` should point at."""
    import task_yamls

    return Path(task_yamls.__file__).resolve().parent
