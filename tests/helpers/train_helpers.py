"""Shared constants and helpers of the classit_train tests (the real corpora, tiny configs)."""

from __future__ import annotations

import copy
import os
from pathlib import Path

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




def run_in_process(config: dict) -> Path:
    """Train ``config`` (a dict) in this process with one torch thread (same numbers with 1 and 2 cores)."""
    import torch

    from classit_train import parse_config, run_curriculum

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return run_curriculum(parse_config(config))
    finally:
        torch.set_num_threads(before)
