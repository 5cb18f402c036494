"""The record every source yields."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Record:
    """One training example before formatting.

    Instruction records have ``prompt`` and ``reply``; pre-training records have only ``text``.
    ``origin`` says where the record came from (``file:line`` or ``dataset[row]``), for error messages.
    """

    prompt: str | None = None
    reply: str | None = None
    text: str | None = None
    source: str = ""
    origin: str = ""

    @property
    def is_chat(self) -> bool:
        return self.reply is not None

    @property
    def num_words(self) -> int:
        """Words as BabyLM counts them: whitespace-separated tokens of the raw text the model reads."""
        if self.is_chat:
            return len((self.prompt or "").split()) + len(self.reply.split())
        return len((self.text or "").split())

    def to_json(self) -> dict:
        """The CLASS-IT row layout: prompt, reply, source, text."""
        text = self.text if self.text is not None else f"{self.prompt or ''}\n{self.reply or ''}".strip()
        return {"prompt": self.prompt, "reply": self.reply, "source": self.source, "text": text}
