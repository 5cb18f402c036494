"""Chat template, reply-only label masks, BOS / no-BOS tokenizers, truncation rules."""

from __future__ import annotations

from itertools import islice

import pytest

from classit_train import Record, chat_template
from classit_train.data.formatting import IGNORE_INDEX, encode_record
from classit_train.data.sources import iter_source

from train_helpers import SWITCHBOARD, WIKI_DEV


def real_chat_records(n=40):
    sw = islice(iter_source({"type": "switchboard", "paths": [str(SWITCHBOARD)]}, "switchboard"), n // 2)
    wiki = islice(iter_source({"type": "simple_wiki", "paths": [str(WIKI_DEV)]}, "simple_wiki"), n // 2)
    return list(sw) + list(wiki)


@pytest.mark.parametrize("kind", ["bos", "nobos"])
def test_reply_only_labels_on_real_records(kind, tokenizer, tokenizer_nobos):
    tok = tokenizer if kind == "bos" else tokenizer_nobos
    for record in real_chat_records():
        (ex,) = encode_record(tok, record, max_seq_length=512)
        # the ids are exactly what apply_chat_template produces with the template saved in the tokenizer
        messages = [{"role": "user", "content": record.prompt}, {"role": "assistant", "content": record.reply}]
        rendered = tok.apply_chat_template(messages, tokenize=False)
        assert ex.input_ids == tok(rendered, add_special_tokens=False)["input_ids"]
        assert (ex.input_ids[0] == tok.bos_token_id) == (kind == "bos")
        trained = [t for t, l in zip(ex.input_ids, ex.labels) if l != IGNORE_INDEX]
        assert [l for l in ex.labels if l != IGNORE_INDEX] == trained
        # the trained span is the reply and its end marker; every prompt token is -100
        assert tok.decode(trained) == record.reply + "<|im_end|>"
        first = ex.labels.index(next(l for l in ex.labels if l != IGNORE_INDEX))
        assert all(l == IGNORE_INDEX for l in ex.labels[:first])
        assert tok.decode(ex.input_ids[:first]).endswith("<|im_start|>assistant\n")
        assert ex.num_words == len(record.prompt.split()) + len(record.reply.split())


def test_loss_on_all_trains_everything_but_the_first_token(tokenizer):
    (ex,) = encode_record(tokenizer, Record(prompt="Hi there?", reply="Hello."), 512, loss_on="all")
    assert ex.labels[0] == IGNORE_INDEX and ex.labels[1:] == ex.input_ids[1:]


def test_chat_template_is_saved_and_generation_prompt_works(tokenizer_dir, tokenizer_nobos):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tokenizer_dir)
    assert tok.chat_template.strip() == chat_template().strip()
    text = tok.apply_chat_template([{"role": "user", "content": "What is a dog?"}], tokenize=False,
                                   add_generation_prompt=True)
    assert text == "<|bos|><|im_start|>user\nWhat is a dog?<|im_end|>\n<|im_start|>assistant\n"
    no_bos = tokenizer_nobos.apply_chat_template([{"role": "user", "content": "Hi"}], tokenize=False)
    assert no_bos == "<|im_start|>user\nHi<|im_end|>\n"


def test_truncation_cuts_prompt_from_the_left_then_reply(tokenizer):
    long_prompt = " ".join(f"word{i}" for i in range(200))
    record = Record(prompt=long_prompt + " final question?", reply="A short reply.")
    (ex,) = encode_record(tokenizer, record, max_seq_length=64)
    assert len(ex.input_ids) <= 64
    trained = [t for t, l in zip(ex.input_ids, ex.labels) if l != IGNORE_INDEX]
    assert tokenizer.decode(trained) == "A short reply.<|im_end|>"  # reply intact
    assert ex.input_ids[0] == tokenizer.bos_token_id  # anchor kept
    assert "final question?" in tokenizer.decode(ex.input_ids)  # the prompt's end (nearest the reply) kept
    assert "word0 " not in tokenizer.decode(ex.input_ids)

    huge = Record(prompt="Why?", reply=" ".join(["blah"] * 300))
    (ex,) = encode_record(tokenizer, huge, max_seq_length=64)
    assert len(ex.input_ids) == 64 and ex.labels[-1] != IGNORE_INDEX  # reply cut on the right


def test_plain_text_windows_keep_all_tokens(tokenizer, tokenizer_nobos):
    text = " ".join(["the cat sat on the mat and looked at the dog"] * 30)
    examples = encode_record(tokenizer, Record(text=text), max_seq_length=50)
    ids = [t for e in examples for t in e.input_ids]
    assert ids[0] == tokenizer.bos_token_id and ids[-1] == tokenizer.eos_token_id
    assert tokenizer.decode(ids[1:-1]) == text
    assert all(len(e.input_ids) <= 50 and e.labels[0] == IGNORE_INDEX for e in examples)
    assert sum(e.num_words for e in examples) == len(text.split())
    (ex,) = encode_record(tokenizer_nobos, Record(text="a small text"), max_seq_length=50)
    assert ex.input_ids[0] != tokenizer_nobos.bos_token_id if tokenizer_nobos.bos_token_id is not None else True
    assert tokenizer_nobos.decode(ex.input_ids[:-1]) == "a small text"
