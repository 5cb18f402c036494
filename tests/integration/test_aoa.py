"""Age of Acquisition on the real data: the loader on the real cdi_childes.json, per-item surprisal against an
independent plain-torch implementation of the 2025 causal rule, a real tiny series end to end, and the kinds of
children's file (the Wordbank stand-in). The fits, the correlation and bad input on planted files are unit tests
(tests/unit/test_aoa_fits.py).

References are written from the 2025 rule (../shared/spec/babylm2025.md; babylm/evaluation-pipeline-2025
``AoA_word/evaluation_functions.py`` and ``utils.AoAEvaluator``), not from classit_tasks.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from classit_tasks.tasks import aoa
from classit_tasks.report import aoa as fit
from classit_tasks.report.errors import ReportInputError
from planted_aoa import CHILD_PARAMS, write_children
from zero_shot_helpers import EVAL_DATA, _plain_model, evaluate, tiny_checkpoint

CDI_CHILDES = EVAL_DATA / "full_eval" / "aoa" / "cdi_childes.json"
STANDIN = EVAL_DATA.parent / "sources" / "aoa" / "cdi_human_standin_chang2021.csv"


# ----------------------------------------------------------------------------------------------------------------
# Loader
# ----------------------------------------------------------------------------------------------------------------
def test_loader_on_the_real_file():
    docs = aoa.load_aoa(data_dir=EVAL_DATA)["test"]
    assert len(docs) == 8005
    words = list(dict.fromkeys(d["word"] for d in docs))
    assert len(words) == 504 - 19  # 19 words have no context and yield no rows
    assert docs[0]["word"] == "airplane" and docs[0]["context_id"] == 0
    assert docs[0]["context"].startswith("Not only does this freshen up")
    assert aoa.context_text(docs[0]).endswith(" paint an ") and aoa.target_word(docs[0]) == "airplane"
    assert "zebra" not in words and "penis" not in words
    # The min_context filter of the 2025 loader (eval_aoa.sh intends 20, run.py defaults to 0).
    docs20 = aoa.load_aoa(data_dir=EVAL_DATA, min_context=20)["test"]
    assert len(docs20) == 328 * 20


# ----------------------------------------------------------------------------------------------------------------
# Per-item surprisal: the 2025 causal rule in plain torch
# ----------------------------------------------------------------------------------------------------------------
def official_surprisal(kind: str, context: str, word: str) -> float:
    """``compute_surprisal_causal``: text = context.strip() + " " + word.strip() tokenized once (default special
    tokens); −Σ ln p over the tokens whose span ends after the word starts; token 0 never scored."""
    model, tokenizer = _plain_model(kind)
    word = word.strip()
    text = context.strip() + " " + word
    enc = tokenizer(text, return_offsets_mapping=True)
    ids, start = enc["input_ids"], len(text) - len(word)
    with torch.no_grad():
        logprobs = torch.log_softmax(model(torch.tensor([ids])).logits[0].double(), dim=-1)
    return -sum(float(logprobs[t - 1, ids[t]]) for t in range(1, len(ids)) if enc["offset_mapping"][t][1] > start)


def _samples(results) -> list[dict]:
    return results["samples"]["classit_aoa"]


LIMIT = 45  # airplane (20 contexts), animal (20), ankle (5): long and short contexts, multi-token words


@pytest.mark.parametrize("kind", ["nobos", "bos"])
def test_classit_hf_surprisal_is_the_2025_rule(kind, one_thread):
    results = evaluate(["classit_aoa"], kind, limit=LIMIT)
    samples = _samples(results)
    assert len(samples) == LIMIT
    got = [s["surprisal"] for s in samples]
    want = [official_surprisal(kind, s["doc"]["context"], s["doc"]["word"]) for s in samples]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=2e-4)
    _, tokenizer = _plain_model(kind)
    assert max(len(tokenizer(" " + s["doc"]["word"], add_special_tokens=False)["input_ids"]) for s in samples) > 1
    mean = results["results"]["classit_aoa"]["surprisal,none"]
    assert mean == pytest.approx(float(np.mean(want)), rel=1e-5)


@pytest.mark.parametrize("kind, model_args", [("nobos", {}), ("bos", {"add_bos_token": True})])
def test_stock_hf_model_gives_the_same_numbers_where_the_rule_allows(kind, model_args, one_thread):
    """lm-eval's --model hf: tokenizers that add nothing as is, BOS tokenizers with add_bos_token=True."""
    from lm_eval.api.registry import get_model

    lm = get_model("hf")(pretrained=str(tiny_checkpoint(kind)), device="cpu", batch_size=16, **model_args)
    samples = _samples(evaluate(["classit_aoa"], limit=20, lm=lm))
    got = [s["surprisal"] for s in samples]
    want = [official_surprisal(kind, s["doc"]["context"], s["doc"]["word"]) for s in samples]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=2e-4)


# ----------------------------------------------------------------------------------------------------------------
# A real tiny series end to end: train, save 3 checkpoints, evaluate with the task, fit
# ----------------------------------------------------------------------------------------------------------------
def train_series(root: Path, saves=(0, 12, 40)) -> list[tuple[Path, int]]:
    """A tiny Llama trained for a few steps on real child-directed text; (checkpoint, words seen) at ``saves``."""
    from tiny_models import build_model, build_tokenizer, corpus_lines

    tokenizer = build_tokenizer("bos", root / "tokenizer")
    model = build_model(tokenizer, root / "init", seed=0)
    lines = corpus_lines(1000)
    torch.manual_seed(0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    out, words = [], 0
    for step in range(max(saves) + 1):
        if step in saves:
            folder = root / f"chck_{step}K"
            model.save_pretrained(folder)
            tokenizer.save_pretrained(folder)
            out.append((folder, words))
        batch = lines[step * 16 : step * 16 + 16]
        words += sum(len(line.split()) for line in batch)
        enc = tokenizer(batch, return_tensors="pt", padding=True, truncation=True, max_length=48)
        labels = enc["input_ids"].masked_fill(enc["attention_mask"] == 0, -100)
        model(**enc, labels=labels).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    return out


def test_real_tiny_series_end_to_end(tmp_path, one_thread, capsys):
    from classit_tasks.cli import main

    sweep = tmp_path / "sweep"
    entries = []
    for folder, words in train_series(tmp_path / "run"):
        sha = hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()
        raw = tmp_path / "raw" / folder.name
        assert main(["run", "--model_args", f"pretrained={folder}", "--tasks", "classit_aoa", "--data_dir",
                     str(EVAL_DATA), "--limit", "60", "--output_path", str(raw), "--log_samples"]) == 0
        dest = sweep / "checkpoints" / sha[:16]
        dest.mkdir(parents=True)
        for f in raw.rglob("*.json*"):
            shutil.move(str(f), dest / f.name)
        entries.append({"key": sha[:16], "weights_sha256": sha, "path": str(folder), "name": folder.name,
                        "run": str(folder.parent), "branch": "tiny-pretrain", "stage": "pretrain", "parent": None,
                        "words_seen": words, "tokens_seen": None, "global_step": None,
                        "results_dir": f"checkpoints/{sha[:16]}", "tasks_complete": ["classit_aoa"],
                        "status": "complete", "error": None})
    (sweep / "sweep.json").write_text(json.dumps({"format": "classit-sweep/1", "tasks": ["classit_aoa"],
                                                  "checkpoints": entries}))
    capsys.readouterr()
    assert main(["aoa", str(sweep), "--data_dir", str(EVAL_DATA), "--output_path", str(tmp_path / "aoa")]) == 0
    captured = capsys.readouterr()
    assert fit.STANDIN_NOTE in captured.out and "using the Wordbank stand-in" in captured.err
    summary = json.loads((tmp_path / "aoa" / "aoa.json").read_text())
    assert (tmp_path / "aoa" / "aoa_tiny-pretrain.png").stat().st_size > 10_000
    assert summary["human"]["kind"] == "wordbank_standin" and summary["note"] == fit.STANDIN_NOTE
    series = summary["series"][0]
    assert [c["words"] for c in series["checkpoints"]] == [0.0, 12_000.0, 40_000.0]  # from the chck_{N}K names
    first = aoa.load_aoa(data_dir=EVAL_DATA)["test"][:60]  # --limit 60: the first 60 documents
    assert series["n_words"] == len({d["word"] for d in first}) and series["n_contexts"] == 60
    # The fit's inputs are the samples' surprisals: recompute the per-checkpoint means from the files.
    for k, entry in enumerate(entries):
        rows = [json.loads(line) for path in (sweep / entry["results_dir"]).glob("samples_*.jsonl")
                for line in path.read_text().splitlines()]
        airplane = [r["surprisal"] for r in rows if r["doc"]["word"] == "airplane"]
        assert series["words"]["airplane"]["mean_surprisal"][k] == pytest.approx(np.mean(airplane), rel=1e-9)
        assert series["mean_surprisal"][k] == pytest.approx(np.mean([r["surprisal"] for r in rows]), rel=1e-9)
    assert series["mean_surprisal"][-1] < series["mean_surprisal"][0]  # training lowers the words' surprisal


# ----------------------------------------------------------------------------------------------------------------
# Children's files: the Wordbank stand-in in ../shared/data and planted ones
# ----------------------------------------------------------------------------------------------------------------
def test_childrens_file_kinds(tmp_path):
    assert fit.read_human(STANDIN).kind == "wordbank_standin"
    official_layout = tmp_path / "data" / "full_eval" / "aoa"
    official_layout.mkdir(parents=True)
    copy = official_layout / "cdi_human.csv"
    copy.write_text(STANDIN.read_text().replace("0.22", "0.23", 1))  # a file that is neither
    notices: list[str] = []
    human = fit.find_human(None, tmp_path / "data", notices)
    assert human.path == copy and human.kind == "custom" and human.note == fit.CUSTOM_NOTE and not notices
    bad = write_children(tmp_path / "bad.csv", CHILD_PARAMS, extra_rows="dog,x," + ",".join(["0.5"] * 14) + ",lots\n")
    with pytest.raises(ReportInputError, match=r"bad.csv:7: column '30': 'lots' is not a number"):
        fit.read_human(bad)
    (tmp_path / "noword.csv").write_text("item,16,17\ndog,0.1,0.2\n")
    with pytest.raises(ReportInputError, match="missing column 'word'"):
        fit.read_human(tmp_path / "noword.csv")


