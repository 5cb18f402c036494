"""A stage's training rows: sources -> records -> token ids/labels -> weighted mixture -> packed rows."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass

from tqdm.auto import tqdm

from .config import RunConfig, StageConfig
from .errors import DataError
from .formatting import Example, encode_record
from .packing import PackedRow, pack_examples, unpacked_rows
from .sources import iter_source

logger = logging.getLogger(__name__)


@dataclass
class StageData:
    rows: list[PackedRow]
    num_examples: int
    num_words: int  # words in one pass over the stage's mixture
    num_tokens: int
    padding_fraction: float  # if every row were padded to max_seq_length

    def summary(self) -> str:
        return (f"{self.num_examples:,} examples, {len(self.rows):,} rows, {self.num_tokens:,} tokens, "
                f"{self.num_words:,} words per epoch")


def source_examples(config: RunConfig, source_name: str, tokenizer, loss_on: str, show_progress: bool = True) -> list[Example]:
    """Encode every record of one source."""
    examples: list[Example] = []
    records = iter_source(config.sources[source_name], source_name)
    for record in tqdm(records, desc=f"encode {source_name}", unit="rec", disable=not show_progress, mininterval=2):
        examples.extend(encode_record(tokenizer, record, config.data.max_seq_length, loss_on=loss_on))
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


def build_stage_data(config: RunConfig, stage: StageConfig, tokenizer, show_progress: bool = True) -> StageData:
    """Everything one stage trains on, deterministic for a given config (so every process builds the same rows)."""
    loss_on = stage.loss_on or config.data.loss_on
    rng = random.Random(config.data.seed)
    examples: list[Example] = []
    cache: dict[str, list[Example]] = {}
    for ref in stage.sources:
        if ref.source not in cache:
            cache[ref.source] = source_examples(config, ref.source, tokenizer, loss_on, show_progress)
        examples += weighted(cache[ref.source], ref.weight, rng)
    if not examples:  # an empty corpus would otherwise fail inside the Trainer's sampler
        names = ", ".join(dict.fromkeys(ref.source for ref in stage.sources))
        raise DataError(f"stages.{stage.name}", f"no training examples: source(s) {names} yielded no records "
                                                "(empty input files, or every record filtered out?)")
    max_len = config.data.max_seq_length
    rows = pack_examples(examples, max_len, seed=config.data.seed) if config.data.packing else unpacked_rows(examples, seed=config.data.seed)
    num_tokens = sum(len(e.input_ids) for e in examples)
    return StageData(rows=rows, num_examples=len(examples), num_words=sum(e.num_words for e in examples),
                     num_tokens=num_tokens, padding_fraction=1 - num_tokens / max(1, len(rows) * max_len))
