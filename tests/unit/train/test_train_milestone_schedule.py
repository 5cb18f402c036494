"""The milestone schedule (chck_{N}M / chck_{N}K): names, scaling, budget cap, explicit word counts. Milestone
folders of real runs are in tests/integration/train/test_train_milestones.py."""

from __future__ import annotations

from classit_train.checkpoints.milestones import (
    CheckpointsConfig, babylm_schedule, milestone_name, milestones, parse_milestone_name,
)


def test_babylm_schedule_names_and_scaling():
    full = babylm_schedule()
    assert len(full) == 28
    assert full[:10] == [m * 10**6 for m in range(1, 11)]
    assert full[10:19] == [m * 10**6 for m in range(20, 101, 10)]
    assert full[19:] == [m * 10**6 for m in range(200, 1001, 100)]
    assert [milestone_name(w) for w in (full[0], full[9], full[10], full[-1])] == ["chck_1M", "chck_10M", "chck_20M",
                                                                                   "chck_1000M"]
    # default: capped at the budget (BabyLM strict-small: 10M words -> 1M..10M)
    assert milestones(CheckpointsConfig(), 10_000_000) == [m * 10**6 for m in range(1, 11)]
    assert milestones(CheckpointsConfig(), None) == full
    scaled = milestones(CheckpointsConfig(schedule="babylm", scale=0.02), 1_000_000)
    assert [milestone_name(w) for w in scaled] == [f"chck_{k}K" for k in range(20, 201, 20)] + [
        "chck_400K", "chck_600K", "chck_800K", "chck_1M"]
    assert milestone_name(1_500_000) == "chck_1500K" and parse_milestone_name("chck_1500K") == 1_500_000
    assert parse_milestone_name("chck_3M") == 3_000_000 and parse_milestone_name("checkpoint-3") is None
    assert milestones(CheckpointsConfig(schedule="none"), None) == []
    assert milestones(CheckpointsConfig(at_words=[5000, 20000]), 1000) == [5000, 20000]  # explicit: as given
