"""A tiny two-stage run on the real corpora: loss falls, checkpoints are complete HF folders with state files,
they load with the Auto classes and lm-eval's hf model, reruns resume/skip, and the words budget is enforced."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classit_train import parse_config, run_curriculum
from classit_train.checkpoints.state import STATE_FILE, read_state

from train_helpers import REPO, SHARED, WIKI_DEV, tiny_config


def log_losses(trainer_dir: Path) -> list[float]:
    last = max(trainer_dir.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    history = json.loads((last / "trainer_state.json").read_text())["log_history"]
    return [h["loss"] for h in history if "loss" in h]


def test_tiny_model_loss_falls(tiny_run):
    losses = log_losses(tiny_run["out"] / "checkpoints" / "01-pretrain")
    assert len(losses) >= 15
    first, last = sum(losses[:3]) / 3, sum(losses[-3:]) / 3
    assert last < first - 0.5, f"loss did not fall: {first:.3f} -> {last:.3f}"


def test_checkpoint_folders_and_state_files(tiny_run):
    out, data = tiny_run["out"], tiny_run["stage_data"]
    final = tiny_run["final"]
    assert final.is_symlink() and final.resolve() == (out / "02-merged").resolve()
    for name in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                 "chat_template.jinja", "generation_config.json", STATE_FILE):
        assert (final / name).is_file(), name
    pre, merged = read_state(out / "01-pretrain"), read_state(final)
    assert (pre.stage, pre.stage_index, pre.num_stages, pre.stage_complete) == ("pretrain", 0, 2, True)
    assert pre.words_seen == data["pretrain"].num_words and pre.tokens_seen == data["pretrain"].num_tokens
    assert merged.stage == "merged" and merged.stage_complete
    assert merged.words_seen == pre.words_seen + data["merged"].num_words
    assert merged.tokens_seen == pre.tokens_seen + data["merged"].num_tokens
    assert merged.global_step == pre.global_step + merged.stage_step
    # every-N-steps checkpoints: complete folders with their own state file, nothing half-written left over
    steps = sorted((out / "checkpoints" / "01-pretrain").glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    assert [p.name for p in steps][:2] == ["checkpoint-10", "checkpoint-20"]
    mid = read_state(steps[0])
    assert (mid.stage, mid.stage_step, mid.stage_complete) == ("pretrain", 10, False)
    assert 0 < mid.words_seen < pre.words_seen
    assert (steps[0] / "optimizer.pt").is_file() and (steps[0] / "model.safetensors").is_file()
    assert not list(out.rglob(".staging*")) and not list(out.rglob(".tmp-*"))


def test_checkpoint_loads_with_auto_classes_and_chats(tiny_run):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(tiny_run["final"])
    tok = AutoTokenizer.from_pretrained(tiny_run["final"])
    ids = tok.apply_chat_template([{"role": "user", "content": "What is a dog?"}], add_generation_prompt=True,
                                  return_tensors="pt", return_dict=True)
    with torch.no_grad():
        out = model.generate(**ids, max_new_tokens=5, do_sample=False)
    assert out.shape[1] > ids["input_ids"].shape[1]
    assert model.config.vocab_size == len(tok) and model.config.bos_token_id == tok.bos_token_id


def test_lm_eval_hf_model_scores_classit_blimp(tiny_run):
    """`lm_eval --model hf` (HFLM) loads the checkpoint and scores one of classit's BLiMP tasks."""
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    manager = TaskManager(include_path=str(REPO / "task_yamls"), include_defaults=False,
                          metadata={"data_dir": str(SHARED / "babylm_eval_2025")})
    results = simple_evaluate(model="hf", model_args=f"pretrained={tiny_run['final']},dtype=float32", device="cpu",
                              tasks=["classit_blimp_anaphor_gender_agreement"], task_manager=manager, limit=16,
                              bootstrap_iters=0, batch_size=16)
    metrics = results["results"]["classit_blimp_anaphor_gender_agreement"]
    acc = next(v for k, v in metrics.items() if k.startswith("acc") and "stderr" not in k)
    assert 0.0 <= acc <= 1.0


def test_rerun_skips_completed_stages(tiny_run):
    before = {p: p.stat().st_mtime_ns for p in (tiny_run["out"] / "02-merged").iterdir()}
    final = run_curriculum(parse_config(tiny_run["config"]))
    assert final == tiny_run["final"]
    assert {p: p.stat().st_mtime_ns for p in (tiny_run["out"] / "02-merged").iterdir()} == before


def test_sequential_from_base_with_enforced_budget(tiny_run, tmp_path, tokenizer_dir, one_thread):
    """A sequential curriculum starting from the tiny base; the words budget stops it inside the first stage."""
    base = read_state(tiny_run["final"])
    budget = base.words_seen + 1500
    config = tiny_config(
        tmp_path / "seq", tokenizer_dir, model={"preset": None, "init_from": str(tiny_run["final"])},
        tokenizer={}, budget={"max_words": budget, "mode": "enforce"},
        stages=[{"name": "switchboard", "sources": [{"source": "switchboard"}]},
                {"name": "simple_wiki", "sources": [{"source": "simple_wiki"}]}])
    final = run_curriculum(parse_config(config))
    state = read_state(final)
    assert final.resolve().name == "01-switchboard" and not (tmp_path / "seq" / "02-simple_wiki").exists()
    assert state.budget_exhausted and state.budget_max_words == budget
    assert budget <= state.words_seen < budget + 8 * 200  # stops after the step that crosses the budget
    assert state.global_step == base.global_step + state.stage_step


def test_budget_already_spent_by_the_base_is_a_clear_error(tiny_run, tmp_path, tokenizer_dir):
    from classit_train import ConfigError

    base = read_state(tiny_run["final"])
    config = tiny_config(tmp_path / "spent", tokenizer_dir, model={"preset": None, "init_from": str(tiny_run["final"])},
                         budget={"max_words": base.words_seen, "mode": "enforce"})
    with pytest.raises(ConfigError, match=r"^budget\.max_words: .* words already seen .* nothing left to train"):
        run_curriculum(parse_config(config))


def test_question_generator_with_a_hf_model(tiny_run):
    from itertools import islice

    from classit_train.data.sources import HFQuestionGenerator, HFQuestionGeneratorConfig, iter_source

    generator = HFQuestionGenerator(HFQuestionGeneratorConfig(model=str(tiny_run["final"]), max_new_tokens=8))
    question = generator("Confetti", "Confetti are small pieces of paper.")
    assert question is None or isinstance(question, str)
    recs = list(islice(iter_source({"type": "simple_wiki", "paths": [str(WIKI_DEV)], "templates": ["definition"]},
                                   "wiki", generator=generator), 3))
    assert len(recs) == 3 and all(r.prompt for r in recs)
