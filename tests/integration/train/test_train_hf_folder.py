"""Checkpoints are complete Hugging Face folders: generation stops at the end of a reply (chat template's
end-of-turn token in generation_config), use_cache is on, a model card is written, and the tokenizer folder is in
a format transformers 4.x reads too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classit_train import parse_config, run_curriculum
from classit_train.checkpoints.state import read_state

from train_helpers import tiny_config

CHATS = [("What is a dog?", "A dog is a small animal."), ("Say hello.", "Hello to you."),
         ("What color is the sky?", "The sky is blue."), ("Name a fruit.", "An apple is a fruit.")]


@pytest.fixture(scope="module")
def chat_run(tmp_path_factory, tokenizer_dir):
    """A tiny model over-fitted on four short chats (replies and their end-of-turn token are trained)."""
    import torch

    out = tmp_path_factory.mktemp("chat_run")
    data = out / "chats.jsonl"
    data.write_text("".join(json.dumps({"prompt": p, "reply": r}) + "\n" for p, r in CHATS) * 16, encoding="utf-8")
    config = tiny_config(out / "run", tokenizer_dir, data={"max_seq_length": 48, "packing": True, "loss_on": "reply"},
                         training={"save_steps": 20, "learning_rate": 3e-3, "per_device_train_batch_size": 8},
                         sources={"chats": {"type": "prompt_reply", "paths": [str(data)]}},
                         stages=[{"name": "chat", "epochs": 1, "max_steps": 60, "sources": [{"source": "chats"}]}],
                         checkpoints={"schedule": "none"})
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        final = run_curriculum(parse_config(config))
    finally:
        torch.set_num_threads(before)
    return {"out": out / "run", "final": final.resolve()}


def test_generation_config_and_config(chat_run):
    from transformers import AutoTokenizer

    final = chat_run["final"]
    tok = AutoTokenizer.from_pretrained(final)
    gen = json.loads((final / "generation_config.json").read_text())
    assert gen["eos_token_id"] == [tok.eos_token_id, tok.convert_tokens_to_ids("<|im_end|>")]
    assert gen["pad_token_id"] == tok.pad_token_id
    assert json.loads((final / "config.json").read_text())["use_cache"] is True
    step = chat_run["out"] / "checkpoints" / "01-chat" / "checkpoint-20"  # step checkpoints are completed too
    assert json.loads((step / "generation_config.json").read_text())["eos_token_id"] == gen["eos_token_id"]
    assert read_state(step).stage_step == 20 and (step / "README.md").is_file()


def test_pipeline_stops_at_end_of_reply(chat_run):
    """`pipeline("text-generation")` with the chat template answers and stops at <|im_end|>; with the text EOS
    alone (the former generation_config) the same greedy generation runs on past the reply."""
    import torch
    from transformers import pipeline

    torch.manual_seed(0)
    chat = pipeline("text-generation", model=str(chat_run["final"]), device="cpu")
    prompt, reply = CHATS[0]
    out = chat([{"role": "user", "content": prompt}], max_new_tokens=40, do_sample=False)
    answer = out[0]["generated_text"][-1]
    assert answer["role"] == "assistant" and answer["content"].strip() == reply
    # the same call without the end-of-turn stop token continues after the reply
    raw = chat([{"role": "user", "content": prompt}], max_new_tokens=40, do_sample=False,
               eos_token_id=chat.tokenizer.eos_token_id, return_full_text=False, skip_special_tokens=False)
    text = raw[0]["generated_text"]
    assert text.startswith(reply) and len(text) > len(reply) + len("<|im_end|>")


def test_model_card(chat_run):
    card = (chat_run["final"] / "README.md").read_text()
    assert card.startswith("---\nlibrary_name: transformers\npipeline_tag: text-generation")
    state = read_state(chat_run["final"])
    assert f"| words seen | {state.words_seen:,} " in card and f"| tokens seen | {state.tokens_seen:,} |" in card
    assert "`chat` **(this checkpoint)**" in card and "| `chats` | prompt_reply | `chats.jsonl` |" in card
    assert "<!-- classit-scores:start -->" in card and "<!-- classit-scores:end -->" in card


def test_tokenizer_config_is_portable(chat_run):
    """No transformers-5-only class name or list-valued extra_special_tokens; the template is inline too."""
    config = json.loads((chat_run["final"] / "tokenizer_config.json").read_text())
    assert config["tokenizer_class"] == "PreTrainedTokenizerFast"
    assert "<|im_end|>" in config["additional_special_tokens"]
    assert not isinstance(config.get("extra_special_tokens"), list)
    assert "<|im_start|>" in config["chat_template"]
