"""Issue 15, silent wrong numbers in training configs: unknown keys at every depth (model.overrides and
extra_args included) are refused with the closest valid names; non-finite numbers are refused. Parsing a config
reads no file: the tokenizer folder named in it need not exist."""

from __future__ import annotations

import pytest

from classit_train import ConfigError, parse_config

from train_helpers import tiny_config


@pytest.mark.parametrize("change, message", [
    ({"training": {"learnig_rate": 1e-3}}, "training.learnig_rate: unknown field (did you mean 'learning_rate'?)"),
    ({"model": {"overides": {}}}, "model.overides: unknown field (did you mean 'overrides'?)"),
    ({"model": {"overrides": {"hiden_size": 32}}},
     "model.overrides.hiden_size: not a LlamaConfig field (did you mean 'hidden_size'"),
    ({"training": {"extra_args": {"lable_smoothing_factor": 0.1}}},
     "training.extra_args.lable_smoothing_factor: not a TrainingArguments field (did you mean 'label_smoothing_factor'?)"),
    ({"stages": [{"name": "s", "sources": [{"source": "switchboard"}], "training": {"extra_args": {"optimm": "sgd"}}}]},
     "stages.s.training.extra_args.optimm: not a TrainingArguments field (did you mean 'optim'"),
    ({"training": {"learning_rate": float("nan")}}, "training.learning_rate: expected a finite number, got nan"),
    ({"training": {"max_grad_norm": "inf"}}, "training.max_grad_norm: expected a finite number"),
])
def test_unknown_names_at_every_depth(tmp_path, change, message):
    config = tiny_config(tmp_path / "out", tmp_path / "tokenizer", **change)
    with pytest.raises(ConfigError) as info:
        parse_config(config)
    assert str(info.value).startswith(message), str(info.value)
    assert "\n" not in str(info.value)


def test_valid_overrides_and_extra_args_pass(tmp_path):
    config = tiny_config(tmp_path / "out", tmp_path / "tokenizer",
                         model={"overrides": {"hidden_size": 32, "rope_theta": 5e5}},
                         training={"extra_args": {"label_smoothing_factor": 0.1}})
    parsed = parse_config(config)
    assert parsed.model.overrides["hidden_size"] == 32
