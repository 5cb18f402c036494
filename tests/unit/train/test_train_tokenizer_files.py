"""Tokenizer training from an iterator of text chunks, on a file the test writes (no corpus). Tokenizers trained on
the real corpora, with and without BOS, are in tests/integration/train/test_train_models.py."""

from __future__ import annotations

import gzip
import random


def write_text(path, words: int = 25_000, seed: int = 0):
    """A gzipped Simple-Wikipedia-like file: made-up words, with "Switzerland" and "municipality" among them."""
    rng = random.Random(seed)
    syllables = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
    vocab = ["".join(rng.choices(syllables, k=rng.randint(1, 3))) for _ in range(600)]
    vocab += ["the", "of", "a", "is", "in", "Switzerland", "municipality"] * 20
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for _ in range(words // 10):
            handle.write(" ".join(rng.choices(vocab, k=10)).capitalize() + ".\n")
    return path


def test_train_tokenizer_from_an_iterator(tmp_path):
    from classit_train import train_tokenizer
    from classit_train.training.tokenizer import iter_text_files

    texts = iter_text_files([write_text(tmp_path / "wiki.train.gz")], words_per_chunk=200, max_words=20_000)
    tok = train_tokenizer(texts=texts, vocab_size=400, add_bos=True, output_dir=tmp_path, show_progress=False)
    assert len(tok) == 400 and tok("Switzerland")["input_ids"][0] == tok.bos_token_id
    assert tok.decode(tok("a municipality of Switzerland")["input_ids"], skip_special_tokens=True) == "a municipality of Switzerland"
