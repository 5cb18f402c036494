"""classit: the BabyLM 2025 / CLASS-IT evaluation suite as an lm-evaluation-harness task pack."""

import logging
from pathlib import Path

__version__ = "0.1.0"


class _QuietCustomDatasetNotice(logging.Filter):
    """lm-eval logs a two-line "Custom kwargs can be passed to `--metadata`" warning for every task whose dataset
    comes from a Python loader: 67 copies for classit_blimp. classit's loaders take their settings from
    --metadata / CLASSIT_DATA_DIR as documented, so the notice is dropped for classit's own tasks only."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (message.startswith("classit_") and "Custom kwargs can be passed to `--metadata`" in message)


logging.getLogger("lm_eval.api.task").addFilter(_QuietCustomDatasetNotice())


def task_dir() -> Path:
    """The installed ``task_yamls`` folder: what ``lm_eval --include_path`` should point at."""
    import task_yamls

    return Path(task_yamls.__file__).resolve().parent
