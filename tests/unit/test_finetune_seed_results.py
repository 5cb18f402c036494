"""Fine-tuning results with several seeds: the mean and standard deviation over seeds, the task's score and the
samples, built from planted predictions (no model, no data). The fine-tuning runs are in
tests/integration/test_finetune_e2e.py."""

from __future__ import annotations

import numpy as np
import pytest


def test_results_with_several_seeds_report_mean_and_std():
    from classit_tasks.finetune import results as R
    from classit_tasks.finetune.config import FinetuneConfig
    from classit_tasks.finetune.tasks import TASKS
    from classit_tasks.finetune.train import SeedResult, TaskData

    task = TASKS["mrpc"]
    report = [{"sentence1": "a", "sentence2": "b", "label": label} for label in (1, 1, 0, 0)]
    runs = []
    for seed, preds in ((1, [1, 1, 0, 0]), (2, [1, 0, 0, 1])):
        p = np.array(preds)
        labels = np.array([r["label"] for r in report])
        scores = {m: R.M.compute(m, labels, p) for m in task.metrics}
        scores.update({f"{m}_stderr": R.M.stderr(m, labels, p) for m in task.metrics})
        runs.append(SeedResult(seed, p, scores, 1, [0.5], 10, 2, 3, 0.1))
    data = TaskData(task=task, train=[], select=None, report=report, report_original_size=4)
    res = R.build("pretrained=x", "x", FinetuneConfig(seeds=(1, 2)), {"classit_glue_mrpc": (data, runs)}, {},
                  "cpu", 0.0)
    r = res["results"]["classit_glue_mrpc"]
    assert r["acc,none"] == pytest.approx(0.75) and r["acc_seed_std,none"] == pytest.approx(np.std([1, .5], ddof=1))
    assert r["score,none"] == r["f1,none"] == pytest.approx((1.0 + 0.5) / 2)  # MRPC scores F1
    samples = R.samples(task, data, runs)
    assert [s["acc"] for s in samples] == [1.0, 0.5, 1.0, 0.5] and samples[1]["preds"] == [1, 0]
    assert samples[1]["resps"] == [["1", "0"]] and samples[1]["f1"] == [1, 1]
