"""Tiny tokenizers and models built locally for the tests (the Hugging Face Hub is unreachable).

Three tokenizer kinds, because BabyLM 2025 scoring differs between them:
  "bos"  - Llama style, adds ``<s>`` in front;
  "nobos" - GPT-2 style, adds nothing (the first token of a sentence is then never scored);
  "wrap" - wraps every text in ``<s> … </s>`` (the BabyLM-community GPT-2 baselines).
"""

from __future__ import annotations

import gzip
import itertools
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
EVAL_DATA = (SHARED_DATA / "babylm_eval_2025").resolve()


def corpus_lines(limit: int = 4000) -> list[str]:
    """Real training text: BabyLM Switchboard lines and CHILDES sample lines."""
    lines = []
    with open(SHARED_DATA / "corpora" / "switchboard" / "babylm_train_10M_switchboard.train", encoding="utf-8") as f:
        lines += [line.split("\t", 1)[-1].strip() for line in itertools.islice(f, limit)]
    childes = SHARED_DATA / "corpora" / "babylm_samples" / "train_600k"
    for path in sorted(childes.glob("*.gz"))[:2]:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            lines += [line.strip() for line in itertools.islice(f, limit)]
    return [line for line in lines if line]


def build_tokenizer(kind: str, out_dir: Path, vocab_size: int = 800) -> PreTrainedTokenizerFast:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = ["<|endoftext|>"] if kind == "nobos" else ["<s>", "</s>", "<pad>"]
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator(corpus_lines(), trainer=trainer)
    if kind == "bos":
        tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 0)])
    elif kind == "wrap":
        tok.post_processor = processors.TemplateProcessing(
            single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 1)]
        )
    else:
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
    if kind == "nobos":
        hf = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|endoftext|>", eos_token="<|endoftext|>")
    else:
        hf = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>")
    hf.model_max_length = 512
    out_dir.mkdir(parents=True, exist_ok=True)
    hf.save_pretrained(out_dir)
    return hf


def build_model(tokenizer, out_dir: Path, arch: str = "llama", seed: int = 0):
    """A randomly initialised 2-layer model (width 64) saved next to its tokenizer."""
    torch.manual_seed(seed)
    common = dict(vocab_size=len(tokenizer), bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)
    if arch == "gpt2":
        model = GPT2LMHeadModel(GPT2Config(n_embd=64, n_layer=2, n_head=2, n_positions=512, **common))
    else:
        model = LlamaForCausalLM(
            LlamaConfig(
                hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=2,
                num_key_value_heads=2, max_position_embeddings=512, tie_word_embeddings=False, **common
            )
        )
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return model


def build_checkpoint(kind: str, out_dir: Path) -> Path:
    """Tokenizer of ``kind`` + tiny model (GPT-2 architecture for the GPT-2-style tokenizer, else Llama)."""
    tokenizer = build_tokenizer(kind, out_dir)
    build_model(tokenizer, out_dir, arch="gpt2" if kind == "nobos" else "llama")
    return out_dir
