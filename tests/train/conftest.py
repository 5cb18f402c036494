"""Fixtures for the classit_train tests: the real corpora, small tokenizers, tiny configs and one tiny run."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("CLASSIT_SHARED_DATA") or (REPO / ".." / "shared" / "data")).resolve()
CORPORA = SHARED / "corpora"
SWITCHBOARD = CORPORA / "switchboard" / "babylm_train_10M_switchboard.train"
SWDA = CORPORA / "switchboard" / "swda_dialogues.jsonl.gz"
WIKI_DEV = CORPORA / "simple_wiki" / "babylm_simple_wiki_dev_sample100k.train.gz"
BABYLM_DEV = sorted((CORPORA / "babylm_samples" / "train_600k").glob("*_dev.train.gz"))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("CLASSIT_SHARED_DATA", str(SHARED))


def tiny_config(output_dir: Path, tokenizer_dir: Path, **sections) -> dict:
    """A small two-source instruction-tuning config (as a dict) on slices of the real corpora."""
    config = {
        "output_dir": str(output_dir),
        "tokenizer": {"path": str(tokenizer_dir)},
        "model": {"preset": "tiny"},
        "data": {"max_seq_length": 96, "packing": True, "loss_on": "reply"},
        "budget": {"max_words": 10_000_000, "mode": "enforce"},
        "training": {"per_device_train_batch_size": 8, "learning_rate": 3e-3, "lr_scheduler_type": "constant",
                     "save_steps": 1000, "logging_steps": 1, "seed": 7, "disable_tqdm": True},
        "sources": {
            "switchboard": {"type": "switchboard", "paths": [str(SWITCHBOARD)], "max_records": 160},
            "simple_wiki": {"type": "simple_wiki", "paths": [str(WIKI_DEV)], "max_records": 80},
        },
        "stages": [{"name": "merged", "epochs": 1,
                    "sources": [{"source": "switchboard"}, {"source": "simple_wiki"}]}],
    }
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = copy.deepcopy(value)
    return config


def write_config(path: Path, config: dict) -> Path:
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def tokenizer_dir(tmp_path_factory) -> Path:
    """A 512-token BPE tokenizer with BOS, trained on slices of Switchboard and Simple Wikipedia."""
    from classit_train import train_tokenizer

    out = tmp_path_factory.mktemp("tok_bos")
    train_tokenizer([SWITCHBOARD, WIKI_DEV], vocab_size=512, add_bos=True, max_words=60_000, output_dir=out,
                    show_progress=False)
    return out


@pytest.fixture(scope="session")
def tokenizer_nobos_dir(tmp_path_factory) -> Path:
    from classit_train import train_tokenizer

    out = tmp_path_factory.mktemp("tok_nobos")
    train_tokenizer([SWITCHBOARD, WIKI_DEV], vocab_size=512, add_bos=False, max_words=60_000, output_dir=out,
                    show_progress=False)
    return out


@pytest.fixture(scope="session")
def tokenizer(tokenizer_dir):
    from classit_train import load_tokenizer

    return load_tokenizer(tokenizer_dir)


@pytest.fixture(scope="session")
def tokenizer_nobos(tokenizer_nobos_dir):
    from classit_train import load_tokenizer

    return load_tokenizer(tokenizer_nobos_dir)


@pytest.fixture
def one_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, tokenizer_dir):
    """One in-process tiny run (2 stages: pre-training then merged instruction tuning); shared by several tests."""
    import torch

    from classit_train import parse_config, run_curriculum

    out = tmp_path_factory.mktemp("tiny_run")
    config = tiny_config(
        out / "run", tokenizer_dir,
        training={"save_steps": 10},
        sources={
            "text": {"type": "plain_text", "paths": [str(p) for p in BABYLM_DEV[:2]], "words_per_record": 64,
                     "max_records": 300},
            "switchboard": {"type": "switchboard", "paths": [str(SWITCHBOARD)], "max_records": 160},
            "simple_wiki": {"type": "simple_wiki", "paths": [str(WIKI_DEV)], "max_records": 80},
        },
        stages=[
            {"name": "pretrain", "loss_on": "all", "epochs": 1, "sources": [{"source": "text"}]},
            {"name": "merged", "epochs": 1, "learning_rate": 1e-3,
             "sources": [{"source": "switchboard"}, {"source": "simple_wiki", "weight": 1.5}]},
        ],
    )
    stage_data = {}
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        final = run_curriculum(parse_config(config), stage_data_hook=lambda stage, data: stage_data.__setitem__(stage.name, data))
    finally:
        torch.set_num_threads(before)
    return {"out": out / "run", "final": final, "config": config, "stage_data": stage_data}
