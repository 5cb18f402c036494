"""Tiny models and tokenizers with and without BOS, end to end, on the real corpora. The paper-size presets and
tokenizer training on a written file are unit tests (tests/unit/train/test_train_model_presets.py,
tests/unit/train/test_train_tokenizer_files.py)."""

from __future__ import annotations

import torch

from classit_train import PRESETS, build_model, parse_config, run_curriculum
from classit_train.checkpoints.state import read_state

from train_helpers import tiny_config


def test_build_model_fits_the_tokenizer(tokenizer, tokenizer_nobos):
    model = build_model("tiny", tokenizer, seed=0)
    assert model.config.vocab_size == len(tokenizer) and model.config.hidden_size == PRESETS["tiny"]["hidden_size"]
    assert (model.config.bos_token_id, model.config.eos_token_id, model.config.pad_token_id) == (
        tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.pad_token_id)
    assert build_model("tiny", tokenizer_nobos).config.bos_token_id is None
    a, b = build_model("tiny", tokenizer, seed=3), build_model("tiny", tokenizer, seed=3)
    assert all(torch.equal(x, y) for x, y in zip(a.parameters(), b.parameters()))  # seeded init


def test_no_bos_tokenizer_trains_and_saves(tmp_path, tokenizer_nobos_dir, one_thread):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    config = tiny_config(tmp_path / "run", tokenizer_nobos_dir,
                         training={"max_steps": 3, "save_steps": 1, "save_total_limit": 2})
    final = run_curriculum(parse_config(config))
    tok = AutoTokenizer.from_pretrained(final)
    model = AutoModelForCausalLM.from_pretrained(final)
    assert tok.bos_token is None and tok("hello")["input_ids"][0] != 1
    assert model.config.bos_token_id is None
    assert tok.apply_chat_template([{"role": "user", "content": "Hi"}], tokenize=False).startswith("<|im_start|>user")
    assert read_state(final).stage_step == 3
    kept = sorted(p.name for p in (tmp_path / "run" / "checkpoints" / "01-merged").iterdir()
                  if not p.name.startswith("."))  # hidden: the lock / ownership bookkeeping
    assert kept == ["checkpoint-2", "checkpoint-3"]  # save_total_limit rotation after the atomic rename


