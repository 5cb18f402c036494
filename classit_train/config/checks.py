"""Checks of user-given names in a run config that the dataclasses cannot make (with closest-name hints):
``model.overrides`` keys against the model config class, ``extra_args`` keys against ``TrainingArguments``.

The transformers import is paid only when a config has overrides or extra arguments to check.
"""

from __future__ import annotations

import dataclasses

from ..errors import ConfigError
from ..schema import did_you_mean


def check_model_overrides(overrides: dict, where: str = "model.overrides") -> None:
    """Every override must be a field of the model's config (LlamaConfig), else a typo trains a default-size model."""
    if not overrides:
        return
    from transformers import LlamaConfig

    valid = set(LlamaConfig().to_dict()) | {"rope_theta"}
    for key in overrides:
        if key not in valid:
            raise ConfigError(f"{where}.{key}", f"not a LlamaConfig field{did_you_mean(key, valid)}")


def check_training_args(extra: dict, where: str) -> None:
    """Every ``extra_args`` key must be a ``transformers.TrainingArguments`` field."""
    if not extra:
        return
    from transformers import TrainingArguments

    valid = {f.name for f in dataclasses.fields(TrainingArguments) if f.init}
    for key in extra:
        if key not in valid:
            raise ConfigError(f"{where}.{key}", f"not a TrainingArguments field{did_you_mean(key, valid)}")
