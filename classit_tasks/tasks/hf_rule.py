"""The task loaders' parity warning: one line when a model other than classit-hf will score a task differently
from the BabyLM 2025 rule (docs/parity.md).

The loaders learn which model runs from their metadata (lm-eval passes ``model_args | --metadata`` to every
``custom_dataset`` loader): ``classit-eval run`` and ``classit-eval sweep`` put the lm-eval model name there as
``model``. With a classit model (``classit-hf`` / ``classit``) the check stays silent. Plain ``lm_eval --model hf
--include_path …`` runs carry no model name, so the loaders check the checkpoint's tokenizer and warn as before; a
plain ``lm_eval --model classit-hf`` run silences the line with ``--metadata '{"model": "classit-hf"}'``.
"""

from __future__ import annotations

import logging

log = logging.getLogger("lm_eval.classit")  # under lm-eval's logger: shown with its handler and level

CLASSIT_MODEL_NAMES = frozenset({"classit-hf", "classit"})  # the names classit-hf is registered under
_WARNED: set[tuple[str, str]] = set()  # lines already logged in this process (loader-side only)


def tokenizer_kind(tokenizer) -> str:
    """``bos`` (prepends BOS only), ``none`` (adds nothing), ``wrap`` (adds a token at the end too, ``<s> … </s>``)."""
    plain = tokenizer("a b", add_special_tokens=False)["input_ids"]
    full = tokenizer("a b")["input_ids"]
    if full == plain:
        return "none"
    if len(full) > len(plain) and full[-len(plain):] == plain:
        return "bos"
    return "wrap"


def _load_tokenizer(metadata: dict):
    from transformers import AutoTokenizer

    source = metadata.get("tokenizer") or metadata.get("pretrained")
    kwargs = {"trust_remote_code": bool(metadata.get("trust_remote_code", False))}
    if metadata.get("revision"):
        kwargs["revision"] = metadata["revision"]
    return AutoTokenizer.from_pretrained(str(source), **kwargs)


def warn_if_hf_differs(task: str, has_context: bool, metadata: dict) -> str | None:
    """Log (once per checkpoint and task kind) when a model other than classit-hf (``metadata["model"]``, see the
    module docstring) will score ``task`` differently from the 2025 rule: a BOS-less tokenizer on minimal pairs, a
    ``<s> … </s>`` tokenizer on tasks with a context. Returns the line (None when silent). Never raises: a check
    that cannot run stays silent."""
    pretrained = metadata.get("pretrained")
    if not pretrained or str(metadata.get("model")) in CLASSIT_MODEL_NAMES:
        return None
    key = (str(pretrained), "context" if has_context else "minimal_pairs")
    if key in _WARNED:
        return None
    try:
        kind = tokenizer_kind(_load_tokenizer(metadata))
    except Exception:  # noqa: BLE001
        return None
    if (has_context and kind != "wrap") or (not has_context and kind != "none"):
        return None
    _WARNED.add(key)
    why = ("its tokenizer adds no BOS, so lm-eval's hf model scores the first token (conditioned on EOS), which the "
           "2025 rule never scores" if kind == "none" else
           "its tokenizer wraps text in <s> … </s>, so lm-eval's hf model splits context and continuation wrongly")
    line = (f"classit: {task} and the tasks like it will differ from BabyLM 2025 scoring for {pretrained}: {why}; "
            "use --model classit-hf (classit-eval's default; see docs/parity.md; plain lm_eval with classit-hf: "
            "add --metadata model=classit-hf to drop this line)")
    log.warning(line)
    return line

