"""The `classit-train` sub-commands: tokenizer, data preview, data build (CLASS-IT JSONL layout, read back)."""

from __future__ import annotations

import json

from classit_train.cli import main
from classit_train.data.sources import iter_source

from train_helpers import SWITCHBOARD, tiny_config, write_config


def test_tokenizer_command(tmp_path, capsys):
    out = tmp_path / "tok"
    assert main(["tokenizer", "--input", str(SWITCHBOARD), "--vocab_size", "400", "--max_words", "20000",
                 "--no_bos", "--output_path", str(out)]) == 0
    assert "saved a 400-token tokenizer (without BOS)" in capsys.readouterr().out
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(out)
    assert tok.bos_token is None and tok.chat_template


def test_data_build_writes_class_it_rows_that_read_back(tmp_path, tokenizer_dir, capsys):
    config = write_config(tmp_path / "c.yaml", tiny_config(tmp_path / "out", tokenizer_dir))
    assert main(["data", "build", str(config), "--output_path", str(tmp_path / "pairs")]) == 0
    rows = [json.loads(line) for line in (tmp_path / "pairs" / "switchboard.jsonl").read_text().splitlines()]
    assert len(rows) == 160 and set(rows[0]) == {"prompt", "reply", "source", "text"}
    assert rows[0]["source"] == "switchboard"
    back = list(iter_source({"type": "prompt_reply", "paths": [str(tmp_path / "pairs" / "switchboard.jsonl")]}, "x"))
    original = list(iter_source({"type": "switchboard", "paths": [str(SWITCHBOARD)], "max_records": 160}, "switchboard"))
    assert [(r.prompt, r.reply) for r in back] == [(r.prompt, r.reply) for r in original]
    assert (tmp_path / "pairs" / "simple_wiki.jsonl").is_file()


def test_data_preview_marks_the_trained_span(tmp_path, tokenizer_dir, capsys):
    config = write_config(tmp_path / "c.yaml", tiny_config(tmp_path / "out", tokenizer_dir))
    assert main(["data", "preview", str(config), "--source", "switchboard", "-n", "1"]) == 0
    out = capsys.readouterr().out
    assert "=== source switchboard (switchboard) ===" in out
    assert "<|im_start|>assistant\n[[A lot different.<|im_end|>]]" in out


def test_demo_corpora_to_tokenizer_to_base_to_merged_and_sequential(tmp_path, capsys, one_thread):
    """`classit-train demo`: the three shipped tiny configs in a row, shrunk to a few steps."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from classit_train.checkpoints.state import read_state
    from train_helpers import SHARED

    assert main(["demo", "--data_dir", str(SHARED), "--output_path", str(tmp_path), "--max_records", "60",
                 "--set", "training.max_steps=2", "--set", "training.disable_tqdm=true",
                 "--set", "checkpoints={schedule: babylm, scale: 0.001}"]) == 0  # milestones every 1K words
    base = read_state(tmp_path / "tiny-pretrain" / "final")
    # milestone folders of the base, then the branches continue its words count from its stage-end folder
    base_milestones = sorted(p.name for p in (tmp_path / "tiny-pretrain").glob("chck_*K"))
    assert base_milestones and all(read_state(tmp_path / "tiny-pretrain" / n).branch == "tiny-pretrain"
                                   for n in base_milestones)
    for run in ("tiny-merged", "tiny-sequential"):
        end = read_state(tmp_path / run / "final")
        assert (end.branch, end.words_offset) == (run, base.words_seen)
        assert end.parent == str((tmp_path / "tiny-pretrain" / "01-pretrain").resolve())
        for folder in (tmp_path / run).glob("chck_*"):
            assert read_state(folder).milestone_words > base.words_seen
    assert (tmp_path / "tiny-pretrain" / "tokenizer" / "tokenizer.json").is_file()
    merged, sequential = tmp_path / "tiny-merged" / "final", tmp_path / "tiny-sequential" / "final"
    assert read_state(merged).stage == "merged"
    assert [read_state(tmp_path / "tiny-sequential" / d).stage for d in ("01-switchboard", "02-simple_wiki")] == [
        "switchboard", "simple_wiki"]
    assert read_state(sequential).words_seen > read_state(tmp_path / "tiny-sequential" / "01-switchboard").words_seen > base.words_seen
    for folder in (merged, sequential):
        AutoModelForCausalLM.from_pretrained(folder)
        assert AutoTokenizer.from_pretrained(folder).chat_template
