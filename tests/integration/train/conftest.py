"""Fixtures for the classit_train tests: small tokenizers trained on the real corpora and one tiny run."""

from __future__ import annotations

from pathlib import Path

import pytest

from repo_paths import REPO, TASK_DIR  # noqa: F401  (test modules import REPO, TASK_DIR from conftest)
from train_helpers import BABYLM_DEV, SWITCHBOARD, WIKI_DEV, tiny_config


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
