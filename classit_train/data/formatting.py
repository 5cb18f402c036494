"""Records -> token ids and labels.

Chat records are rendered with the tokenizer's chat template (the one saved in the checkpoint), as a user
message (the prompt) and an assistant message (the reply). Loss is on the reply only by default: every token up
to and including ``<|im_start|>assistant\\n`` gets label -100; the reply and its closing ``<|im_end|>`` are
trained; the template's trailing newline is not. With ``loss_on="all"`` every token except the first is trained.

Plain-text records become ``[BOS] text EOS`` (BOS only for tokenizers that use one), all trained.

Truncation rules (``max_seq_length`` tokens per example):
  * chat: the prompt is cut from the *left* (keeping the template's header and the prompt's end, nearest the
    reply) until it fits, keeping at least ``min_prompt_tokens`` of it; if the reply alone is still too long, the
    reply is cut from the right (its ``<|im_end|>`` is then lost, so the model never learns to stop early);
  * plain text: an example longer than ``max_seq_length`` is split into consecutive windows (nothing dropped).
The first token of every example always has label -100 (nothing inside the example predicts it), so packed
examples never train one example's last position to predict the next example's first token.
"""

from __future__ import annotations

from dataclasses import dataclass

from .records import Record

IGNORE_INDEX = -100


@dataclass
class Example:
    input_ids: list[int]
    labels: list[int]
    num_words: int
    example_id: str = ""  # stable id (classit_train.data.example_ids), set by classit_train.data.stage


def _encode(tokenizer, text: str) -> list[int]:
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def _messages(record: Record) -> list[dict]:
    return [{"role": "user", "content": record.prompt or ""}, {"role": "assistant", "content": record.reply}]


def render_chat(tokenizer, record: Record) -> tuple[str, str, str]:
    """Split the rendered conversation into (prompt part, reply part incl. end marker, trailing part)."""
    messages = _messages(record)
    full = tokenizer.apply_chat_template(messages, tokenize=False)
    prefix = tokenizer.apply_chat_template(messages[:1], tokenize=False, add_generation_prompt=True)
    if not full.startswith(prefix):
        raise ValueError("chat template: the generation prompt is not a prefix of the full conversation")
    rest = full[len(prefix):]
    end = "<|im_end|>" if "<|im_end|>" in rest else ""
    cut = rest.rfind(end) + len(end) if end else len(rest)
    return prefix, rest[:cut], rest[cut:]


def encode_record(tokenizer, record: Record, max_seq_length: int, loss_on: str = "reply",
                  min_prompt_tokens: int = 8) -> list[Example]:
    """Token ids and labels for one record (a list: long plain text gives several windows)."""
    if record.is_chat:
        prefix, reply, tail = render_chat(tokenizer, record)
        prompt_ids, reply_ids, tail_ids = _encode(tokenizer, prefix), _encode(tokenizer, reply), _encode(tokenizer, tail)
        overflow = len(prompt_ids) + len(reply_ids) + len(tail_ids) - max_seq_length
        if overflow > 0:
            tail_ids = []
            overflow = len(prompt_ids) + len(reply_ids) - max_seq_length
        if overflow > 0:
            # Cut the prompt from the left, but keep its first token (BOS / <|im_start|>) as the anchor.
            header = 1
            removable = max(0, len(prompt_ids) - header - min_prompt_tokens)
            drop = min(overflow, removable)
            prompt_ids = prompt_ids[:header] + prompt_ids[header + drop:]
            overflow -= drop
        if overflow > 0:
            reply_ids = reply_ids[: len(reply_ids) - overflow]
        input_ids = prompt_ids + reply_ids + tail_ids
        if loss_on == "all":
            labels = list(input_ids)
        else:
            labels = [IGNORE_INDEX] * len(prompt_ids) + list(reply_ids) + [IGNORE_INDEX] * len(tail_ids)
        labels[0] = IGNORE_INDEX
        return [Example(input_ids, labels, record.num_words)]

    ids = _encode(tokenizer, record.text or "")
    bos = [tokenizer.bos_token_id] if _uses_bos(tokenizer) else []
    ids = bos + ids + [tokenizer.eos_token_id]
    examples = []
    for k, start in enumerate(range(0, len(ids), max_seq_length)):
        window = ids[start : start + max_seq_length]
        if len(window) < 2:
            continue
        labels = list(window)
        labels[0] = IGNORE_INDEX
        examples.append(Example(window, labels, record.num_words if k == 0 else 0))
    return examples


def _uses_bos(tokenizer) -> bool:
    cached = getattr(tokenizer, "_classit_uses_bos", None)
    if cached is None:
        cached = uses_bos(tokenizer)
        try:
            tokenizer._classit_uses_bos = cached
        except AttributeError:
            pass
    return cached


def uses_bos(tokenizer) -> bool:
    """Whether encoding text prepends the tokenizer's BOS token."""
    if tokenizer.bos_token_id is None:
        return False
    ids = tokenizer("a")["input_ids"]
    return bool(ids) and ids[0] == tokenizer.bos_token_id
