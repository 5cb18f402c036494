"""classit_train: CLASS-IT-style instruction tuning for BabyLM-scale models on the transformers Trainer.

Public API (what tests, the demo and other tools call):

* :func:`train_tokenizer` -- byte-level BPE from files or an iterator, with or without BOS, chat template inside;
* :func:`build_model` / :data:`PRESETS` -- a Llama-style model from a preset name (``tiny``, ``babylm-100m``,
  ``babylm-140m``) sized for a tokenizer;
* :func:`load_config` + :func:`run_curriculum` -- run a YAML curriculum (the ``classit-train train`` command).
"""

from .config.run import RunConfig, load_config, parse_config
from .data.records import Record
from .errors import ClassitTrainError, ConfigError, DataError
from .training.models import PRESETS, build_model, count_parameters, model_config
from .training.tokenizer import chat_template, load_tokenizer, train_tokenizer


def run_curriculum(config, **kwargs):
    """Train every stage of ``config``; see :func:`classit_train.training.trainer.run_curriculum`."""
    from .training.trainer import run_curriculum as _run

    return _run(config, **kwargs)


__all__ = [
    "train_tokenizer", "load_tokenizer", "chat_template", "build_model", "model_config", "count_parameters",
    "PRESETS", "load_config", "parse_config", "RunConfig", "run_curriculum", "Record",
    "ClassitTrainError", "ConfigError", "DataError",
]
