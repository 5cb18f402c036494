"""Fine-tuning runs on the real WSC file: a model with too few positions and no pad token is named and still
runs, and --seeds on parallel worker processes gives the sequential results. The data-free tests of --seeds,
batching, GLUE coverage and summaries are in tests/unit/test_finetune_seeds_views.py."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def short_ckpt(tmp_path_factory):
    """The tiny checkpoint with 24 positions and no pad token."""
    import json as _json

    from test_finetune_e2e import build_tiny_checkpoint

    ckpt = build_tiny_checkpoint(tmp_path_factory.mktemp("short") / "ckpt")
    config = _json.loads((ckpt / "config.json").read_text())
    config["max_position_embeddings"] = 24
    config.pop("pad_token_id", None)
    (ckpt / "config.json").write_text(_json.dumps(config))
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        path = ckpt / name
        if path.is_file():
            data = _json.loads(path.read_text())
            data.pop("pad_token", None)
            path.write_text(_json.dumps(data))
    return ckpt


def test_short_model_and_no_pad_token_are_named_and_the_run_completes(short_ckpt, tmp_path, capsys, caplog):
    import json as _json
    import logging

    import torch

    from classit_tasks.finetune.cli import main
    from tiny_models import EVAL_DATA

    torch.set_num_threads(1)
    caplog.set_level(logging.WARNING)
    code = main(["--model_args", f"pretrained={short_ckpt}", "--tasks", "wsc", "--limit", "40", "--num_epochs", "1",
                 "--batch_size", "8", "--device", "cpu", "--data_dir", str(EVAL_DATA),
                 "--output_path", str(tmp_path / "out.json"), "--seed_workers", "1"])
    assert code == 0
    err = capsys.readouterr().err
    assert "the tokenizer has no pad token; padding with eos '</s>'" in err
    warning = [r.getMessage() for r in caplog.records if "--max_length" in r.getMessage()]
    assert len(warning) == 1 and "classit_glue_wsc: --max_length 512 exceeds the model's 24 positions" in warning[0]
    result = _json.loads(next(tmp_path.glob("out_*.json")).read_text())
    assert result["config"]["pad_token_source"] == "eos_token"


@pytest.mark.slow
def test_parallel_seed_workers_give_the_sequential_results(tmp_path):
    """--seeds 1,2 on two worker processes = the same two runs one after another in this process."""
    import json as _json

    import torch

    from classit_tasks.finetune.cli import main
    from test_finetune_e2e import build_tiny_checkpoint
    from tiny_models import EVAL_DATA

    torch.set_num_threads(1)
    ckpt = build_tiny_checkpoint(tmp_path / "ckpt")
    common = ["--model_args", f"pretrained={ckpt}", "--tasks", "wsc", "--limit", "48", "--num_epochs", "1",
              "--batch_size", "16", "--seeds", "1,2", "--device", "cpu", "--data_dir", str(EVAL_DATA),
              "--num_threads", "1"]
    assert main([*common, "--seed_workers", "2", "--output_path", str(tmp_path / "par.json")]) == 0
    assert main([*common, "--seed_workers", "1", "--output_path", str(tmp_path / "seq.json")]) == 0
    par = _json.loads(next(tmp_path.glob("par_*.json")).read_text())
    seq = _json.loads(next(tmp_path.glob("seq_*.json")).read_text())
    assert par["config"]["seed_workers"] == 2 and seq["config"]["seed_workers"] == 1
    for a, b in zip(par["finetune"]["classit_glue_wsc"]["per_seed"], seq["finetune"]["classit_glue_wsc"]["per_seed"]):
        assert a["seed"] == b["seed"] and a["best_epoch"] == b["best_epoch"] and a["acc"] == b["acc"]
        assert a["step_train_loss"] == pytest.approx(b["step_train_loss"], rel=1e-5)
    assert par["finetune"]["classit_glue_wsc"]["per_seed"][0]["step_train_loss"] != \
        par["finetune"]["classit_glue_wsc"]["per_seed"][1]["step_train_loss"]  # two seeds, two runs
