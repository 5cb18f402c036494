"""Each source's output on real corpus lines and its options. Errors on bad lines and the sources that need no
corpus are unit tests (tests/unit/train/test_train_sources_files.py)."""

from __future__ import annotations

import gzip
import json
from itertools import islice

from classit_train.data.sources import iter_source
from classit_train.data.sources.switchboard import is_backchannel_text, strip_disfluencies

from train_helpers import SWDA, SWITCHBOARD, WIKI_DEV


def records(spec, name="src", n=None, **kw):
    return list(islice(iter_source(spec, name, **kw), n))


# -- Switchboard (BabyLM format) ----------------------------------------------------------------------------------

def test_switchboard_babylm_merges_turns_and_pairs_with_other_speaker():
    recs = records({"type": "switchboard", "paths": [str(SWITCHBOARD)]}, "switchboard", n=3)
    # File lines 1-3 are A, line 4 is A, line 5 is B: "A lot different."
    assert recs[0].prompt == ("I'm sure they are. That's right, I'm sure that true. "
                              "It's a lot different than working in a kids preschool.")
    assert recs[0].reply == "A lot different."
    assert recs[0].origin.endswith("babylm_train_10M_switchboard.train:5")
    assert recs[1].prompt == "A lot different."
    assert recs[1].reply == "That's right. Well, you all have a nice day there."
    assert all(r.source == "switchboard" for r in recs)


def test_switchboard_backchannel_options():
    spec = {"type": "switchboard", "paths": [str(SWITCHBOARD)], "max_records": 3000}
    dropped = records({**spec, "backchannels": "drop"})
    kept = records({**spec, "backchannels": "keep"})
    absorbed = records({**spec, "backchannels": "absorb"})
    assert not any(is_backchannel_text(r.reply) for r in dropped)
    assert any(r.reply == "Uh-huh." for r in kept)
    assert not any(is_backchannel_text(r.reply) or is_backchannel_text(r.prompt) for r in absorbed)
    # absorbing removes the backchannel turn, so the interrupted speaker's turns merge into one longer turn
    def mean_words(recs):
        return sum(len(r.prompt.split()) for r in recs) / len(recs)

    assert mean_words(absorbed) > 1.2 * mean_words(dropped)


def test_switchboard_context_turns_and_disfluencies():
    ctx = records({"type": "switchboard", "paths": [str(SWITCHBOARD)], "context_turns": 2}, n=5)
    assert ctx[2].prompt.count("\n") == 2  # two context turns, then the prompt turn
    assert ctx[2].prompt.split("\n")[-1] == ctx[1].reply
    plain = records({"type": "switchboard", "paths": [str(SWITCHBOARD)], "max_records": 400})
    clean = records({"type": "switchboard", "paths": [str(SWITCHBOARD)], "max_records": 400, "disfluencies": "strip"})
    assert any(" uh" in r.prompt.lower() for r in plain)
    assert not any(w.strip(",.").lower() in ("uh", "um") for r in clean for w in (r.prompt + " " + r.reply).split())
    assert strip_disfluencies("{F Uh, } I [ think, + think ] we -- <laughter> agree.") == "I think, think we agree."


# -- Switchboard (SwDA JSONL) -------------------------------------------------------------------------------------

def test_switchboard_swda_uses_dialog_acts_for_backchannels():
    with gzip.open(SWDA, "rt", encoding="utf-8") as handle:
        first = json.loads(handle.readline())
    recs = records({"type": "switchboard", "paths": [str(SWDA)], "max_records": 50})
    assert recs[0].prompt == first["utterances"][0]["text"] + " " + first["utterances"][1]["text"]
    assert recs[0].reply.startswith("Well, of course, it's, you know")
    assert "swda_dialogues.jsonl.gz:1 utterance 2" in recs[0].origin
    assert len(recs) == 50


# -- Simple Wikipedia -----------------------------------------------------------------------------------------------

def test_simple_wiki_lecture_pairs_on_real_articles():
    recs = records({"type": "simple_wiki", "paths": [str(WIKI_DEV)], "max_records": 400})
    first = recs[0]
    assert "Reigoldswil" in first.prompt and first.prompt.endswith(("?", "."))
    assert first.reply == ("Reigoldswil is a municipality of the district of Waldenburg in the canton of "
                           "Basel-Landschaft in Switzerland.")
    follow_ups = [r for r in recs if "\n\n" in r.prompt]
    assert follow_ups, "later paragraphs become follow-up questions"
    # a follow-up carries the previous paragraph as context, then the question
    f = follow_ups[0]
    context, question = f.prompt.split("\n\n")
    assert any(r.reply == context for r in recs)
    families = {r.prompt.split()[0] for r in recs if "\n" not in r.prompt}
    assert len(families) >= 3  # several template families in use


def test_simple_wiki_options_and_generator():
    only_def = records({"type": "simple_wiki", "paths": [str(WIKI_DEV)], "templates": ["definition"],
                        "max_records": 50})
    assert all(r.prompt.startswith(("What is", "What does", "Define", "Who is", "Who was")) for r in only_def)
    assert any(r.prompt.startswith("Who") for r in records(
        {"type": "simple_wiki", "paths": [str(WIKI_DEV)], "templates": ["definition"], "max_records": 200}))

    calls = []

    def generator(title, paragraph):
        calls.append(title)
        return f"Which place is {title}?"

    generated = records({"type": "simple_wiki", "paths": [str(WIKI_DEV)], "templates": ["follow_up"],
                         "max_records": 20}, generator=generator)
    assert calls and generated[0].prompt == f"Which place is {calls[0]}?"
