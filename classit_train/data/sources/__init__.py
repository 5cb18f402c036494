"""Sources turn raw corpora into :class:`~classit_train.data.records.Record` streams.

=============  ==============================================================================
type           input
=============  ==============================================================================
switchboard    BabyLM ``A:\\t...`` files or SwDA JSONL(.gz) -> conversational prompt/reply pairs
simple_wiki    BabyLM Simple Wikipedia -> lecture-style question/answer pairs
prompt_reply   JSONL files, a local dataset folder, or a hub dataset (e.g. colinglab/CLASS_IT)
plain_text     BabyLM ``.train`` text for pre-training
=============  ==============================================================================
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from ...errors import ConfigError
from ...files import expand_paths
from ...schema import from_dict
from ..example_ids import exclude_spec, excluded, read_id_file, with_ids
from ..records import Record
from .plain_text import PlainTextOptions, iter_plain_text
from .prompt_reply import PromptReplyOptions, iter_prompt_reply, load_hf_dataset
from .question_generator import HFQuestionGenerator, HFQuestionGeneratorConfig, QuestionGenerator
from .simple_wiki import SimpleWikiOptions, iter_simple_wiki
from .switchboard import SwitchboardOptions, iter_switchboard

SOURCE_TYPES: dict[str, tuple[type, Callable[..., Iterator[Record]]]] = {
    "switchboard": (SwitchboardOptions, iter_switchboard),
    "simple_wiki": (SimpleWikiOptions, iter_simple_wiki),
    "prompt_reply": (PromptReplyOptions, iter_prompt_reply),
    "plain_text": (PlainTextOptions, iter_plain_text),
}

COMMON_KEYS = ("type", "exclude_ids")  # accepted by every source type


def validate_source_spec(spec: dict[str, Any], where: str, resolve_paths: bool = False):
    """Check a source spec (``type`` plus the options of that type); returns the options dataclass."""
    if not isinstance(spec, dict) or "type" not in spec:
        raise ConfigError(f"{where}.type", f"required field is missing (one of: {', '.join(SOURCE_TYPES)})")
    kind = spec["type"]
    if kind not in SOURCE_TYPES:
        raise ConfigError(f"{where}.type", f"unknown source type {kind!r} (one of: {', '.join(SOURCE_TYPES)})")
    options_cls, _ = SOURCE_TYPES[kind]
    exclude_spec(spec, where)
    options = from_dict(options_cls, {k: v for k, v in spec.items() if k not in COMMON_KEYS}, where)
    if kind == "prompt_reply" and bool(options.paths) == bool(options.dataset):
        raise ConfigError(f"{where}.paths", "give either `paths` (JSONL files) or `dataset` (a hub name or folder), not both/neither")
    if kind != "prompt_reply" and not options.paths:
        raise ConfigError(f"{where}.paths", "at least one input file is required")
    if kind == "simple_wiki":
        for i, family in enumerate(options.templates):
            if family not in ("definition", "explanation", "tell_me_about", "follow_up"):
                raise ConfigError(f"{where}.templates[{i}]", f"unknown template family {family!r}")
        if options.question_generator is not None:
            from_dict(HFQuestionGeneratorConfig, options.question_generator, f"{where}.question_generator")
    for attr in ("max_records",):
        value = getattr(options, attr)
        if value is not None and value <= 0:
            raise ConfigError(f"{where}.{attr}", f"must be positive, got {value}")
    if resolve_paths and options.paths:
        options.resolved_paths = expand_paths(options.paths, f"{where}.paths")
    return options


def iter_source(spec: dict[str, Any], name: str, where: str | None = None,
                generator: QuestionGenerator | None = None) -> Iterator[Record]:
    """Validate ``spec``, resolve its files and yield its records."""
    options = validate_source_spec(spec, where or f"sources.{name}", resolve_paths=True)
    _, fn = SOURCE_TYPES[spec["type"]]
    if spec["type"] == "simple_wiki":
        if generator is None and options.question_generator is not None:
            generator = HFQuestionGenerator(from_dict(HFQuestionGeneratorConfig, options.question_generator))
        return fn(options, name, generator=generator)
    return fn(options, name)


def iter_source_with_ids(spec: dict[str, Any], name: str, where: str | None = None) -> Iterator[tuple[str, Record]]:
    """``(record_id, record)`` pairs of a source (see :mod:`classit_train.data.example_ids`), without its ``exclude_ids``."""
    where = where or f"sources.{name}"
    pairs = with_ids(iter_source(spec, name, where), name)
    paths = exclude_spec(spec, where)
    return excluded(pairs, read_id_file(paths, f"{where}.exclude_ids")) if paths else pairs


__all__ = [
    "SOURCE_TYPES", "iter_source", "iter_source_with_ids", "validate_source_spec", "load_hf_dataset", "QuestionGenerator",
    "HFQuestionGenerator", "HFQuestionGeneratorConfig", "SwitchboardOptions", "SimpleWikiOptions",
    "PromptReplyOptions", "PlainTextOptions",
]
