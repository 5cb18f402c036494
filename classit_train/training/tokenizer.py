"""Byte-level BPE tokenizers trained from the corpora, with the chat template saved inside.

The special tokens are the same (and at the same ids) whether or not the tokenizer uses a BOS token:
``<|pad|>`` 0, ``<|bos|>`` 1, ``<|endoftext|>`` 2 (EOS), ``<|im_start|>`` 3, ``<|im_end|>`` 4.
With ``add_bos=True`` encoding prepends ``<|bos|>`` and the tokenizer's ``bos_token`` is set; with
``add_bos=False`` nothing is prepended and ``bos_token`` is unset.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Iterable, Iterator

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from tqdm.auto import tqdm

from ..files import read_lines

PAD, BOS, EOS, IM_START, IM_END = "<|pad|>", "<|bos|>", "<|endoftext|>", "<|im_start|>", "<|im_end|>"
SPECIAL_TOKENS = [PAD, BOS, EOS, IM_START, IM_END]


def chat_template() -> str:
    """The Jinja2 chat template shipped with classit_train."""
    return resources.files("classit_train").joinpath("templates/chat_template.jinja").read_text(encoding="utf-8")


def iter_text_files(paths: Iterable[str | os.PathLike], words_per_chunk: int = 1000,
                    max_words: int | None = None) -> Iterator[str]:
    """Yield text from files in chunks of at most ``words_per_chunk`` words (long one-line files included).

    Switchboard's ``A:\\t`` speaker labels are removed so that they do not end up in the vocabulary.
    """
    seen = 0
    for path in paths:
        for _, line in read_lines(path):
            if line[:3] in ("A:\t", "B:\t"):
                line = line[3:]
            words = line.split()
            for start in range(0, len(words), words_per_chunk):
                chunk = words[start : start + words_per_chunk]
                if max_words is not None:
                    chunk = chunk[: max(0, max_words - seen)]
                if not chunk:
                    return
                seen += len(chunk)
                yield " ".join(chunk)


def train_tokenizer(files: Iterable[str | os.PathLike] | None = None, *, texts: Iterable[str] | None = None,
                    vocab_size: int = 8192, add_bos: bool = True, min_frequency: int = 2,
                    max_words: int | None = None, output_dir: str | os.PathLike | None = None,
                    show_progress: bool = True):
    """Train a byte-level BPE tokenizer on text files and/or an iterator of strings.

    Returns a ``transformers`` fast tokenizer carrying the classit chat template (``apply_chat_template`` works),
    saved to ``output_dir`` when given (loadable with ``AutoTokenizer.from_pretrained``).
    """
    from transformers import PreTrainedTokenizerFast

    if files is None and texts is None:
        raise ValueError("train_tokenizer needs `files` or `texts`")
    if vocab_size < len(SPECIAL_TOKENS) + 256:
        raise ValueError(f"vocab_size must be at least {len(SPECIAL_TOKENS) + 256} (256 bytes + special tokens)")

    def corpus() -> Iterator[str]:
        if files is not None:
            yield from iter_text_files([Path(f) for f in files], max_words=max_words)
        if texts is not None:
            yield from texts

    tok = Tokenizer(models.BPE(unk_token=None, byte_fallback=False))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=min_frequency, special_tokens=SPECIAL_TOKENS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(tqdm(corpus(), desc="tokenizer corpus", unit="chunk", disable=not show_progress),
                            trainer=trainer)
    if add_bos:
        bos_id = tok.token_to_id(BOS)
        tok.post_processor = processors.TemplateProcessing(single=f"{BOS} $A", pair=f"{BOS} $A {BOS} $B",
                                                           special_tokens=[(BOS, bos_id)])
    else:
        tok.post_processor = processors.ByteLevel(trim_offsets=False)

    hf_tok = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=BOS if add_bos else None,
        eos_token=EOS,
        pad_token=PAD,
        additional_special_tokens=[IM_START, IM_END],
        chat_template=chat_template(),
        model_max_length=1_000_000,
        clean_up_tokenization_spaces=False,
    )
    hf_tok.add_bos_token = add_bos  # informative; the post-processor does the work
    if output_dir is not None:
        hf_tok.save_pretrained(str(output_dir))
        from ..checkpoints.hf_folder import portable_tokenizer_config

        portable_tokenizer_config(output_dir)  # loadable by transformers 4.x too
    return hf_tok


def load_tokenizer(path: str | os.PathLike):
    """Load a saved tokenizer; give it the classit chat template if it has none."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(path))
    if not getattr(tok, "chat_template", None):
        tok.chat_template = chat_template()
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok
