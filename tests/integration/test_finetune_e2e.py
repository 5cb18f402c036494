"""End-to-end tests of ``classit-eval finetune`` with a tiny model built here (no Hub access).

The tiny checkpoint: a byte-level BPE trained on a few hundred sentences of BabyLM Simple Wikipedia, wrapped in
PreTrainedTokenizerFast with a Llama-style template (``<s> A <s> B``: BOS in front, so token 0 is the same for
every input), and a randomly initialised 2-layer, width-64 LlamaForCausalLM.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
EVAL_DATA = (SHARED / "babylm_eval_2025").resolve()
WIKI = SHARED / "corpora" / "simple_wiki" / "babylm_simple_wiki_dev_sample100k.train.gz"

needs_data = pytest.mark.skipif(not EVAL_DATA.is_dir(), reason="shared evaluation data not available")


def wiki_sentences(n: int = 600) -> list[str]:
    with gzip.open(WIKI, "rt", encoding="utf-8") as handle:
        text = handle.read(400_000)
    text = re.sub(r"= = = [^=]+ = = =", " ", text)
    sentences = [s.strip() + "." for s in re.split(r"\.\s+", text) if 20 < len(s.strip()) < 200]
    return sentences[:n]


def build_tiny_checkpoint(out_dir: Path, vocab_size: int = 400, seed: int = 0) -> Path:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<s>", "</s>", "<pad>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(wiki_sentences(), trainer=trainer)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", 0)]
    )
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>")
    hf.model_max_length = 512
    torch.manual_seed(seed)
    model = LlamaForCausalLM(LlamaConfig(
        vocab_size=len(hf), hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=2,
        num_key_value_heads=2, max_position_embeddings=512, bos_token_id=0, eos_token_id=1, pad_token_id=2,
        tie_word_embeddings=False,
    ))
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    hf.save_pretrained(out_dir)
    return out_dir


@pytest.fixture(scope="module")
def tiny_ckpt(tmp_path_factory) -> Path:
    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny") / "ckpt")


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Two intra-op threads on two shared, busy cores are ~20x slower than one for a width-64 model."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# --------------------------------------------------------------------------------------------------------------
# A trivially learnable pair task built here: is the word in text_b a colour or an animal?
# --------------------------------------------------------------------------------------------------------------
COLOURS = ["red", "blue", "green", "black", "white", "yellow", "brown", "orange"]
ANIMALS = ["dog", "cat", "horse", "bird", "fish", "cow", "sheep", "mouse"]


def toy_task():
    from classit_tasks.finetune.tasks import GlueTask

    return GlueTask(name="toy", fields={"a": str, "b": str, "label": int}, text_a="{a}", text_b="{b}",
                    labels=("animal", "colour"), metric="acc", batch_size=16, epochs=3, zeroshot_prompt="",
                    zeroshot_choices=())


def toy_records(sentences: list[str], seed: int) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for sentence in sentences:
        sentence = " ".join(sentence.split()[:10])
        label = rng.randint(0, 1)
        out.append({"a": sentence, "b": rng.choice(COLOURS if label else ANIMALS), "label": label})
    return out


def run_toy(ckpt: Path, cfg, select: bool):
    from classit_tasks.finetune.train import make_accelerator
    from classit_tasks.finetune.model import ensure_pad_token, load_tokenizer
    from classit_tasks.finetune.train import TaskData, finetune_seed, heldout_split

    sentences = wiki_sentences(600)
    train, report = toy_records(sentences[:200], 1), toy_records(sentences[200:400], 2)
    task = toy_task()
    held = None
    if select:
        train, held = heldout_split(task, train, 0.1, 0)
    data = TaskData(task=task, train=train, select=held, report=report, report_original_size=len(report))
    tokenizer = load_tokenizer(str(ckpt), cfg.padding_side)
    ensure_pad_token(tokenizer)
    return data, finetune_seed(data, str(ckpt), tokenizer, {}, cfg, 42, make_accelerator("cpu"))


def test_tiny_model_learns_a_pair_task_with_last_pooling(tiny_ckpt):
    from classit_tasks.finetune.config import FinetuneConfig

    cfg = FinetuneConfig(learning_rate=3e-3, epochs=3, batch_size=16)  # lr for a random tiny model
    data, result = run_toy(tiny_ckpt, cfg, select=True)
    labels = np.array([r["label"] for r in data.report])
    majority = max(labels.mean(), 1 - labels.mean())
    assert len(data.report) == len(result.preds) == 200
    assert result.scores["acc"] >= 0.9 > majority + 0.3, (result.scores, majority)
    assert result.selection_examples == len(data.select) and len(result.selection_scores) == 3


def test_parity_mode_pools_token_0_and_selects_on_the_reported_file(tiny_ckpt):
    """--parity: with a BOS-adding tokenizer and right padding, token 0 is <s> for every input, so the
    classifier sees a constant and predicts one class; the epoch is chosen on the reported file itself."""
    from classit_tasks.finetune.config import FinetuneConfig

    cfg = FinetuneConfig.babylm2025(learning_rate=3e-3, epochs=3, batch_size=16)
    data, result = run_toy(tiny_ckpt, cfg, select=False)
    labels = np.array([r["label"] for r in data.report])
    assert len(set(result.preds.tolist())) == 1  # constant prediction
    assert result.scores["acc"] == pytest.approx(max(labels.mean(), 1 - labels.mean())) or \
        result.scores["acc"] == pytest.approx(min(labels.mean(), 1 - labels.mean()))
    # selection on the reported file: the reported accuracy is the best epoch's accuracy on that same file
    assert result.selection_examples == len(data.report)
    assert result.scores["acc"] == pytest.approx(max(result.selection_scores))
    assert result.best_epoch == 1 + int(np.argmax(result.selection_scores))


def test_same_seed_gives_the_same_run(tiny_ckpt):
    from classit_tasks.finetune.config import FinetuneConfig

    cfg = FinetuneConfig(learning_rate=3e-3, epochs=1, batch_size=16, select_on="last_epoch")
    _, first = run_toy(tiny_ckpt, cfg, select=False)
    _, again = run_toy(tiny_ckpt, cfg, select=False)
    assert first.preds.tolist() == again.preds.tolist() and first.scores == again.scores


# --------------------------------------------------------------------------------------------------------------
# The CLI end to end on the real RTE and WSC files (and BoolQ, whose train split this repository lacks)
# --------------------------------------------------------------------------------------------------------------
TOP_KEYS = {"results", "groups", "group_subtasks", "configs", "versions", "n-shot", "higher_is_better", "n-samples",
            "config", "date", "model_name", "model_name_sanitized", "task_hashes", "not_evaluated", "finetune"}


@needs_data
def test_cli_rte_and_wsc_end_to_end_with_a_missing_split(tiny_ckpt, tmp_path, capsys):
    from classit_tasks.finetune.cli import main
    from classit_tasks.artifacts.results import sanitize_model_name

    out = tmp_path / "out"
    rc = main(["--model_args", f"pretrained={tiny_ckpt},dtype=float32", "--tasks", "rte,wsc,boolq", "--limit", "48",
               "--num_epochs", "1", "--batch_size", "16", "--device", "cpu", "--output_path", str(out),
               "--data_dir", str(EVAL_DATA), "--verbosity", "WARNING", "--save_model"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert re.search(r"classit-eval finetune: error: classit_glue_boolq not evaluated: \S*glue_filtered/"
                     r"boolq\.train\.jsonl: file not found", captured.err)

    folder = out / sanitize_model_name(str(tiny_ckpt))
    assert folder.name == re.sub(r'["<>:/|\\?*\[\]]+', "__", str(tiny_ckpt))
    (results_file,) = folder.glob("results_*.json")
    stamp = results_file.stem.removeprefix("results_")
    res = json.loads(results_file.read_text())
    assert TOP_KEYS <= set(res)
    assert res["not_evaluated"].keys() == {"classit_glue_boolq"}
    assert "boolq.train.jsonl: file not found" in res["not_evaluated"]["classit_glue_boolq"]
    assert res["group_subtasks"] == {"classit_glue": ["classit_glue_rte", "classit_glue_wsc"]}
    for name, n_valid in (("classit_glue_rte", 139), ("classit_glue_wsc", 52)):
        r = res["results"][name]
        assert {"alias", "acc,none", "acc_stderr,none", "f1,none", "f1_stderr,none", "mcc,none",
                "score,none"} <= set(r)
        assert 0.0 <= r["acc,none"] <= 1.0 and r["score,none"] == r["acc,none"]
        assert res["n-samples"][name] == {"original": n_valid, "effective": 48}
        assert res["configs"][name]["task"] == name and res["versions"][name] == 1.0
        assert res["higher_is_better"][name]["acc"] is True
        per_seed = res["finetune"][name]["per_seed"]
        assert [p["seed"] for p in per_seed] == [42] and per_seed[0]["selection_examples"] in (4, 5, 6)

        samples = [json.loads(line) for line in (folder / f"samples_{name}_{stamp}.jsonl").open()]
        assert [s["doc_id"] for s in samples] == list(range(48))
        first = samples[0]
        assert {"doc_id", "doc", "target", "arguments", "resps", "filtered_resps", "filter", "metrics", "doc_hash",
                "prompt_hash", "target_hash", "acc", "pred"} <= set(first)
        assert first["acc"] in (0.0, 1.0) and first["acc"] == float(first["pred"] == int(first["target"]))
        assert np.mean([s["acc"] for s in samples]) == pytest.approx(r["acc,none"])
    group = res["results"]["classit_glue"]
    assert group["score,none"] == pytest.approx(np.mean([res["results"][t]["acc,none"]
                                                         for t in ("classit_glue_rte", "classit_glue_wsc")]))
    wsc_doc = json.loads((folder / f"samples_classit_glue_wsc_{stamp}.jsonl").open().readline())
    assert wsc_doc["arguments"]["gen_args_0"]["arg_0"] == 'Does "he" refer to "Joe" in this passage?'
    saved = folder / "finetuned" / "wsc" / "seed42"
    assert {"config.json", "tokenizer.json", "classification_head.pt", "classification_head.json"} <= {
        p.name for p in saved.iterdir()}
    # lm-eval's own table printer reads the file
    from lm_eval.utils import make_table

    assert "classit_glue_wsc" in make_table(res)


@needs_data
def test_cli_errors_are_one_line_exit_2_and_write_nothing(tiny_ckpt, tmp_path, capsys):
    from classit_tasks.finetune.cli import main

    out = tmp_path / "out"
    base = ["--device", "cpu", "--output_path", str(out), "--data_dir", str(EVAL_DATA)]
    cases = [
        (["--model_args", f"pretrained={tiny_ckpt}", "--tasks", "boolq,multirc"], r"boolq\.train\.jsonl"),
        (["--model_args", f"pretrained={tiny_ckpt}", "--tasks", "boolq"], r"boolq\.train\.jsonl: file not found"),
        (["--model_args", f"pretrained={tiny_ckpt}", "--tasks", "cola"], r"unknown task 'cola'"),
        (["--model_args", f"pretrained={tiny_ckpt},foo=1", "--tasks", "rte"], r"unknown key\(s\) foo"),
        (["--model_args", f"pretrained={tmp_path}/nope", "--tasks", "wsc"], r"nope: checkpoint folder not found"),
        (["--model_args", f"pretrained={tiny_ckpt}", "--tasks", "wsc", "--parity", "--pooling", "mean"],
         r"--parity uses --pooling first"),
    ]
    for argv, pattern in cases:
        assert main(argv + base) == 2, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1, err
        assert err[-1].startswith("classit-eval finetune: error: ") and re.search(pattern, err[-1]), err
    assert not out.exists() or not any(out.rglob("*"))


@needs_data
@pytest.mark.slow
def test_data_parallel_two_cpu_processes(tiny_ckpt, tmp_path):
    """torchrun with 2 CPU processes (gloo): the global batch is split, so the step count equals one process's,
    every item is scored once and in order, and only rank 0 writes."""
    out = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CLASSIT_DATA_DIR": str(EVAL_DATA)}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "classit_tasks.finetune", "--model_args", f"pretrained={tiny_ckpt}", "--tasks", "wsc",
           "--limit", "64", "--num_epochs", "2", "--batch_size", "16", "--device", "cpu", "--output_path", str(out),
           "--verbosity", "WARNING"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (results_file,) = out.rglob("results_*.json")
    res = json.loads(results_file.read_text())
    assert res["config"]["num_processes"] == 2
    per_seed = res["finetune"]["classit_glue_wsc"]["per_seed"][0]
    assert per_seed["optimizer_steps"] == 2 * ((64 - per_seed["selection_examples"]) // 16)
    (samples_file,) = out.rglob("samples_classit_glue_wsc_*.jsonl")
    assert [json.loads(line)["doc_id"] for line in samples_file.open()] == list(range(52))
