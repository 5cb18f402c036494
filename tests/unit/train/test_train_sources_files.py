"""Each source's errors on bad lines and the sources that need no corpus (prompt/reply files and datasets), on files
the test writes. Each source's output on the real corpus lines is in tests/integration/train/test_train_sources.py."""

from __future__ import annotations

import gzip
import json
from itertools import islice

import pytest

from classit_train import DataError
from classit_train.data.sources import iter_source, load_hf_dataset
from classit_train.data.sources.simple_wiki import split_articles


def records(spec, name="src", n=None, **kw):
    return list(islice(iter_source(spec, name, **kw), n))


# -- Switchboard (BabyLM format) ---------------------------------------------------------------------------------------

def test_switchboard_bad_line_names_file_and_line(tmp_path):
    bad = tmp_path / "sw.train"
    bad.write_text("A:\tHello there.\nB:\tHi.\nC:\tWho am I?\nA:\tBye.\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"sw\.train:3: expected 'A:<TAB>utterance'"):
        records({"type": "switchboard", "paths": [str(bad)]})
    skipped = records({"type": "switchboard", "paths": [str(bad)], "on_error": "skip"})
    assert [(r.prompt, r.reply) for r in skipped] == [("Hello there.", "Hi."), ("Hi.", "Bye.")]


# -- Switchboard (SwDA JSONL) ------------------------------------------------------------------------------------------

def test_switchboard_swda_dialog_acts_decide_backchannels(tmp_path):
    conv = {"conv_id": "9", "utterances": [
        {"speaker": "A", "text": "I went to the lake.", "act": "sd"}, {"speaker": "B", "text": "Uh-huh.", "act": "b"},
        {"speaker": "A", "text": "Did you ever go?", "act": "qy"}, {"speaker": "B", "text": "Yeah.", "act": "ny"}]}
    path = tmp_path / "conv.jsonl"
    path.write_text(json.dumps(conv) + "\n", encoding="utf-8")
    with_acts = records({"type": "switchboard", "paths": [str(path)]})
    assert [(r.prompt, r.reply) for r in with_acts] == [("Uh-huh.", "Did you ever go?"), ("Did you ever go?", "Yeah.")]
    words_only = records({"type": "switchboard", "paths": [str(path)], "use_dialog_acts": False})
    assert [r.reply for r in words_only] == ["Did you ever go?"]  # "Yeah." is backchannel-like by its words


def test_switchboard_swda_bad_json_line(tmp_path):
    bad = tmp_path / "swda.jsonl"
    good = {"conv_id": "1", "utterances": [{"speaker": "A", "text": "Hi.", "act": "fp"},
                                           {"speaker": "B", "text": "Hello.", "act": "fp"}]}
    bad.write_text(json.dumps(good) + "\n" + json.dumps({"conv_id": "2"}) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"swda\.jsonl:2: missing field 'utterances'"):
        records({"type": "switchboard", "paths": [str(bad)]})


# -- Simple Wikipedia --------------------------------------------------------------------------------------------------

def test_simple_wiki_file_without_markers(tmp_path):
    bad = tmp_path / "wiki.train"
    bad.write_text("just some text without any title marker.\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"wiki\.train: no article title markers"):
        records({"type": "simple_wiki", "paths": [str(bad)]})
    assert split_articles("tail of a cut article. = = = A = = = Body a. = = = B = = = Body b.") == [
        ("A", "Body a."), ("B", "Body b.")]


# -- prompt/reply datasets ---------------------------------------------------------------------------------------------

def _class_it_rows(n=6):
    return [{"prompt": f"Question {i}?", "reply": f"Answer {i}.", "source": "switchboard", "text": f"Q{i} A{i}"}
            for i in range(n)]


def test_prompt_reply_jsonl_and_errors(tmp_path):
    path = tmp_path / "pairs.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in _class_it_rows(3)) + "\n", encoding="utf-8")
    recs = records({"type": "prompt_reply", "paths": [str(path)]})
    assert [(r.prompt, r.reply) for r in recs] == [("Question 0?", "Answer 0."), ("Question 1?", "Answer 1."),
                                                    ("Question 2?", "Answer 2.")]
    path.write_text(json.dumps(_class_it_rows(1)[0]) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"pairs\.jsonl:2: invalid JSON"):
        records({"type": "prompt_reply", "paths": [str(path)]})
    path.write_text(json.dumps({"prompt": "x"}) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"pairs\.jsonl:1: missing field 'reply'"):
        records({"type": "prompt_reply", "paths": [str(path)]})


def test_prompt_reply_hf_dataset_by_name_and_config(tmp_path):
    """The hub code path (load_dataset(name, config)) on a local dataset repo laid out like colinglab/CLASS_IT."""
    repo = tmp_path / "CLASS_IT"
    for config in ("simple_wiki", "switchboard"):
        (repo / config).mkdir(parents=True)
        rows = [dict(r, source=config) for r in _class_it_rows(4)]
        (repo / config / "train.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    (repo / "README.md").write_text(
        "---\nconfigs:\n- config_name: simple_wiki\n  data_files:\n  - split: train\n    path: simple_wiki/train.jsonl\n"
        "- config_name: switchboard\n  data_files:\n  - split: train\n    path: switchboard/train.jsonl\n---\n",
        encoding="utf-8")
    recs = records({"type": "prompt_reply", "dataset": str(repo), "dataset_config": "switchboard"})
    assert len(recs) == 4 and recs[0].source == "switchboard" and recs[0].reply == "Answer 0."
    assert recs[1].origin.endswith("[switchboard] row 1")

    import datasets

    saved = tmp_path / "saved"
    datasets.Dataset.from_list(_class_it_rows(2)).save_to_disk(str(saved))
    assert [r.reply for r in records({"type": "prompt_reply", "dataset": str(saved)})] == ["Answer 0.", "Answer 1."]


def test_hub_failure_is_one_clear_line():
    with pytest.raises(DataError) as info:
        load_hf_dataset("colinglab/CLASS_IT", "switchboard", "train")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("dataset 'colinglab/CLASS_IT' config 'switchboard' split 'train': could not be loaded")
    assert "hub" in message


# -- plain text --------------------------------------------------------------------------------------------------------

def test_plain_text_cuts_long_lines(tmp_path):
    path = tmp_path / "long.train.gz"  # a gzipped BabyLM-style file whose first line has 600 words
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(" ".join(f"w{i}" for i in range(600)) + "\nshort line\n")
    recs = records({"type": "plain_text", "paths": [str(path)], "words_per_record": 100}, n=5)
    assert all(len(r.text.split()) == 100 for r in recs)
    assert all(r.origin.endswith(".train.gz:1") for r in recs)
    assert recs[0].num_words == 100 and not recs[0].is_chat
