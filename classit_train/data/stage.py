"""A stage's training rows: sources -> records -> token ids/labels -> weighted mixture -> packed rows."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tqdm.auto import tqdm

from ..errors import DataError
from .example_ids import window_id
from .formatting import Example, encode_record
from .packing import PackedRow, pack_examples, unpacked_rows
from .sources import iter_source_with_ids

if TYPE_CHECKING:  # annotations only: the run config sits above data (docs/architecture.md)
    from ..config.run import RunConfig, StageConfig

logger = logging.getLogger(__name__)


@dataclass
class StageData:
    rows: list[PackedRow]
    num_examples: int
    num_words: int  # words in one pass over the stage's mixture
    num_tokens: int
    padding_fraction: float  # if every row were padded to max_seq_length
    example_ids: list[str] = field(default_factory=list)  # the stage's distinct examples (rows index into this)
    example_sources: list[str] = field(default_factory=list)  # the source of each of them

    def summary(self) -> str:
        return (f"{self.num_examples:,} examples, {len(self.rows):,} rows, {self.num_tokens:,} tokens, "
                f"{self.num_words:,} words per epoch")


def source_examples(config: RunConfig, source_name: str, tokenizer, loss_on: str, show_progress: bool = True) -> list[Example]:
    """Encode every record of one source (each example carries its stable id)."""
    examples: list[Example] = []
    records = iter_source_with_ids(config.sources[source_name], source_name)
    for record_id, record in tqdm(records, desc=f"encode {source_name}", unit="rec", disable=not show_progress,
                                  mininterval=2):
        for w, example in enumerate(encode_record(tokenizer, record, config.data.max_seq_length, loss_on=loss_on)):
            example.example_id = window_id(record_id, w)
            examples.append(example)
    if not examples:
        logger.warning("source %s produced no examples", source_name)
    return examples


def weighted(examples: list[Example], weight: float, rng: random.Random) -> list[Example]:
    """``weight`` copies of the examples: the integer part repeats them, the fraction adds a random subset."""
    whole, fraction = int(weight), weight - int(weight)
    mixed = examples * whole
    if fraction > 0:
        mixed += rng.sample(examples, round(fraction * len(examples)))
    return mixed


def build_stage_data(config: RunConfig, stage: StageConfig, tokenizer, show_progress: bool = True,
                     stage_index: int | None = None) -> StageData:
    """Everything one stage trains on, deterministic for a given config (so every process builds the same rows).

    A stage with ``select`` keeps only the examples its data map selection names (by id, before weighting)."""
    loss_on = stage.loss_on or config.data.loss_on
    rng = random.Random(config.data.seed)
    examples: list[Example] = []
    cache: dict[str, list[Example]] = {}
    for ref in stage.sources:
        if ref.source not in cache:
            cache[ref.source] = source_examples(config, ref.source, tokenizer, loss_on, show_progress)
    if stage.select is not None:
        from .selection import select_examples

        cache = select_examples(config, stage, cache, stage_index)
    for ref in stage.sources:
        examples += weighted(cache[ref.source], ref.weight, rng)
    table: dict[str, int] = {}
    sources: list[str] = []
    for ref in stage.sources:
        for e in cache[ref.source]:
            if e.example_id not in table:
                table[e.example_id] = len(table)
                sources.append(ref.source)
    index = [table[e.example_id] for e in examples] if config.data.dynamics else None
    if not examples:  # an empty corpus would otherwise fail inside the Trainer's sampler
        names = ", ".join(dict.fromkeys(ref.source for ref in stage.sources))
        raise DataError(f"stages.{stage.name}", f"no training examples: source(s) {names} yielded no records "
                                                "(empty input files, or every record filtered out?)")
    max_len = config.data.max_seq_length
    if config.data.packing:
        rows = pack_examples(examples, max_len, seed=config.data.seed, example_index=index)
    else:
        rows = unpacked_rows(examples, seed=config.data.seed, example_index=index)
    num_tokens = sum(len(e.input_ids) for e in examples)
    return StageData(rows=rows, num_examples=len(examples), num_words=sum(e.num_words for e in examples),
                     num_tokens=num_tokens, padding_fraction=1 - num_tokens / max(1, len(rows) * max_len),
                     example_ids=list(table), example_sources=sources)
