"""Decontamination audit: how much of every evaluation set appears in every training source.

Two measures per (training source, evaluation set), both by hashing (no pairwise comparison, so a corpus of
millions of words takes seconds):

* **exact sentence match**: texts are split into sentences and normalised (Unicode NFKC, lower case, every
  non-alphanumeric character a space, whitespace collapsed); a sentence of at least ``min_sentence_words`` words
  that occurs on both sides is a match;
* **13-gram overlap** (the GPT-3 contamination test, Brown et al. 2020): an evaluation item is contaminated when one
  of its 13-word windows of normalised words also occurs in the training text (items shorter than 13 words
  cannot match; the report counts how many items are long enough).

Reported per pair: evaluation items with a match (count and fraction of the set) and training records with a
match (count and fraction of the source), for each measure. EWoK and entity tracking items are never printed or
written, only counted (their terms forbid showing them); match examples of those sets appear as hashes only. The
ids of contaminated training records can be written for a source's ``exclude_ids``.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable, Iterator

import numpy as np
from tqdm.auto import tqdm

from ..data.records import Record
from ..errors import DataError
from .eval_sets import EvalSet

NGRAM = 13
MIN_SENTENCE_WORDS = 4
_NON_WORD = re.compile(r"[^\w]+|_")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+|\t+")


def words(text: str) -> list[str]:
    """Normalised words: NFKC, lower case, punctuation and symbols as spaces."""
    return _NON_WORD.sub(" ", unicodedata.normalize("NFKC", text).lower()).split()


@functools.lru_cache(maxsize=1 << 17)
def _piece(piece: str) -> tuple[str, int, np.ndarray]:
    """A sentence-sized piece of text: its normalised sentence, word count and word hashes (cached: evaluation
    items and dialogue contexts repeat the same sentences many times)."""
    w = words(piece)
    return " ".join(w), len(w), np.fromiter((hash(x) for x in w), dtype=np.int64, count=len(w)).view(np.uint64)


def analyse(text: str, min_words: int) -> tuple[list[str], np.ndarray]:
    """(normalised sentences of at least ``min_words`` words, hashes of all the text's words in order)."""
    found, codes = [], []
    for piece in _SENTENCE.split(text):
        sentence, length, piece_codes = _piece(piece)
        if length >= min_words:
            found.append(sentence)
        codes.append(piece_codes)
    return found, (np.concatenate(codes) if len(codes) > 1 else codes[0]) if codes else np.empty(0, dtype=np.uint64)


def sentences(text: str, min_words: int) -> list[str]:
    """The normalised sentences (joined words) of ``text`` with at least ``min_words`` words."""
    return analyse(text, min_words)[0]


_BASE = 1_000_003
_POWERS = {NGRAM: np.array([pow(_BASE, NGRAM - 1 - j, 1 << 64) for j in range(NGRAM)], dtype=np.uint64)}


def window_hashes(codes: np.ndarray, n: int = NGRAM) -> np.ndarray:
    """Hashes (uint64) of the n-word windows of a sequence of word hashes: sum_j code[i+j] * B^(n-1-j) mod 2^64,
    one integer matrix product (Python's string hash is consistent within one process; these hashes are never
    stored or shown)."""
    if len(codes) < n:
        return np.empty(0, dtype=np.uint64)
    powers = _POWERS.get(n)
    if powers is None:
        powers = _POWERS[n] = np.array([pow(_BASE, n - 1 - j, 1 << 64) for j in range(n)], dtype=np.uint64)
    return np.lib.stride_tricks.sliding_window_view(codes, n) @ powers


def ngrams(tokens: list[str], n: int = NGRAM) -> np.ndarray:
    """Hashes of the n-word windows of a list of normalised words."""
    return window_hashes(np.fromiter((hash(w) for w in tokens), dtype=np.int64, count=len(tokens)).view(np.uint64), n)


def stable_hash(text: str) -> str:
    """A short public fingerprint of a normalised text (what the audit shows instead of protected items)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass
class PairResult:
    source: str
    task: str
    records: int  # training records of the source
    items: int  # evaluation items of the set
    items_long: int  # items with at least one 13-word window
    exact_items: int = 0
    ngram_items: int = 0
    exact_records: int = 0
    ngram_records: int = 0
    examples: list[str] = field(default_factory=list)  # matched sentences (hashes for protected sets)
    either_items: int = 0  # evaluation items found by either measure

    def fraction(self, count: int, of: str) -> float:
        total = self.items if of == "items" else self.records
        return count / total if total else 0.0

    def to_json(self) -> dict:
        return {"source": self.source, "task": self.task, "records": self.records, "items": self.items,
                "items_with_13gram": self.items_long,
                "exact_items": self.exact_items, "exact_items_fraction": self.fraction(self.exact_items, "items"),
                "ngram_items": self.ngram_items, "ngram_items_fraction": self.fraction(self.ngram_items, "items"),
                "contaminated_items": self.either_items,
                "contaminated_items_fraction": self.fraction(self.either_items, "items"),
                "exact_records": self.exact_records,
                "exact_records_fraction": self.fraction(self.exact_records, "records"),
                "ngram_records": self.ngram_records,
                "ngram_records_fraction": self.fraction(self.ngram_records, "records"),
                "examples": self.examples}


class EvalIndex:
    """Sentence and 13-gram hashes of every evaluation set; each hash maps to a bit mask of the sets holding it."""

    def __init__(self, sets: list[EvalSet], min_sentence_words: int = MIN_SENTENCE_WORDS, n: int = NGRAM):
        if len(sets) > 63:
            raise DataError("--data_dir", f"{len(sets)} evaluation sets: at most 63 can be audited at once")
        self.sets, self.min_words, self.n = sets, min_sentence_words, n
        self.sentence_mask: dict[int, int] = {}
        self.items_long: list[int] = []
        self.item_sentences: list[tuple[np.ndarray, np.ndarray]] = []  # per set: (hashes, item index)
        self.item_ngrams: list[tuple[np.ndarray, np.ndarray]] = []
        keys, bits = [], []
        for k, s in enumerate(tqdm(sets, desc="index evaluation sets", unit="set", mininterval=2)):
            bit = 1 << k
            sent_h, sent_i, gram_h, gram_i = [], [], [], []
            for i, item in enumerate(s.items):
                analysed = [analyse(text, min_sentence_words) for text in item]
                item_sents = {hash(sent) for found, _ in analysed for sent in found}
                for h in item_sents:
                    self.sentence_mask[h] = self.sentence_mask.get(h, 0) | bit
                sent_h += item_sents
                sent_i += [i] * len(item_sents)
                grams = [g for g in (window_hashes(codes, n) for _, codes in analysed) if len(g)]
                if grams:
                    unique = np.unique(np.concatenate(grams))
                    gram_h.append(unique)
                    gram_i.append(np.full(len(unique), i, dtype=np.int32))
            hashes = np.concatenate(gram_h) if gram_h else np.empty(0, dtype=np.uint64)
            owners = np.concatenate(gram_i) if gram_i else np.empty(0, dtype=np.int32)
            self.items_long.append(len(gram_h))
            self.item_sentences.append((np.array(sent_h, dtype=np.int64), np.array(sent_i, dtype=np.int32)))
            self.item_ngrams.append((hashes, owners))
            unique = np.unique(hashes)
            keys.append(unique)
            bits.append(np.full(len(unique), bit, dtype=np.uint64))
        # One sorted table of every distinct 13-gram hash with the OR of its sets' bits.
        all_keys = np.concatenate(keys) if keys else np.empty(0, dtype=np.uint64)
        all_bits = np.concatenate(bits) if bits else np.empty(0, dtype=np.uint64)
        order = np.argsort(all_keys, kind="stable")
        all_keys, all_bits = all_keys[order], all_bits[order]
        starts = np.flatnonzero(np.r_[True, all_keys[1:] != all_keys[:-1]]) if len(all_keys) else np.empty(0, int)
        self.ngram_keys = all_keys[starts]
        self.ngram_bits = np.bitwise_or.reduceat(all_bits, starts) if len(starts) else all_bits

    def ngram_masks(self, hashes: np.ndarray) -> np.ndarray:
        """The set bit mask of every hash (0 where no evaluation set has it)."""
        if not len(self.ngram_keys) or not len(hashes):
            return np.zeros(len(hashes), dtype=np.uint64)
        at = np.minimum(np.searchsorted(self.ngram_keys, hashes), len(self.ngram_keys) - 1)
        return np.where(self.ngram_keys[at] == hashes, self.ngram_bits[at], np.uint64(0))

    def item_hits(self, k: int, matched_sentences: set[int], matched_ngrams: np.ndarray) -> tuple[int, int, int]:
        """(items with an exact match, items with a 13-gram match, items with either) of set ``k``."""
        sent_h, sent_i = self.item_sentences[k]
        gram_h, gram_i = self.item_ngrams[k]
        exact = set(sent_i[np.isin(sent_h, np.fromiter(matched_sentences, dtype=np.int64))].tolist()) \
            if matched_sentences else set()
        ngram = set(gram_i[np.isin(gram_h, matched_ngrams)].tolist()) if len(matched_ngrams) else set()
        return len(exact), len(ngram), len(exact | ngram)


def record_text(record: Record) -> str:
    """What the model reads of a training record (prompt and reply, or the plain text)."""
    if record.is_chat:
        return f"{record.prompt or ''}\n{record.reply or ''}"
    return record.text or ""


def audit_source(index: EvalIndex, name: str, records: Iterable[tuple[str, Record]], max_examples: int = 3,
                 show_progress: bool = True, chunk: int = 2048) -> tuple[list[PairResult], set[str]]:
    """Audit one training source against every set of ``index``; returns per-set results and contaminated ids."""
    sets = index.sets
    matched_sentences: list[set[int]] = [set() for _ in sets]
    matched_ngrams: list[list[np.ndarray]] = [[] for _ in sets]
    exact_records = [0] * len(sets)
    ngram_records = [0] * len(sets)
    examples: list[list[str]] = [[] for _ in sets]
    contaminated: set[str] = set()
    count = 0
    pending_ids: list[str] = []
    pending_grams: list[np.ndarray] = []
    pending_exact: list[int] = []

    def flush() -> None:
        lengths = [len(g) for g in pending_grams]
        hashes = np.concatenate(pending_grams) if pending_grams else np.empty(0, dtype=np.uint64)
        masks = index.ngram_masks(hashes)
        owners = np.repeat(np.arange(len(pending_ids)), lengths)
        hit = np.flatnonzero(masks)
        record_masks = [0] * len(pending_ids)
        for j in hit.tolist():
            record_masks[owners[j]] |= int(masks[j])
        for k in range(len(sets)):
            chosen = (masks[hit] & np.uint64(1 << k)) != 0
            if chosen.any():
                matched_ngrams[k].append(hashes[hit[chosen]])
        for r, record_id in enumerate(pending_ids):
            for k in _bits(record_masks[r]):
                ngram_records[k] += 1
            if record_masks[r] or pending_exact[r]:
                contaminated.add(record_id)
        pending_ids.clear(), pending_grams.clear(), pending_exact.clear()

    for record_id, record in tqdm(records, desc=f"audit {name}", unit="rec", disable=not show_progress, mininterval=2):
        count += 1
        found, codes = analyse(record_text(record), index.min_words)
        exact_mask = 0
        for sent in found:
            h = hash(sent)
            mask = index.sentence_mask.get(h)
            if mask:
                exact_mask |= mask
                for k in _bits(mask):
                    matched_sentences[k].add(h)
                    if len(examples[k]) < max_examples:
                        shown = f"sha256:{stable_hash(sent)}" if sets[k].protected else sent
                        if shown not in examples[k]:
                            examples[k].append(shown)
        for k in _bits(exact_mask):
            exact_records[k] += 1
        pending_ids.append(record_id)
        pending_grams.append(window_hashes(codes, index.n))
        pending_exact.append(exact_mask)
        if len(pending_ids) >= chunk:
            flush()
    flush()
    if count == 0:
        raise DataError(f"sources.{name}", "no records: an empty source cannot be audited")
    results = []
    for k, s in enumerate(sets):
        grams = np.unique(np.concatenate(matched_ngrams[k])) if matched_ngrams[k] else np.empty(0, dtype=np.uint64)
        exact, ngram, either = index.item_hits(k, matched_sentences[k], grams)
        results.append(PairResult(name, s.name, count, len(s.items), index.items_long[k], exact, ngram,
                                  exact_records[k], ngram_records[k], examples[k], either_items=either))
    return results, contaminated


def _bits(mask: int) -> Iterator[int]:
    k = 0
    while mask:
        if mask & 1:
            yield k
        mask >>= 1
        k += 1


def audit_table(results: list[PairResult]) -> str:
    """A plain-text table: one row per (source, task)."""
    head = ["source", "task", "items", "exact items", "13-gram items (of long)", "records", "exact records",
            "13-gram records"]
    rows = [head]
    for r in results:
        rows.append([r.source, r.task, f"{r.items:,}",
                     f"{r.exact_items:,} ({100 * r.fraction(r.exact_items, 'items'):.2f}%)",
                     f"{r.ngram_items:,} ({100 * r.fraction(r.ngram_items, 'items'):.2f}%) of {r.items_long:,}",
                     f"{r.records:,}",
                     f"{r.exact_records:,} ({100 * r.fraction(r.exact_records, 'records'):.3f}%)",
                     f"{r.ngram_records:,} ({100 * r.fraction(r.ngram_records, 'records'):.3f}%)"])
    widths = [max(len(row[c]) for row in rows) for c in range(len(head))]
    lines = ["  ".join(cell.ljust(w) if c < 2 else cell.rjust(w) for c, (cell, w) in enumerate(zip(row, widths)))
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
