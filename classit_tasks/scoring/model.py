"""``classit-hf``: lm-eval's HF model, scoring log-likelihoods with the BabyLM 2025 rule.

The rule (babylm/evaluation-pipeline-2025, ``sentence_zero_shot/dataset.py``): the full string
``context + continuation`` is tokenized once with the tokenizer's default special tokens; the scored tokens are
those whose character span ends after the start of the continuation; token 0 is never scored
(inputs = tokens[:-1], targets = tokens[1:]); the score is the plain sum of natural-log probabilities.

It differs from stock ``--model hf`` in three cases (see docs/parity.md): tokenizers that add no BOS (stock
GPT-2: the first token is not scored), tokenizers that wrap text in ``<s> … </s>`` (lm-eval splits the
context/continuation token lists wrongly), and contexts that would be left-truncated (classit refuses instead).

Only the positions whose next token is scored go through the LM head and the log-softmax, sequences are batched
by length with no attention mask (right padding cannot affect earlier positions of a causal model), and
duplicate strings are scored once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Sequence

import torch
from lm_eval.api.registry import register_model
from lm_eval.models.huggingface import HFLM
from tqdm import tqdm

from classit_tasks import nonfinite
from classit_tasks.responses import RuleScored
from classit_tasks.scoring.distributed import adopt_data_parallel, prepare_data_parallel
from classit_tasks.scoring.encoders import RULES, ClassitModelError, encode_babylm2025, request_rule
from classit_tasks.scoring.prefix_rows import Encoded, Row, batch_targets, batch_tensors, pack_rows

log = logging.getLogger(__name__)

# Vocabulary-wide tensors are computed for at most this many elements at a time (32 MB in float32).
HEAD_ELEMENTS = 8 * 1024 * 1024
DEFAULT_BATCH_ROWS = 64  # rows per forward pass when lm-eval's batch size is not an integer (positions are capped too)


@dataclass
class Prepared:
    """Requests tokenized and packed into rows: everything scoring needs except the weights."""

    request_keys: list[tuple]  # one (rule name or None, (context, continuation)) per request, in request order
    keys: list[tuple]  # the distinct request keys, in first-seen order
    n_parts: list[int]  # sequences per distinct key (their log-likelihoods are summed)
    rows: list[Row]
    n_sequences: int
    longest: dict[tuple, int]  # longest sequence (tokens) per distinct key, for the context-window check
    origins: list[tuple[str, int]]  # (task name, doc id) per request, for error messages


# Keyword arguments HFLM forwards to ``from_pretrained`` (its **kwargs) that classit-hf accepts in --model_args.
FROM_PRETRAINED_ARGS = frozenset({
    "attn_implementation", "low_cpu_mem_usage", "cache_dir", "local_files_only", "use_safetensors", "device_map",
    "quantization_config", "torch_dtype", "token", "load_in_8bit", "load_in_4bit", "variant",
})


def check_model_args(kwargs: dict) -> None:
    """Refuse (ClassitModelError) a --model_args key classit-hf does not know, naming the closest valid ones."""
    import inspect

    from classit_tasks.names import unknown_name

    known = set(FROM_PRETRAINED_ARGS)
    for fn in (ClassitLM.__init__, HFLM.__init__):
        known |= {n for n, p in inspect.signature(fn).parameters.items()
                  if n != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
    for key in kwargs:
        if key not in known:
            raise ClassitModelError(f"--model_args: {unknown_name('classit-hf argument', key, known)}")
    for key in ("max_tokens_per_batch", "max_row_tokens", "max_length", "max_batch_size"):
        value = kwargs.get(key)
        if value is not None and (isinstance(value, bool) or not str(value).strip().isdigit() or int(value) <= 0):
            raise ClassitModelError(f"--model_args {key}={value!r}: expected a positive integer")
    batch = kwargs.get("batch_size")
    if batch is not None and not (str(batch).isdigit() and int(batch) > 0) and not str(batch).startswith("auto"):
        raise ClassitModelError(f"--batch_size {batch!r}: expected a positive integer or auto")
    dtype = kwargs.get("dtype")
    if isinstance(dtype, str) and dtype != "auto" and not isinstance(getattr(torch, dtype, None), torch.dtype):
        raise ClassitModelError(f"--model_args dtype={dtype!r}: not a torch dtype (e.g. float32, bfloat16, auto)")


def check_max_length(config, max_length, pretrained) -> None:
    """Refuse a ``max_length`` beyond the model's learned positions (it would index past the position table)."""
    positions = getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", None)
    if max_length is not None and isinstance(positions, int) and int(max_length) > positions:
        # a path, or a model object already built (classit-eval sweep): never its multi-line repr
        name = pretrained if isinstance(pretrained, str) else getattr(config, "_name_or_path", "") or "the model"
        raise ClassitModelError(
            f"--model_args max_length={max_length}: {name} has {positions} positions; "
            f"use max_length<={positions}"
        )


@register_model("classit-hf", "classit")
class ClassitLM(HFLM):
    """HFLM with BabyLM 2025 log-likelihood scoring and a padding-free, head-sparse batched forward pass.

    Extra model args: ``max_tokens_per_batch`` (input positions per forward pass; default 4096 on CPU, where
    larger batches are no faster and only raise peak memory, 32768 on an accelerator),
    ``prefix_sharing`` (default true: sequences are packed into prefix-trie rows of at most ``max_row_tokens``
    positions, default 128, so shared prefixes are computed once; false scores every sequence alone).
    ``dtype`` defaults to float32, as in the 2025 pipeline. ``allow_nan`` (default: ``$CLASSIT_ALLOW_NAN``): a
    non-finite log-likelihood is returned marked as allowed (``nonfinite.AllowedNonFinite``) instead of stopping.

    A request whose document names a scoring rule (``surprisal_rule``, see ``scoring.encoders.RULES``) is scored
    with that rule and answered with a ``responses.RuleScored`` carrying the rule's name.
    """

    def __init__(
        self, pretrained="gpt2", max_tokens_per_batch: int | None = None, max_row_tokens: int = 128, prefix_sharing=True,
        allow_nan=None, **kwargs,
    ):
        check_model_args({**kwargs, "max_tokens_per_batch": max_tokens_per_batch, "max_row_tokens": max_row_tokens})
        kwargs.setdefault("dtype", "float32")
        # lm-eval's data parallelism splits documents across processes; a model object handed in already built
        # (classit-eval sweep, whose ranks take whole checkpoints) stays in its own process, as HFLM does for it
        data_parallel = isinstance(pretrained, str)
        if data_parallel:
            prepare_data_parallel(kwargs)
        try:
            super().__init__(pretrained=pretrained, **kwargs)
        except Exception as err:  # noqa: BLE001 - loading failures become one line; anything else is re-raised
            if not isinstance(err, (OSError, ValueError)) and type(err).__name__ != "SafetensorError":
                raise
            first = (str(err).strip().splitlines() or [type(err).__name__])[0]
            raise ClassitModelError(f"{pretrained}: cannot load the model ({type(err).__name__}: {first})") from None
        check_max_length(self.model.config, kwargs.get("max_length"), pretrained)
        if data_parallel:
            adopt_data_parallel(self)  # also data-parallel on CPU (gloo) under accelerate launch / torchrun
        if not getattr(self.tokenizer, "is_fast", False):
            raise ClassitModelError(
                f"{pretrained}: classit-hf needs a fast (Rust) tokenizer for character offsets, "
                f"got {type(self.tokenizer).__name__}"
            )
        if max_tokens_per_batch is None:
            max_tokens_per_batch = 4096 if torch.device(self.device).type == "cpu" else 32768
        self.max_tokens_per_batch = int(max_tokens_per_batch)
        self.max_row_tokens = int(max_row_tokens)
        self._backbone, self._head = self._split_head()
        self.prefix_sharing = str(prefix_sharing).lower() not in {"false", "0", "no"} and self._tree_rows_work()
        # Non-finite log-likelihoods: stop (default) or let them through marked (classit_tasks.nonfinite)
        self.allow_nan = nonfinite.allowed() if allow_nan is None else str(allow_nan).lower() in {"true", "1", "yes"}

    # ----------------------------------------------------------------------------------------------------------
    def _split_head(self):
        """Backbone and LM head, if running them separately reproduces the model's own logits; else (None, None)."""
        model = self.model
        backbone = getattr(model, getattr(model, "base_model_prefix", ""), None)
        head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
        if backbone is None or head is None or backbone is model:
            return None, None
        probe = torch.tensor([[1, 2, 3, 4, 5, 6]], device=self.device) % self.model.config.vocab_size
        with torch.no_grad():
            reference = model(probe).logits.float()
            try:
                split = head(backbone(probe).last_hidden_state).float()
            except Exception:  # noqa: BLE001 - any architecture that does not fit the pattern
                return None, None
        if split.shape != reference.shape or not torch.allclose(split, reference, atol=1e-5, rtol=1e-5):
            log.info("classit-hf: LM head is not separable for %s; using full logits", type(model).__name__)
            return None, None
        return backbone, head

    def _tree_rows_work(self) -> bool:
        """Whether this architecture honours the custom 4D mask and position ids of shared-prefix rows."""
        vocab = self.model.config.vocab_size
        a = Encoded([i % vocab for i in (1, 2, 3, 4, 5)], [True] * 4)
        b = Encoded([i % vocab for i in (1, 2, 3, 7, 8, 9)], [True] * 5)
        with torch.inference_mode():
            try:
                shared = dict(self._score_rows(pack_rows([a, b], 64, share_prefixes=True)))
            except Exception:  # noqa: BLE001 - an architecture without 4D-mask support
                shared = {}
            alone = dict(self._score_rows(pack_rows([a, b], 64, share_prefixes=False)))
        ok = bool(shared) and all(abs(shared[i][0] - alone[i][0]) < 1e-4 for i in (0, 1))
        if not ok:
            log.info("classit-hf: shared-prefix rows unsupported for %s; scoring options separately",
                     type(self.model).__name__)
        return ok

    def _logits_at(self, input_ids, position_ids, mask, rows: torch.Tensor, cols: torch.Tensor, chunk: int):
        """Logits at positions (rows, cols) only, yielded in chunks of ``chunk`` positions.

        Chunks bound the memory of the vocabulary-wide tensors (logits and the log-sum-exp's temporaries) whatever
        the batch size: 4,096 positions x an 8k vocabulary would be 134 MB per copy.
        """
        device = self.device
        kwargs = {"input_ids": input_ids.to(device)}
        if mask is not None:
            kwargs.update(attention_mask=mask.to(device), position_ids=position_ids.to(device))
        if self._backbone is not None:
            hidden = self._backbone(**kwargs).last_hidden_state[rows, cols]
            for start in range(0, len(hidden), chunk):
                yield self._head(hidden[start : start + chunk]).float()
        else:  # full logits (an architecture whose head is not separable)
            logits = self.model(**kwargs).logits
            for start in range(0, len(rows), chunk):
                yield logits[rows[start : start + chunk], cols[start : start + chunk]].float()

    # ----------------------------------------------------------------------------------------------------------
    def loglikelihood(self, requests, disable_tqdm: bool = False) -> list[tuple[float, bool]]:
        if not requests:
            return []
        return self.score_prepared(self.prepare_requests(requests), disable_tqdm=disable_tqdm)

    def prepare_requests(self, requests) -> Prepared:
        """Tokenize the requests (each with the rule its document names, default BabyLM 2025) and pack them into rows.

        Depends on the tokenizer and the row settings only, not on the weights: ``classit-eval sweep`` keeps the
        result and scores it again with every checkpoint that shares the tokenizer.
        """
        # One key per request: (rule, (context, continuation)); distinct keys are scored once.
        request_keys = [(request_rule(req), tuple(req.args)) for req in requests]
        keys = list(dict.fromkeys(request_keys))
        parts: dict[tuple, list[Encoded]] = {}
        for rule in dict.fromkeys(rule for rule, _ in keys):
            mine = [pair for r, pair in keys if r == rule]
            if rule is None:
                encoded = [[e] for e in encode_babylm2025(self.tokenizer, mine)]
            else:
                encoded = RULES[rule](self.tokenizer, mine)
            parts.update({(rule, pair): seqs for pair, seqs in zip(mine, encoded)})
        longest = {key: max((len(e.ids) for e in parts[key]), default=0) for key in keys}
        flat = [seq for key in keys for seq in parts[key]]
        n_parts = [len(parts[key]) for key in keys]
        rows = self._pack(flat)
        return Prepared(request_keys, keys, n_parts, rows, len(flat), longest,
                        [(req.task_name, req.doc_id) for req in requests])

    def score_prepared(self, prepared: Prepared, disable_tqdm: bool = False) -> list[tuple[float, bool]]:
        """Forward passes over prepared rows; one (log-likelihood, is-greedy) per request (a ``RuleScored`` for a
        request scored with a named rule)."""
        self._check_fits(prepared)
        flat_scores = iter(self._score_rows_batched(prepared.rows, prepared.n_sequences,
                                                    disable_tqdm=disable_tqdm or self.rank != 0))
        by_key = {}
        for key, n in zip(prepared.keys, prepared.n_parts):
            scored = [next(flat_scores) for _ in range(n)]
            loglik, greedy = float(sum(s for s, _ in scored)), all(g for _, g in scored)
            if not nonfinite.is_finite([loglik]):
                loglik = nonfinite.AllowedNonFinite(loglik) if self.allow_nan else loglik
            by_key[key] = (loglik, greedy) if key[0] is None else RuleScored((loglik, greedy), key[0])
        if not self.allow_nan:
            for req_key, (task, doc_id) in zip(prepared.request_keys, prepared.origins):
                if not nonfinite.is_finite([by_key[req_key][0]]):
                    nonfinite.refuse(f"{task} doc {doc_id}", [by_key[req_key][0]])
        results = []
        for key in prepared.request_keys:
            results.append(by_key[key])
            self.cache_hook.add_partial("loglikelihood", key[1], by_key[key])
        return results

    def _check_fits(self, prepared: Prepared) -> None:
        """Refuse (never truncate) a sequence longer than the model's context window."""
        limit = self.max_length
        for key, (task, doc_id) in zip(prepared.request_keys, prepared.origins):
            longest = prepared.longest[key]
            if longest > limit:
                raise ClassitModelError(
                    f"{task} doc {doc_id}: {longest} tokens exceed the model's context window of "
                    f"{limit}; classit never truncates (set max_length= in --model_args if the model allows more)"
                )

    def score_encoded(self, encoded: Sequence[Encoded], disable_tqdm: bool = False) -> list[tuple[float, bool]]:
        """Summed log-probability of the scored targets of each sequence, and whether all were greedy.

        With prefix sharing on, sequences are packed into prefix-trie rows (``prefix_rows``); otherwise each
        sequence is a row of its own. Rows are batched by length.
        """
        return self._score_rows_batched(self._pack(encoded), len(encoded), disable_tqdm)

    def _pack(self, encoded: Sequence[Encoded]) -> list[Row]:
        rows = pack_rows(encoded, self.max_row_tokens, share_prefixes=self.prefix_sharing)
        rows.sort(key=lambda r: len(r.ids), reverse=True)
        return rows

    def _score_rows_batched(self, rows: list[Row], n_sequences: int, disable_tqdm: bool = False):
        results: list[tuple[float, bool] | None] = [None] * n_sequences
        integer = isinstance(self.batch_size, int) and self.batch_size > 0
        max_rows = self.batch_size if integer else DEFAULT_BATCH_ROWS
        batches = list(_length_batches(rows, max_rows, self.max_tokens_per_batch))
        with torch.inference_mode():
            for batch in tqdm(batches, desc="classit-hf scoring", disable=disable_tqdm):
                for member, result in self._score_rows(batch):
                    results[member] = result
        return results  # type: ignore[return-value]

    def _score_rows(self, rows: Sequence[Row]) -> list[tuple[int, tuple[float, bool]]]:
        input_ids, position_ids, mask = batch_tensors(rows, self.model.dtype)
        members = [m for row in rows for m in row.members]
        width = input_ids.shape[1]
        flat, tokens_t, owner_t = batch_targets(rows, width)
        if not len(flat):
            return [(m, (0.0, True)) for m in members]
        # Every input position whose next-token distribution is needed, once however many targets use it (sorted),
        # and each target's slot among them; targets are then ordered by slot so each chunk serves a contiguous run.
        needed, slot_t = torch.unique(flat, return_inverse=True)
        order = torch.argsort(slot_t, stable=True)
        slot_t, tokens_t, owner_t = slot_t[order], tokens_t[order], owner_t[order]
        dev = self.device
        slot_t, tokens_t, owner_t = slot_t.to(dev), tokens_t.to(dev), owner_t.to(dev)
        chunk = max(1, HEAD_ELEMENTS // max(int(self.model.config.vocab_size), 1))
        bounds = torch.searchsorted(slot_t, torch.arange(0, len(needed) + chunk, chunk, device=dev)).tolist()
        token_logprobs = torch.empty(len(slot_t), dtype=torch.float32, device=dev)
        misses = torch.empty(len(slot_t), dtype=torch.long, device=dev)
        chunks = self._logits_at(input_ids, position_ids, mask, (needed // width).to(dev), (needed % width).to(dev), chunk)
        for c, logits in enumerate(chunks):
            lo, hi = bounds[c], bounds[c + 1]
            local = slot_t[lo:hi] - c * chunk
            # log p(token) = logit - logsumexp(logits): the log-softmax at the needed entries only.
            chosen = logits[local, tokens_t[lo:hi]]
            token_logprobs[lo:hi] = chosen - torch.logsumexp(logits, dim=-1)[local]
            misses[lo:hi] = (chosen < logits.amax(dim=-1)[local]).long()
        sums = torch.zeros(len(members), dtype=torch.float32, device=self.device).index_add_(0, owner_t, token_logprobs)
        miss = torch.zeros(len(members), dtype=torch.long, device=self.device).index_add_(0, owner_t, misses)
        return [(m, (float(s), bool(x == 0))) for m, s, x in zip(members, sums.tolist(), miss.tolist())]


def _length_batches(rows: Sequence[Row], max_rows: int, max_tokens: int):
    """Consecutive runs of the length-sorted rows, each within ``max_rows`` rows and ``max_tokens`` tokens."""
    batch: list[Row] = []
    width = 0
    for row in rows:
        new_width = max(width, len(row.ids))
        if batch and (len(batch) + 1 > max_rows or new_width * (len(batch) + 1) > max_tokens):
            yield batch
            batch, new_width = [], len(row.ids)
        batch.append(row)
        width = new_width
    if batch:
        yield batch
