"""Switchboard -> conversational prompt/reply pairs.

Two input formats:
  * ``babylm``: BabyLM's ``switchboard.train`` -- one utterance per line, ``A:\\t<text>`` / ``B:\\t<text>``,
    conversations concatenated without boundaries (so the whole file is one stream of turns);
  * ``swda``: the Switchboard Dialog Act Corpus as JSONL(.gz), one conversation per line:
    ``{"conv_id": ..., "utterances": [{"speaker": "A", "text": ..., "act": ...}, ...]}``.

Consecutive utterances of the same speaker are merged into one turn; a pair is (turn, the other speaker's next
turn). Options (all documented in docs/training.md):
  * ``context_turns``: how many preceding turns to put before the prompt turn (joined by newlines);
  * ``backchannels``: ``drop`` (default) drops pairs whose reply is backchannel-only ("uh-huh", "yeah");
    ``absorb`` deletes backchannel-only turns before pairing, so the interrupted speaker's turns merge;
    ``keep`` treats them like any other turn;
  * ``disfluencies``: ``keep`` (default) leaves the transcript as is; ``strip`` removes filled pauses
    (uh, um, er, ah, ...) and any residual SwDA markup ({F ...}, [ + ], <laughter>, --, #, /).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Literal

from ...errors import DataError
from ...files import read_lines
from ..records import Record

logger = logging.getLogger(__name__)

BACKCHANNEL_WORDS = frozenset(
    "uh-huh um-hum mm-hmm mhm uh-hum hm hmm huh yeah yes yep yup right okay ok oh sure really wow "
    "exactly true gosh uh um".split()
)
BACKCHANNEL_ACTS = frozenset({"b", "bh"})  # SWBD-DAMSL: acknowledge (backchannel), backchannel in question form

_BABYLM_LINE = re.compile(r"^([AB]):\t(.*\S.*)$")
_MARKUP = re.compile(r"\{[FDCEA]\s|[{}\[\]+/#]|<[^>]*>|--")
_FILLER = re.compile(r"(?<![\w'-])(?:uh|um|er|ah|eh|hm+|mm+)(?![\w'-])[,.]?", re.IGNORECASE)


@dataclass
class SwitchboardOptions:
    paths: list[str]
    format: Literal["auto", "babylm", "swda"] = "auto"
    context_turns: int = 0
    backchannels: Literal["drop", "absorb", "keep"] = "drop"
    disfluencies: Literal["keep", "strip"] = "keep"
    use_dialog_acts: bool = True
    min_reply_words: int = 1
    max_records: int | None = None
    on_error: Literal["raise", "skip"] = "raise"
    resolved_paths: list[Path] = field(default_factory=list, repr=False)


@dataclass
class _Turn:
    speaker: str
    text: str
    backchannel: bool
    origin: str


def strip_disfluencies(text: str) -> str:
    """Remove filled pauses and residual SwDA markup; tidy the punctuation left behind."""
    text = _MARKUP.sub(" ", text)
    text = _FILLER.sub(" ", text)
    text = re.sub(r"\s+([,.?!])", r"\1", text)
    text = re.sub(r"([,.?!])(?:\s*,)+", r"\1", text)
    text = re.sub(r"\s+", " ", text).strip()
    return text.lstrip(",. ").strip()


def is_backchannel_text(text: str) -> bool:
    """True when every word of a (short) turn is a backchannel word."""
    words = [w.strip(",.?!\"'").lower() for w in text.split()]
    words = [w for w in words if w]
    return 0 < len(words) <= 4 and all(w in BACKCHANNEL_WORDS for w in words)


def _detect_format(path: Path, fmt: str) -> str:
    if fmt != "auto":
        return fmt
    name = path.name.lower()
    return "swda" if name.endswith((".jsonl", ".jsonl.gz", ".json.gz")) else "babylm"


def _babylm_conversations(path: Path, opts: SwitchboardOptions) -> Iterator[list[tuple[str, str, bool, str]]]:
    """The whole file is one conversation stream: yield a single list of (speaker, text, is_bc, origin)."""
    utterances = []
    for lineno, line in read_lines(path):
        if not line.strip():
            continue
        match = _BABYLM_LINE.match(line)
        if not match:
            err = DataError(f"{path}:{lineno}", f"expected 'A:<TAB>utterance' or 'B:<TAB>utterance', got {line[:60]!r}")
            if opts.on_error == "raise":
                raise err
            logger.warning("skipping bad line: %s", err)
            continue
        speaker, text = match.group(1), match.group(2).strip()
        utterances.append((speaker, text, is_backchannel_text(text), f"{path}:{lineno}"))
    yield utterances


def _swda_conversations(path: Path, opts: SwitchboardOptions) -> Iterator[list[tuple[str, str, bool, str]]]:
    for lineno, line in read_lines(path):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            conv = json.loads(line)
            utts = conv["utterances"]
            if not isinstance(utts, list):
                raise TypeError("field 'utterances' is not a list")
            utterances = []
            for i, utt in enumerate(utts):
                speaker, text = utt["speaker"], utt["text"]
                if speaker not in ("A", "B") or not isinstance(text, str):
                    raise ValueError(f"utterance {i}: speaker must be 'A' or 'B' and text a string")
                act = str(utt.get("act", ""))
                bc = act in BACKCHANNEL_ACTS if (opts.use_dialog_acts and act) else is_backchannel_text(text)
                utterances.append((speaker, text.strip(), bc, f"{where} utterance {i}"))
        except json.JSONDecodeError as exc:
            err = DataError(where, f"invalid JSON ({exc.msg} at column {exc.colno})")
        except KeyError as exc:
            err = DataError(where, f"missing field {exc.args[0]!r}")
        except (TypeError, ValueError) as exc:
            err = DataError(where, str(exc))
        else:
            yield utterances
            continue
        if opts.on_error == "raise":
            raise err
        logger.warning("skipping bad line: %s", err)


def _turns(utterances: list[tuple[str, str, bool, str]], opts: SwitchboardOptions) -> list[_Turn]:
    """Merge consecutive same-speaker utterances into turns, applying the disfluency/backchannel options."""
    turns: list[_Turn] = []
    for speaker, text, backchannel, origin in utterances:
        if opts.disfluencies == "strip":
            text = strip_disfluencies(text)
            if not text:
                continue
        if opts.backchannels == "absorb" and backchannel:
            continue
        if turns and turns[-1].speaker == speaker:
            last = turns[-1]
            last.text = f"{last.text} {text}"
            last.backchannel = last.backchannel and backchannel
        else:
            turns.append(_Turn(speaker, text, backchannel, origin))
    return turns


def iter_switchboard(opts: SwitchboardOptions, name: str = "switchboard") -> Iterator[Record]:
    """Yield prompt/reply records from every configured Switchboard file."""
    count = 0
    for path in opts.resolved_paths:
        fmt = _detect_format(path, opts.format)
        conversations = _swda_conversations(path, opts) if fmt == "swda" else _babylm_conversations(path, opts)
        for utterances in conversations:
            turns = _turns(utterances, opts)
            for i in range(len(turns) - 1):
                prompt_turn, reply_turn = turns[i], turns[i + 1]
                if opts.backchannels == "drop" and reply_turn.backchannel:
                    continue
                if len(reply_turn.text.split()) < opts.min_reply_words:
                    continue
                context = [t.text for t in turns[max(0, i - opts.context_turns) : i]]
                prompt = "\n".join(context + [prompt_turn.text])
                yield Record(prompt=prompt, reply=reply_turn.text, source=name, origin=reply_turn.origin)
                count += 1
                if opts.max_records is not None and count >= opts.max_records:
                    return
