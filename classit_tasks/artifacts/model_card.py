"""A checkpoint's model card (``README.md``) and the block of evaluation scores classit keeps in it.

classit-train writes the card with the two markers ``<!-- classit-scores:start -->`` / ``<!-- classit-scores:end
-->``; ``classit-eval run --update_model_card`` puts its score table between them, with the rows it knows kept as
JSON in an HTML comment (``<!-- classit-scores-data: {...} -->``) so the block can be re-rendered without parsing
Markdown. A card without the markers gets an "Evaluation" section appended.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from classit_tasks.artifacts.atomic import write_files

CARD = "README.md"
START, END = "<!-- classit-scores:start -->", "<!-- classit-scores:end -->"
_DATA = re.compile(r"<!-- classit-scores-data: (.*?) -->", re.S)


def card_path(folder: Path) -> Path:
    return Path(folder) / CARD


def read_card(folder: Path) -> str:
    """The card's text (a minimal ``# <folder name>`` card when there is none)."""
    path = card_path(folder)
    return path.read_text(encoding="utf-8") if path.is_file() else f"# {Path(folder).name}\n"


def stored_scores(card: str) -> dict:
    """The data of the card's scores block ({} when there is none or it is not valid JSON)."""
    match = _DATA.search(card)
    if match:
        try:
            return json.loads(match.group(1))
        except json.JSONDecodeError:
            return {}
    return {}


def scores_block(data: dict, lines: list[str]) -> str:
    """The block between the markers: the data comment, then ``lines`` (the Markdown shown)."""
    return "\n".join([START, f"<!-- classit-scores-data: {json.dumps(data, sort_keys=True)} -->", *lines, END])


def with_scores_block(card: str, block: str) -> str:
    """The card with its scores block replaced by ``block`` (appended under "## Evaluation" when it has none)."""
    if START in card and END in card:
        head, rest = card.split(START, 1)
        return head + block + rest.split(END, 1)[1]
    return card.rstrip("\n") + "\n\n## Evaluation\n\n" + block + "\n"


def write_card(folder: Path, card: str) -> Path:
    """Replace the card atomically; returns its path."""
    path = card_path(folder)
    write_files([(path, [card])])
    return path
