"""Simple English Wikipedia -> lecture-style ("lecture-aligned") question/answer pairs.

Articles are split on BabyLM's title markers ``= = = Title = = =`` (text before the first marker belongs to an
article whose title was cut off by the sampler and is dropped). Each article's text is cut into paragraphs of
``paragraph_sentences`` sentences (the sample files lost their line breaks). The first paragraph answers a question
from one of the opening template families -- ``definition`` ("What is X?"), ``explanation`` ("Can you explain
what X is?"), ``tell_me_about`` ("Tell me about X.") -- and each later paragraph answers a ``follow_up`` question
("What else can you tell me about X?"), optionally after the previous paragraph as context. With a question
generator (any Hugging Face generation model, see :mod:`classit_train.data.sources.question_generator`), the
``generated`` family asks the model to write the question for the paragraph.
"""

from __future__ import annotations

import random
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Literal

from ...errors import DataError
from ...files import read_lines
from ..records import Record

TITLE_MARKER = re.compile(r"= = = (.+?) = = =")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_PERSON = re.compile(r"\(.*?\d{3,4}.*?\)")  # "(19 August 1943 – 24 November 2018)": dates right after the title

TEMPLATES: dict[str, list[str]] = {
    "definition": ["What is {title}?", "What does {title} refer to?", "Define {title}."],
    "definition_person": ["Who is {title}?", "Who was {title}?"],
    "explanation": ["Can you explain what {title} is?", "Explain {title} to me.", "Could you describe {title}?"],
    "tell_me_about": ["Tell me about {title}.", "What can you tell me about {title}?", "I'd like to learn about {title}."],
    "follow_up": ["What else can you tell me about {title}?", "Tell me more about {title}.", "Can you go on about {title}?"],
}
OPENING_FAMILIES = ("definition", "explanation", "tell_me_about", "generated")


@dataclass
class SimpleWikiOptions:
    paths: list[str]
    templates: list[str] = field(default_factory=lambda: ["definition", "explanation", "tell_me_about", "follow_up"])
    paragraph_sentences: int = 3
    max_paragraphs_per_article: int = 4
    min_paragraph_words: int = 5
    follow_up_context: bool = True
    question_generator: dict[str, Any] | None = None
    seed: int = 0
    max_records: int | None = None
    on_error: Literal["raise", "skip"] = "raise"
    resolved_paths: list[Path] = field(default_factory=list, repr=False)


def split_articles(text: str) -> list[tuple[str, str]]:
    """``[(title, body), ...]`` for every titled article in ``text``."""
    parts = TITLE_MARKER.split(text)
    # parts = [prefix, title1, body1, title2, body2, ...]; the untitled prefix is dropped.
    return [(parts[i].strip(), parts[i + 1].strip()) for i in range(1, len(parts) - 1, 2)]


def split_paragraphs(body: str, sentences_per_paragraph: int) -> list[str]:
    sentences = [s.strip() for s in _SENTENCE_END.split(body) if s.strip()]
    return [" ".join(sentences[i : i + sentences_per_paragraph]) for i in range(0, len(sentences), sentences_per_paragraph)]


def _is_biography(title: str, paragraph: str) -> bool:
    """Biographies open with "<Title> (<life dates>) ..."."""
    return paragraph.startswith(title) and bool(_PERSON.match(paragraph[len(title):].lstrip()))


def _question(family: str, title: str, paragraph: str, rng: random.Random) -> str:
    if family == "definition" and _is_biography(title, paragraph):
        family = "definition_person"
    return rng.choice(TEMPLATES[family]).format(title=title)


def iter_simple_wiki(opts: SimpleWikiOptions, name: str = "simple_wiki", generator=None) -> Iterator[Record]:
    """Yield lecture-style question/answer records; ``generator`` is a QuestionGenerator or None."""
    openings = [f for f in opts.templates if f in OPENING_FAMILIES and f != "generated"]
    if generator is not None:
        openings.append("generated")
    use_follow_up = "follow_up" in opts.templates
    count = 0
    for path in opts.resolved_paths:
        found_marker = False
        for lineno, line in read_lines(path):
            articles = split_articles(line)
            found_marker = found_marker or bool(articles)
            for title, body in articles:
                origin = f"{path}:{lineno} article {title!r}"
                if not title:
                    raise DataError(f"{path}:{lineno}", "empty article title between '= = =' markers")
                # A per-article random stream keeps the template choice stable when files are reordered.
                rng = random.Random(zlib.crc32(f"{opts.seed}:{title}".encode()))
                paragraphs = [p for p in split_paragraphs(body, opts.paragraph_sentences)
                              if len(p.split()) >= opts.min_paragraph_words][: opts.max_paragraphs_per_article]
                for k, paragraph in enumerate(paragraphs):
                    if k == 0:
                        if not openings:
                            continue
                        family = rng.choice(openings)
                        prompt = None
                        if family == "generated":
                            prompt = generator(title, paragraph)
                            family = "tell_me_about" if not prompt else family
                        prompt = prompt or _question(family, title, paragraph, rng)
                    else:
                        if not use_follow_up:
                            break
                        question = _question("follow_up", title, paragraph, rng)
                        prompt = f"{paragraphs[k - 1]}\n\n{question}" if opts.follow_up_context else question
                    yield Record(prompt=prompt, reply=paragraph, source=name, origin=origin)
                    count += 1
                    if opts.max_records is not None and count >= opts.max_records:
                        return
        if not found_marker:
            err = DataError(str(path), "no article title markers '= = = Title = = =' found (is this a Simple Wikipedia .train file?)")
            if opts.on_error == "raise":
                raise err
