"""Complete Hugging Face folders: what a checkpoint needs beyond the Trainer's save to be used as it is.

:func:`complete_hf_folder` runs on every classit checkpoint (end-of-stage, milestone and ``checkpoint-N`` folders)
before its state file is written:

- ``generation_config.json``: ``eos_token_id`` is the list [text EOS, the chat template's end-of-turn token], so
  ``generate`` and ``pipeline("text-generation")`` stop at the end of a reply; ``pad_token_id`` is set;
- ``config.json``: ``use_cache: true`` (training runs with the KV cache off; inference wants it on);
- ``tokenizer_config.json``: a format read by transformers 4.46 … 5.x alike (see :func:`portable_tokenizer_config`);
- ``README.md``: a model card (:mod:`classit_train.checkpoints.model_card`).

All edits are plain JSON/text rewrites (no model load), written atomically.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from ..files import write_json_atomic

logger = logging.getLogger(__name__)

# transformers 5 saves its tokenizer class as "TokenizersBackend", unknown to transformers 4.x; this name is read
# by both (transformers 5 maps it to its tokenizers backend).
PORTABLE_TOKENIZER_CLASS = "PreTrainedTokenizerFast"


def end_of_turn_token_id(tokenizer) -> int | None:
    """The special token the chat template writes right after an assistant reply (``<|im_end|>`` for classit's
    template), found by rendering a one-turn chat; None when the template ends replies with ordinary text."""
    if not getattr(tokenizer, "chat_template", None):
        return None
    marker = "\u2063REPLY\u2063"
    try:
        text = tokenizer.apply_chat_template(
            [{"role": "user", "content": "hi"}, {"role": "assistant", "content": marker}], tokenize=False)
    except Exception:  # noqa: BLE001 - a template that rejects this chat: nothing to add
        return None
    after = text.split(marker, 1)[-1] if marker in text else ""
    special = {tok: tid for tok, tid in zip(tokenizer.all_special_tokens, tokenizer.all_special_ids)}
    for tok, tid in sorted(special.items(), key=lambda kv: after.find(kv[0]) if kv[0] in after else len(after) + 1):
        if tok and after.lstrip().startswith(tok):
            return int(tid)
    return None


def stop_token_ids(tokenizer) -> list[int]:
    """The ids that end generation: the text EOS and the chat template's end-of-turn token (each once)."""
    ids = [tokenizer.eos_token_id, end_of_turn_token_id(tokenizer)]
    return list(dict.fromkeys(int(i) for i in ids if i is not None))


def _read_json(path: Path) -> dict | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def portable_tokenizer_config(folder: str | os.PathLike) -> None:
    """Rewrite ``tokenizer_config.json`` so that transformers 4.46 … 5.x all load the tokenizer with its template.

    transformers 5 writes ``tokenizer_class: TokenizersBackend`` (unknown to 4.x), its extra special tokens as
    ``extra_special_tokens: [...]`` (4.x expects a dict there, the list under ``additional_special_tokens``) and the
    chat template only to ``chat_template.jinja`` (read from transformers 4.47 on; 4.46 reads it from the config);
    ``model_input_names`` is written so that 4.x does not return ``token_type_ids`` (``generate`` rejects them).
    """
    folder = Path(folder)
    path = folder / "tokenizer_config.json"
    config = _read_json(path)
    if config is None:
        return
    changed = False
    if config.get("tokenizer_class") == "TokenizersBackend":
        config["tokenizer_class"] = PORTABLE_TOKENIZER_CLASS
        changed = True
    extra = config.get("extra_special_tokens")
    if isinstance(extra, list):
        config.pop("extra_special_tokens")
        merged = list(dict.fromkeys(list(config.get("additional_special_tokens") or []) + extra))
        config["additional_special_tokens"] = merged
        changed = True
    if "model_input_names" not in config:  # else transformers 4.x's fast tokenizer adds token_type_ids, which
        config["model_input_names"] = ["input_ids", "attention_mask"]  # decoder-only generate() rejects
        changed = True
    template = folder / "chat_template.jinja"
    if "chat_template" not in config and template.is_file():
        config["chat_template"] = template.read_text(encoding="utf-8")
        changed = True
    if changed:
        write_json_atomic(path, config)


def complete_hf_folder(folder: str | os.PathLike, tokenizer, state=None, config=None) -> None:
    """Make ``folder`` (a saved model + tokenizer) a complete HF checkpoint; see the module docstring."""
    from .model_card import write_model_card

    folder = Path(folder)
    stops = stop_token_ids(tokenizer)
    gen_path = folder / "generation_config.json"
    gen = _read_json(gen_path)
    if gen is not None and stops:
        gen["eos_token_id"] = stops if len(stops) > 1 else stops[0]
        if tokenizer.pad_token_id is not None:
            gen["pad_token_id"] = int(tokenizer.pad_token_id)
        write_json_atomic(gen_path, gen)
    cfg_path = folder / "config.json"
    cfg = _read_json(cfg_path)
    if cfg is not None and cfg.get("use_cache") is not True:
        cfg["use_cache"] = True  # where the architecture keeps it in text_config, transformers reads it from there
        if isinstance(cfg.get("text_config"), dict):
            cfg["text_config"]["use_cache"] = True
        write_json_atomic(cfg_path, cfg)
    portable_tokenizer_config(folder)
    if state is not None:
        write_model_card(folder, state, config, stop_tokens=[tokenizer.convert_ids_to_tokens(i) for i in stops])
