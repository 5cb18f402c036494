"""Plain text (BabyLM ``.train`` files, optionally gzipped) for pre-training.

Each non-empty line is a document; documents longer than ``words_per_record`` words are cut into consecutive
pieces of at most that many words (BabyLM's sample files are one very long line each).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Literal

from ...files import read_lines
from ..records import Record


@dataclass
class PlainTextOptions:
    paths: list[str]
    words_per_record: int = 256
    max_records: int | None = None
    on_error: Literal["raise", "skip"] = "raise"
    resolved_paths: list[Path] = field(default_factory=list, repr=False)


def iter_plain_text(opts: PlainTextOptions, name: str = "text") -> Iterator[Record]:
    count = 0
    for path in opts.resolved_paths:
        for lineno, line in read_lines(path):
            words = line.split()
            for start in range(0, len(words), opts.words_per_record):
                piece = " ".join(words[start : start + opts.words_per_record])
                yield Record(text=piece, source=name, origin=f"{path}:{lineno}")
                count += 1
                if opts.max_records is not None and count >= opts.max_records:
                    return
