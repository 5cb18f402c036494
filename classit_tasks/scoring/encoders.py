"""Scoring rules of classit-hf: how a request ``(context, continuation)`` becomes the token sequences it scores.

A request's rule is chosen from the request itself: its document may name one in ``surprisal_rule`` (the reading
tasks' documents do); otherwise the default joint rule applies. :data:`RULES` maps each rule name to its encoder,
``(tokenizer, [(context, continuation), …]) -> one list of Encoded per pair``; the request's log-likelihood is the
sum of the scores of its sequences. No task is known here by name.

- default (:func:`encode_babylm2025`, BabyLM 2025 ``sentence_zero_shot/dataset.py``): the full string ``context +
  continuation`` is tokenized once with the tokenizer's default special tokens; the scored tokens are those whose
  character span ends after the start of the continuation; token 0 is never scored.
- ``babylm2025`` (:func:`encode_babylm2025_word`): the 2025 reading pipeline's word surprisal (``get_p2``).
- ``standard`` (:func:`encode_standard`): de Varda's rule, the default joint tokenization.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Callable, Mapping, Sequence

from classit_tasks.errors import ClassitError
from classit_tasks.scoring.prefix_rows import Encoded

ENCODE_CHUNK = 4096  # strings per tokenizer call
RULE_FIELD = "surprisal_rule"  # the document field naming a request's rule


class ClassitModelError(ClassitError, ValueError):
    """A request the model cannot score faithfully (one-line message)."""


def encode_babylm2025(tokenizer, strings: Sequence[tuple[str, str]]) -> list[Encoded]:
    """Tokenize ``context + continuation`` once and mark the continuation's tokens (BabyLM 2025 rule)."""
    out = []
    encode = None
    for start in range(0, len(strings), ENCODE_CHUNK):  # chunks keep the tokenizer's offset lists small
        part = strings[start : start + ENCODE_CHUNK]
        fulls = [ctx + cont for ctx, cont in part]
        encode = encode or _fastest_encoder(tokenizer, fulls[:32])
        for (ctx, cont), full, (ids, offsets) in zip(part, fulls, encode(fulls)):
            start_char = len(full) - len(cont) + (offsets[0][0] if offsets else 0)
            scored = [end > start_char for _, end in offsets[1:]]
            out.append(Encoded(list(ids), scored))
    return out


def _fastest_encoder(tokenizer, sample: list[str]) -> Callable:
    """texts -> (ids, offsets) pairs: the Rust backend's ``encode_batch`` if it gives exactly what calling the
    tokenizer gives on ``sample`` (it skips transformers' per-sequence Python conversion), else the tokenizer."""

    def via_tokenizer(texts):
        batch = tokenizer(texts, return_offsets_mapping=True)
        return zip(batch["input_ids"], batch["offset_mapping"])

    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        return via_tokenizer

    def via_backend(texts):
        return ((e.ids, e.offsets) for e in backend.encode_batch(texts, add_special_tokens=True))

    def same(encode):
        return [(list(ids), [tuple(o) for o in offsets]) for ids, offsets in encode(sample)]

    try:
        return via_backend if same(via_backend) == same(via_tokenizer) else via_tokenizer
    except Exception:  # noqa: BLE001 - a backend that does not take these arguments
        return via_tokenizer


def _last_token_scored(context_ids: Sequence[int], target: int) -> Encoded:
    """The context followed by one target token, of which only that target is scored."""
    return Encoded(list(context_ids) + [int(target)], [False] * (len(context_ids) - 1) + [True])


def encode_babylm2025_word(tokenizer, pairs: Sequence[tuple[str, str]]) -> list[list[Encoded]]:
    """The 2025 ``get_p2`` rule: one sequence per sub-token of the word, re-tokenizing the growing context string.

    log p(word | item) = Σ_k log p(t_k | tok(item + decode(w_1) + … + decode(w_{k-1}))), where w = tok(word) without
    special tokens and t_1 = w_1, t_k = tok(decode(w_k))[0].
    """
    ctx_ids = tokenizer([c for c, _ in pairs])["input_ids"]
    word_ids = tokenizer([w for _, w in pairs], add_special_tokens=False)["input_ids"]
    out = []
    for (context, word), cids, wids in zip(pairs, ctx_ids, word_ids):
        if not cids:
            raise ClassitModelError(f"reading: context {context!r} tokenizes to no tokens; nothing to condition on")
        if not wids:
            raise ClassitModelError(f"reading: word {word!r} tokenizes to no tokens")
        seqs = [_last_token_scored(cids, wids[0])]
        text = context + tokenizer.decode(wids[0])
        for sub in wids[1:]:
            piece = tokenizer.decode(sub)
            piece_ids = tokenizer(piece, add_special_tokens=False)["input_ids"]
            if not piece_ids:
                raise ClassitModelError(f"reading: sub-token {sub} of {word!r} decodes to {piece!r}, no tokens")
            seqs.append(_last_token_scored(tokenizer(text)["input_ids"], piece_ids[0]))
            text += piece
        out.append(seqs)
    return out


def encode_standard(tokenizer, pairs: Sequence[tuple[str, str]]) -> list[list[Encoded]]:
    """de Varda's rule: " " + word scored jointly with its context (classit-hf's default joint tokenization)."""
    return [[e] for e in encode_babylm2025(tokenizer, pairs)]


# Rule name (a document's ``surprisal_rule``) -> encoder. Read-only.
RULES: Mapping[str, Callable] = MappingProxyType({"babylm2025": encode_babylm2025_word, "standard": encode_standard})


def request_rule(request) -> str | None:
    """The rule a request's document names (``surprisal_rule``), or None for the default joint rule."""
    doc = getattr(request, "doc", None)
    rule = doc.get(RULE_FIELD) if isinstance(doc, Mapping) else None
    if rule is None:
        return None
    if rule not in RULES:
        raise ClassitModelError(f"{request.task_name} doc {request.doc_id}: unknown scoring rule {RULE_FIELD}="
                                f"{rule!r} (classit-hf knows {', '.join(RULES)})")
    return rule
