"""A pluggable question writer for the Simple Wikipedia source.

Anything callable as ``generator(title, paragraph) -> str | None`` works. :class:`HFQuestionGenerator` wraps
any Hugging Face generation model (causal or encoder-decoder) through ``generate``; returning ``None`` or an
empty string makes the source fall back to a template question.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

DEFAULT_PROMPT = "Write one question that the following text answers.\nTopic: {title}\nText: {paragraph}\nQuestion:"


class QuestionGenerator(Protocol):
    def __call__(self, title: str, paragraph: str) -> str | None: ...


@dataclass
class HFQuestionGeneratorConfig:
    model: str
    prompt: str = DEFAULT_PROMPT
    max_new_tokens: int = 32
    device: str = "cpu"


class HFQuestionGenerator:
    """Greedy-decodes a question with a Hugging Face model (loaded once)."""

    def __init__(self, config: HFQuestionGeneratorConfig):
        from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

        self.config = config
        self.tokenizer = AutoTokenizer.from_pretrained(config.model)
        model_config = AutoConfig.from_pretrained(config.model)
        self.is_seq2seq = bool(getattr(model_config, "is_encoder_decoder", False))
        auto = AutoModelForSeq2SeqLM if self.is_seq2seq else AutoModelForCausalLM
        self.model = auto.from_pretrained(config.model).to(config.device).eval()

    def __call__(self, title: str, paragraph: str) -> str | None:
        import torch

        text = self.config.prompt.format(title=title, paragraph=paragraph)
        inputs = self.tokenizer(text, return_tensors="pt").to(self.config.device)
        pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.tokenizer.eos_token_id
        with torch.no_grad():
            output = self.model.generate(**inputs, max_new_tokens=self.config.max_new_tokens, do_sample=False, pad_token_id=pad_id)
        new_tokens = output[0] if self.is_seq2seq else output[0, inputs["input_ids"].shape[1] :]
        question = self.tokenizer.decode(new_tokens, skip_special_tokens=True).strip().split("\n")[0].strip()
        if not question:
            return None
        if "?" in question:
            question = question[: question.index("?") + 1]
        return question
