"""The run configuration: dataclasses loaded from YAML with one-line errors that name the field.

A config has a ``sources`` table (name -> source spec) and an ordered list of ``stages``; each stage mixes some
of the sources with weights and may override the training defaults (epochs, learning rate, schedule ...).
See configs/*.yaml and docs/training.md.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from ..checkpoints.milestones import CheckpointsConfig, validate_checkpoints
from ..errors import ConfigError
from ..schema import from_dict
from .checks import check_model_overrides, check_training_args


@dataclass
class TokenizerConfig:
    """Use an existing tokenizer (``path``) or train one (``train_files``) and save it to ``path``."""

    path: str | None = None
    train_files: list[str] = field(default_factory=list)
    vocab_size: int = 8192
    add_bos: bool = True
    min_frequency: int = 2
    max_words: int | None = None


@dataclass
class ModelConfig:
    """Start from a preset (random init) or from an existing checkpoint (``init_from``)."""

    preset: str | None = "tiny"
    init_from: str | None = None
    attn_implementation: str = "sdpa"
    overrides: dict[str, Any] = field(default_factory=dict)


@dataclass
class DataConfig:
    max_seq_length: int = 512
    packing: bool = True
    loss_on: Literal["reply", "all"] = "reply"
    seed: int = 42
    dynamics: bool = False  # record per-example training dynamics (classit_train.analysis.dynamics)


@dataclass
class BudgetConfig:
    """BabyLM budget: words seen (counting repeats) over the whole curriculum."""

    max_words: int | None = None
    mode: Literal["enforce", "warn", "off"] = "enforce"


@dataclass
class TrainingConfig:
    """Defaults for every stage; names and meanings are those of ``transformers.TrainingArguments``."""

    per_device_train_batch_size: int = 8
    gradient_accumulation_steps: int = 1
    learning_rate: float = 3e-4
    lr_scheduler_type: str = "cosine"
    warmup_ratio: float = 0.0
    warmup_steps: int = 0
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    adam_beta2: float = 0.999
    num_train_epochs: float = 1.0
    max_steps: int = -1
    save_steps: int = 500
    save_total_limit: int | None = None
    logging_steps: int = 10
    seed: int = 42
    bf16: bool = False
    report_to: list[str] = field(default_factory=lambda: ["none"])
    ddp_backend: str | None = None
    dataloader_num_workers: int = 0
    disable_tqdm: bool = False
    extra_args: dict[str, Any] = field(default_factory=dict)


@dataclass
class StageSource:
    source: str
    weight: float = 1.0


@dataclass
class StageConfig:
    name: str
    sources: list[StageSource]
    epochs: float | None = None
    learning_rate: float | None = None
    lr_scheduler_type: str | None = None
    warmup_ratio: float | None = None
    max_steps: int | None = None
    loss_on: Literal["reply", "all"] | None = None
    training: dict[str, Any] = field(default_factory=dict)
    select: dict[str, Any] | None = None  # keep examples by data map region/percentile (classit_train.data.selection)


@dataclass
class RunConfig:
    output_dir: str
    sources: dict[str, dict[str, Any]]
    stages: list[StageConfig]
    tokenizer: TokenizerConfig = field(default_factory=TokenizerConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    budget: BudgetConfig = field(default_factory=BudgetConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    checkpoints: CheckpointsConfig = field(default_factory=CheckpointsConfig)
    config_path: str | None = None

    def stage_training(self, stage: StageConfig) -> TrainingConfig:
        """The training settings of one stage: defaults, then the stage's shorthands and ``training`` overrides."""
        values = dataclasses.asdict(self.training)
        values.update({k: v for k, v in {
            "num_train_epochs": stage.epochs, "learning_rate": stage.learning_rate,
            "lr_scheduler_type": stage.lr_scheduler_type, "warmup_ratio": stage.warmup_ratio,
            "max_steps": stage.max_steps}.items() if v is not None})
        values.update(stage.training)
        return from_dict(TrainingConfig, values, f"stages.{stage.name}.training")


# ---------------------------------------------------------------------------------------------------------------
def _set_dotted(data: dict, dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    node: Any = data
    for key in keys[:-1]:
        if isinstance(node, list):
            node = node[int(key)]
        else:
            node = node.setdefault(key, {})
    if isinstance(node, list):
        node[int(keys[-1])] = value
    else:
        node[keys[-1]] = value


def load_config(path: str | Path, overrides: list[str] | None = None) -> RunConfig:
    """Read a YAML config; ``overrides`` are ``dotted.key=yaml_value`` strings applied before validation."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("config", f"file not found: {path}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise ConfigError("config", f"{path}{line}: invalid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict):
        raise ConfigError("config", f"{path}: expected a mapping at the top level")
    for item in overrides or []:
        if "=" not in item:
            raise ConfigError("--set", f"expected KEY=VALUE, got {item!r}")
        key, raw = item.split("=", 1)
        try:
            _set_dotted(data, key.strip(), yaml.safe_load(raw))
        except yaml.YAMLError as exc:  # e.g. a tag such as !!python/object, refused by the safe loader
            raise ConfigError("--set", f"{item!r}: invalid YAML value ({getattr(exc, 'problem', None) or exc})") from None
        except (ValueError, IndexError, TypeError):
            raise ConfigError(key.strip(), f"cannot apply override {item!r}") from None
    data.setdefault("config_path", str(path))
    return parse_config(data)


def parse_config(data: dict) -> RunConfig:
    """Validate a config mapping (already read from YAML)."""
    from ..data.sources import validate_source_spec
    from ..training.models import PRESETS

    config = from_dict(RunConfig, data)
    if not config.stages:
        raise ConfigError("stages", "at least one stage is required")
    for name, spec in config.sources.items():
        validate_source_spec(spec, f"sources.{name}")
    seen = set()
    for i, stage in enumerate(config.stages):
        if stage.name in seen:
            raise ConfigError(f"stages[{i}].name", f"duplicate stage name {stage.name!r}")
        seen.add(stage.name)
        if not stage.sources:
            raise ConfigError(f"stages[{i}].sources", "a stage needs at least one source")
        for j, ref in enumerate(stage.sources):
            if ref.source not in config.sources:
                raise ConfigError(f"stages[{i}].sources[{j}].source",
                                  f"unknown source {ref.source!r} (defined: {', '.join(sorted(config.sources))})")
            if ref.weight <= 0:
                raise ConfigError(f"stages[{i}].sources[{j}].weight", f"must be > 0, got {ref.weight}")
        config.stage_training(stage)  # validates the overrides
        if stage.select is not None:
            from ..data.selection import parse_select

            parse_select(stage.select, f"stages[{i}].select")
    check_model_overrides(config.model.overrides)
    check_training_args(config.training.extra_args, "training.extra_args")
    for stage in config.stages:
        check_training_args(stage.training.get("extra_args") or {}, f"stages.{stage.name}.training.extra_args")
    if config.model.init_from is None and config.model.preset not in PRESETS:
        raise ConfigError("model.preset", f"unknown preset {config.model.preset!r} (choose from {', '.join(PRESETS)})")
    if config.tokenizer.path is None and not config.tokenizer.train_files and config.model.init_from is None:
        raise ConfigError("tokenizer", "set tokenizer.path (an existing tokenizer) or tokenizer.train_files")
    if config.data.max_seq_length < 8:
        raise ConfigError("data.max_seq_length", f"must be at least 8, got {config.data.max_seq_length}")
    if config.budget.max_words is not None and config.budget.max_words <= 0:
        raise ConfigError("budget.max_words", "must be a positive number of words")
    config.checkpoints = validate_checkpoints(config.checkpoints)
    return config
