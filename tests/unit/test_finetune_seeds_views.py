"""Seeds as an axis, batching of the default mode, GLUE coverage, the 2025 BLiMP field view, summaries (no data:
the fine-tuning runs on the real WSC file are in tests/integration/test_finetune_seed_workers.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml
from repo_paths import TASK_DIR


# ------------------------------------------------------------------------------------------------------- --seeds
@pytest.mark.parametrize("text,message", [
    ("1,2,1", "seed 1 is given twice"),
    ("1,two", "'two' is not an integer"),
    ("1.5", "'1.5' is not an integer"),
    ("", "at least one integer seed"),
    ("1,,2", "empty item"),
    ("-3", "outside"),
])
def test_bad_seeds_are_one_line_errors_naming_the_flag(text, message):
    from classit_tasks.finetune.seeds import parse_seeds

    with pytest.raises(ValueError, match=message) as err:
        parse_seeds(text)
    assert str(err.value).startswith("--seeds:") and "\n" not in str(err.value)
    assert parse_seeds(" 3, 1 ,2") == (3, 1, 2)


def test_bad_seeds_exit_2_before_anything_runs(tmp_path, capsys):
    from classit_tasks.finetune.cli import main

    code = main(["--model_args", f"pretrained={tmp_path}", "--tasks", "wsc", "--seeds", "1,1",
                 "--output_path", str(tmp_path / "out")])
    assert code == 2 and not (tmp_path / "out").exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--seeds: seed 1 is given twice" in err[0]


def test_seed_ci_is_the_student_t_interval():
    from scipy.stats import t

    from classit_tasks.finetune import metrics as M

    values = [0.5, 0.6, 0.7]
    lo, hi = M.seed_ci(values)
    half = t.ppf(0.975, 2) * np.std(values, ddof=1) / math.sqrt(3)
    assert lo == pytest.approx(0.6 - half) and hi == pytest.approx(0.6 + half)
    runs = [{"acc": v, "acc_stderr": 0.01} for v in values]
    out = M.summarize(runs, ("acc",))
    assert out["acc_seed_ci_low,none"] == pytest.approx(lo) and out["acc_seed_ci_high,none"] == pytest.approx(hi)


def test_seed_table_lists_mean_std_ci_and_each_seed():
    from classit_tasks.finetune.seeds import seed_table

    results = {"results": {"classit_glue_rte": {"score,none": 0.6, "score_seed_std,none": 0.1,
                                                "score_seed_ci_low,none": 0.35, "score_seed_ci_high,none": 0.85}},
               "finetune": {"classit_glue_rte": {"selection_metric": "acc",
                                                 "per_seed": [{"acc": 0.5}, {"acc": 0.6}, {"acc": 0.7}]}}}
    text = seed_table(results)
    assert "| classit_glue_rte | acc | 3 | 60.00 | 10.00 | [35.00, 85.00] | 50.00, 60.00, 70.00 |" in text
    results["finetune"]["classit_glue_rte"]["per_seed"] = [{"acc": 0.5}]
    assert seed_table(results) == ""


def test_worker_plan_splits_the_cores():
    from classit_tasks.finetune.seeds import plan_workers

    workers, threads = plan_workers(2, 6, "cpu")
    assert workers == 2 and threads >= 1
    assert plan_workers(8, 3, "cpu")[0] == 3  # never more workers than runs


# ---------------------------------------------------------------------------------------------------- batching
def test_length_grouped_batches_are_drop_last_random_and_tight():
    from classit_tasks.finetune.batching import LengthGroupedBatches, length_order

    rng = np.random.default_rng(0)
    lengths = rng.integers(5, 200, size=1000).tolist()
    sampler = LengthGroupedBatches(lengths, 32, seed=3, group_batches=10)
    epoch1, epoch2 = list(sampler), list(sampler)
    assert len(epoch1) == len(sampler) == 1000 // 32
    assert all(len(b) == 32 for b in epoch1)
    flat = [i for b in epoch1 for i in b]
    assert len(set(flat)) == len(flat) == 31 * 32  # drop_last: each item at most once
    assert epoch1 != epoch2  # a new order every epoch
    assert list(LengthGroupedBatches(lengths, 32, seed=3, group_batches=10)) == epoch1  # reproducible from the seed

    def padding(batches):
        real = sum(lengths[i] for b in batches for i in b)
        total = sum(max(lengths[i] for i in b) * len(b) for b in batches)
        return 1 - real / total

    random_batches = [list(range(k * 32, (k + 1) * 32)) for k in range(31)]
    assert padding(epoch1) < 0.1 < padding(random_batches)
    order = length_order(lengths)
    assert [lengths[i] for i in order] == sorted(lengths, reverse=True)


def test_pad_stats_count_real_and_padded_slots():
    from classit_tasks.finetune.batching import PadStats, make_collate

    stats = PadStats()
    batch = make_collate(0, "right", stats)([([1, 2, 3], 0), ([4], 1)])
    assert batch["input_ids"].tolist() == [[1, 2, 3], [4, 0, 0]]
    assert (stats.real, stats.padded) == (4, 2) and stats.padding_fraction == pytest.approx(2 / 6)


# ------------------------------------------------------------------------------------------------ GLUE coverage
def test_glue_group_says_what_it_covers_and_gives_the_leaderboard_mean():
    from classit_tasks.finetune.results import group_results
    from classit_tasks.leaderboard.summary import format_summary

    per_task = {f"classit_glue_{t}": {"score,none": s, "score_stderr,none": 0.01, "acc,none": s,
                                      "acc_stderr,none": 0.01}
                for t, s in (("rte", 0.6), ("wsc", 0.7), ("mrpc", 0.8), ("qqp", 0.5), ("mnli", 0.4))}
    group = group_results(per_task)
    assert group["score,none"] == pytest.approx(0.6)
    assert group["score_leaderboard,none"] == pytest.approx(3.0 / 7)
    assert group["tasks_evaluated,none"] == 5 and group["alias"] == "classit_glue (partial)"
    results = {"results": {"classit_glue": group, **per_task}, "group_subtasks": {"classit_glue": list(per_task)}}
    text = format_summary(results)
    assert "| classit_glue | 0 | score | 60.00 |" in text
    assert ("classit_glue: PARTIAL, mean of 5 of 7 tasks (rte, wsc, mrpc, qqp, mnli) = 60.00; missing boolq, "
            "multirc; leaderboard average (missing = 0) = 42.86") in text


# ------------------------------------------------------------------------------------------- summaries, any set
def test_summary_for_wug_alone_and_reading_alone():
    from classit_tasks.leaderboard.summary import summary_rows

    wug = {"results": {"classit_wug": {"alias": "classit_wug"},
                       "classit_wug_adj_nominalization": {"spearman,none": 0.3},
                       "classit_wug_past_tense": {"spearman,none": 0.1}},
           "group_subtasks": {"classit_wug": ["classit_wug_adj_nominalization", "classit_wug_past_tense"]},
           "n-samples": {"classit_wug_adj_nominalization": {"effective": 200}}}
    rows = {name: score for name, _, _, score, _ in summary_rows(wug)}
    assert rows == {"classit_wug_adj_nominalization": pytest.approx(30.0),
                    "classit_wug_past_tense": pytest.approx(10.0)}
    reading = {"results": {"classit_reading": {"eye_tracking,none": 1.5}}, "group_subtasks": {},
               "n-samples": {"classit_reading": {"effective": 1726}}}
    assert summary_rows(reading) == [("classit_reading", 1726, "eye_tracking", 1.5, None)]


# ---------------------------------------------------------------------------------------- BLiMP 2025 field view
def test_blimp_field_view_2025_has_the_four_official_fields():
    from classit_tasks.tasks.blimp import PARADIGMS

    for suffix in ("", "_fast"):
        top = yaml.safe_load((TASK_DIR / "blimp" / f"_classit_blimp{suffix}_by_field_2025.yaml").read_text())
        assert top["task"] == [f"classit_blimp{suffix}_field2025_{f}"
                               for f in ("morphology", "semantics", "syntax", "syntax-semantics")]
        members = []
        for name in top["task"]:
            field = name.rsplit("field2025_", 1)[1]
            group = yaml.safe_load((TASK_DIR / "blimp" / f"_group_field2025{suffix}_{field}.yaml").read_text())
            assert group["group_alias"] == field.replace("syntax-semantics", "syntax/semantics")
            members += group["task"]
        assert sorted(members) == sorted(f"classit_blimp{suffix}_{p}" for p in PARADIGMS)  # each paradigm once
    merged = yaml.safe_load((TASK_DIR / "blimp" / "_group_field2025_syntax-semantics.yaml").read_text())["task"]
    assert len(merged) == sum(f in ("syntax_semantics", "syntax/semantics") for f, _ in PARADIGMS.values()) == 14


# ---------------------------------------------------------------------------------- compare: seeds per arm
def test_compare_accepts_several_seed_runs_per_arm(tmp_path, capsys):
    import json

    from classit_tasks.report.cli import compare_main
    from synthetic import accuracy_pair, write_run

    leaves = [f"classit_blimp_fast_p{k}" for k in range(3)]
    groups = {"classit_blimp_fast": leaves}
    rng = np.random.default_rng(0)
    base_dirs, cand_dirs, base_acc, cand_acc = [], [], [], []
    for seed in range(3):
        base, cand = {}, {}
        for task in leaves:
            b, c = accuracy_pair(rng, 200, accuracy=0.7, delta=-0.1)
            base[task], cand[task] = {"acc": b}, {"acc": c}
        base_acc.append(np.mean([v["acc"].mean() for v in base.values()]))
        cand_acc.append(np.mean([v["acc"].mean() for v in cand.values()]))
        base_dirs.append(write_run(tmp_path / f"b{seed}", f"runs/base/seed{seed}", base, groups))
        cand_dirs.append(write_run(tmp_path / f"c{seed}", f"runs/cand/seed{seed}", cand, groups))
    out = tmp_path / "cmp.json"
    code = compare_main(["--baseline", *map(str, base_dirs), "--candidate", *map(str, cand_dirs),
                         "--output_path", str(out), "--item_resamples", "300"])
    assert code == 1  # a 10-point drop in every seed: a regression
    report = json.loads(out.read_text())
    row = report["tasks"][0]
    assert row["baseline"] == pytest.approx(100 * np.mean(base_acc))  # the mean over the seed runs
    assert row["candidate"] == pytest.approx(100 * np.mean(cand_acc))
    assert "mean of 3 seed runs" in report["baseline"]["label"] and len(report["baseline"]["files"]) == 3
    # seed runs of one arm on different items are refused
    other = write_run(tmp_path / "x", "runs/base/seedx", {t: {"acc": np.ones(150)} for t in leaves}, groups)
    assert compare_main(["--baseline", str(base_dirs[0]), str(other), "--candidate", str(cand_dirs[0])]) == 2
    assert "seed runs of one arm must score the same items" in capsys.readouterr().err


def test_micro_batches_trim_padding_and_sum_to_the_batch_gradient():
    import torch
    from transformers import LlamaConfig, LlamaModel

    from classit_tasks.finetune.batching import make_collate, micro_batches
    from classit_tasks.finetune.model import SequenceClassifier

    torch.manual_seed(0)
    rows = [([5 + (i * j) % 50 for j in range(n)], i % 2) for i, n in enumerate([12, 11, 9, 9, 5, 4, 3, 2])]
    batch = make_collate(0, "right")(rows)
    parts = micro_batches(batch, 3, "right")
    assert [p["input_ids"].shape for p in parts] == [(3, 12), (3, 9), (2, 3)]
    assert all(bool(p["attention_mask"][:, -1].any()) for p in parts)  # each cut to its own longest row
    backbone = LlamaModel(LlamaConfig(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                      num_attention_heads=2, num_key_value_heads=2))
    model = SequenceClassifier(backbone, 16, 2, "last", 0.0).double()
    full = torch.nn.functional.cross_entropy(model(batch["input_ids"], batch["attention_mask"]), batch["labels"])
    full_grads = torch.autograd.grad(full, list(model.parameters()))
    summed = sum(torch.nn.functional.cross_entropy(model(p["input_ids"], p["attention_mask"]), p["labels"],
                                                   reduction="sum") / 8 for p in parts)
    micro_grads = torch.autograd.grad(summed, list(model.parameters()))
    assert float(summed.detach()) == pytest.approx(float(full.detach()), rel=1e-9)
    for a, b in zip(full_grads, micro_grads):
        assert torch.allclose(a, b, rtol=1e-7, atol=1e-10)


def test_f1_and_mcc_without_sklearn_equal_sklearn():
    """compute() builds F1 and MCC from the confusion matrix (no sklearn import at run time): the same values."""
    from sklearn.metrics import f1_score, matthews_corrcoef

    from classit_tasks.finetune import metrics as M

    rng = np.random.default_rng(1)
    for _ in range(300):
        n, k = int(rng.integers(1, 40)), int(rng.integers(2, 4))
        labels, preds = rng.integers(0, k, n), rng.integers(0, k, n)
        if rng.random() < 0.2:
            preds[:] = preds[0]
        if k == 2:
            assert M.compute("f1", labels, preds) == f1_score(labels, preds, pos_label=1, zero_division=0.0)
        both = set(labels.tolist()) | set(preds.tolist())
        expected = matthews_corrcoef(labels, preds) if len(both) > 1 else 0.0
        assert M.compute("mcc", labels, preds) == pytest.approx(expected, abs=1e-12)
