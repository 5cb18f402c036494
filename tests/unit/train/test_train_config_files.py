"""Config errors that need no corpus and no tokenizer: a bad field is one line naming it, invalid YAML names the
line, every shipped config parses, stage order and hub errors are one line. The errors of configs that run on the
real corpora are in tests/integration/train/test_train_config.py."""

from __future__ import annotations

import pytest

from classit_train import ConfigError, parse_config
from classit_train.cli import main

from train_helpers import REPO, tiny_config


@pytest.mark.parametrize("change, message", [
    ({"training": {"learning_rate": "fast"}}, "training.learning_rate: expected a number, got 'fast'"),
    ({"training": {"per_device_train_batch_sise": 8}}, "training.per_device_train_batch_sise: unknown field"),
    ({"data": {"loss_on": "prompt"}}, "data.loss_on: must be one of 'reply', 'all'; got 'prompt'"),
    ({"model": {"preset": "huge"}}, "model.preset: unknown preset 'huge'"),
    ({"stages": [{"name": "s", "sources": [{"source": "nope"}]}]}, "stages[0].sources[0].source: unknown source 'nope'"),
    ({"stages": [{"name": "s", "sources": [{"source": "switchboard", "weight": 0}]}]}, "stages[0].sources[0].weight: must be > 0"),
    ({"stages": [{"name": "s", "epochs": "two", "sources": [{"source": "switchboard"}]}]}, "stages[0].epochs: expected"),
    ({"sources": {"sw": {"type": "switchbord", "paths": ["x"]}}}, "sources.sw.type: unknown source type 'switchbord'"),
    ({"sources": {"sw": {"type": "switchboard", "paths": ["x"], "backchannels": "maybe"}}},
     "sources.sw.backchannels: must be one of 'drop', 'absorb', 'keep'"),
    ({"sources": {"sw": {"type": "prompt_reply"}}}, "sources.sw.paths: give either `paths`"),
    ({"stages": []}, "stages: at least one stage is required"),
])
def test_config_errors_name_the_field(tmp_path, change, message):
    config = tiny_config(tmp_path / "out", tmp_path / "tokenizer", **change)  # parsing opens no file
    with pytest.raises(ConfigError) as info:
        parse_config(config)
    assert str(info.value).startswith(message), str(info.value)
    assert "\n" not in str(info.value)


def test_invalid_yaml_names_the_line(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text("output_dir: x\nstages: [\n  {name: a\n", encoding="utf-8")
    assert main(["train", str(path)]) == 2
    assert capsys.readouterr().err.startswith(f"classit-train: error: config: {path}:")


def test_ready_configs_parse(monkeypatch):
    """Every shipped config is valid (paths are resolved only when a run starts)."""
    from classit_train import load_config

    names = sorted(p.name for p in (REPO / "configs").glob("*.yaml"))
    assert {"tiny_pretrain.yaml", "tiny_merged.yaml", "tiny_sequential.yaml"} <= set(names)
    for name in names:
        load_config(REPO / "configs" / name)
    for name in ("tiny_pretrain.yaml", "tiny_merged.yaml", "tiny_sequential.yaml"):  # the demo's copies match
        assert (REPO / "configs" / name).read_text() == (REPO / "classit_train" / "configs" / name).read_text()


def test_stage_order_and_hub_config_errors(tmp_path, capsys, monkeypatch):
    from classit_train import load_config
    from classit_train.cli.main import reorder_stages

    config = load_config(REPO / "configs" / "classit_sequential.yaml")
    assert [s.name for s in reorder_stages(config, ["simple_wiki", "switchboard"]).stages] == ["simple_wiki", "switchboard"]
    with pytest.raises(ConfigError, match=r"^--stage_order: unknown stage 'wiki'"):
        reorder_stages(config, ["wiki"])
    # the paper-size config reads colinglab/CLASS_IT from the hub: unreachable here -> one clear line
    monkeypatch.setenv("CLASSIT_BASE_MODEL", str(tmp_path))
    assert main(["data", "build", str(REPO / "configs" / "classit_merged.yaml"), "--output_path", str(tmp_path / "b"),
                 "--source", "class_it_switchboard"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("classit-train: error: dataset 'colinglab/CLASS_IT' config 'switchboard' split 'train': "
                          "could not be loaded") and err.count("\n") == 1
