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

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from tqdm.auto import tqdm

from .errors import DataError
from .eval_sets import EvalSet
from .records import Record

NGRAM = 13
MIN_SENTENCE_WORDS = 4
_NON_WORD = re.compile(r"[^\w]+|_")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+|\t+")


def words(text: str) -> list[str]:
    """Normalised words: NFKC, lower case, punctuation and symbols as spaces."""
    return _NON_WORD.sub(" ", unicodedata.normalize("NFKC", text).lower()).split()


def sentences(text: str, min_words: int) -> Iterator[str]:
    """The normalised sentences (joined words) of ``text`` with at least ``min_words`` words."""
    for piece in _SENTENCE.split(text):
        w = words(piece)
        if len(w) >= min_words:
            yield " ".join(w)


def ngrams(tokens: list[str], n: int = NGRAM) -> Iterator[int]:
    """Hashes of the n-word windows (Python's hash: consistent within one process, never stored)."""
    for i in range(len(tokens) - n + 1):
        yield hash(tuple(tokens[i : i + n]))


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
    """Sentence and 13-gram hashes of every evaluation set, each hash mapped to a bit mask of the sets it is in."""

    def __init__(self, sets: list[EvalSet], min_sentence_words: int = MIN_SENTENCE_WORDS, n: int = NGRAM):
        self.sets, self.min_words, self.n = sets, min_sentence_words, n
        self.sentence_mask: dict[int, int] = {}
        self.ngram_mask: dict[int, int] = {}
        self.items_long = []
        for k, s in enumerate(tqdm(sets, desc="index evaluation sets", unit="set", mininterval=2)):
            bit, long_items = 1 << k, 0
            for item in s.items:
                has_long = False
                for text in item:
                    for sent in sentences(text, min_sentence_words):
                        h = hash(sent)
                        self.sentence_mask[h] = self.sentence_mask.get(h, 0) | bit
                    tokens = words(text)
                    if len(tokens) >= n:
                        has_long = True
                        for h in ngrams(tokens, n):
                            self.ngram_mask[h] = self.ngram_mask.get(h, 0) | bit
                long_items += has_long
            self.items_long.append(long_items)

    def item_hits(self, k: int, matched_sentences: set[int], matched_ngrams: set[int]) -> tuple[int, int, int]:
        """(items with an exact match, items with a 13-gram match, items with either) of set ``k``."""
        exact = ngram = either = 0
        for item in self.sets[k].items:
            e = g = False
            for text in item:
                if not e and matched_sentences:
                    e = any(hash(s) in matched_sentences for s in sentences(text, self.min_words))
                if not g and matched_ngrams:
                    g = any(h in matched_ngrams for h in ngrams(words(text), self.n))
            exact += e
            ngram += g
            either += e or g
        return exact, ngram, either


def record_text(record: Record) -> str:
    """What the model reads of a training record (prompt and reply, or the plain text)."""
    if record.is_chat:
        return f"{record.prompt or ''}\n{record.reply or ''}"
    return record.text or ""


def audit_source(index: EvalIndex, name: str, records: Iterable[tuple[str, Record]], max_examples: int = 3,
                 show_progress: bool = True) -> tuple[list[PairResult], set[str]]:
    """Audit one training source against every set of ``index``; returns per-set results and contaminated ids."""
    sets = index.sets
    matched_sentences = [set() for _ in sets]
    matched_ngrams = [set() for _ in sets]
    exact_records = [0] * len(sets)
    ngram_records = [0] * len(sets)
    examples: list[list[str]] = [[] for _ in sets]
    contaminated: set[str] = set()
    count = 0
    for record_id, record in tqdm(records, desc=f"audit {name}", unit="rec", disable=not show_progress, mininterval=2):
        count += 1
        text = record_text(record)
        exact_mask = ngram_mask = 0
        for sent in sentences(text, index.min_words):
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
        tokens = words(text)
        for h in ngrams(tokens, index.n):
            mask = index.ngram_mask.get(h)
            if mask:
                ngram_mask |= mask
                for k in _bits(mask):
                    matched_ngrams[k].add(h)
        for k in _bits(exact_mask):
            exact_records[k] += 1
        for k in _bits(ngram_mask):
            ngram_records[k] += 1
        if exact_mask or ngram_mask:
            contaminated.add(record_id)
    if count == 0:
        raise DataError(f"sources.{name}", "no records: an empty source cannot be audited")
    results = []
    for k, s in enumerate(sets):
        exact, ngram, either = index.item_hits(k, matched_sentences[k], matched_ngrams[k])
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
