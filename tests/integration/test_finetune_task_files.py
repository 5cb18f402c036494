"""The fine-tuning task table on the real GLUE files: a missing split names its file, the valid split has the
release's size, and the zero-shot GLUE variants load and build their prompts in lm-eval. The data-free tests of the
fine-tuning wrapper are in tests/unit/test_finetune_units.py."""

from __future__ import annotations

import pytest
from conftest import TASK_DIR

from classit_tasks.finetune.tasks import TASKS


def test_missing_split_error_names_the_file():
    from classit_tasks.tasks.data import ClassitDataError
    from classit_tasks.finetune.tasks import load_split

    with pytest.raises(ClassitDataError, match=r"glue_filtered/boolq\.train\.jsonl: file not found"):
        load_split(TASKS["boolq"], "train")
    assert len(load_split(TASKS["boolq"], "valid")) == 1635


def test_zero_shot_variants_load_in_lm_eval():
    from lm_eval.tasks import TaskManager

    tm = TaskManager(include_path=str(TASK_DIR / "glue"), include_defaults=False)
    loaded = tm.load(["classit_glue_zeroshot"])
    assert sorted(loaded["tasks"]) == sorted(f"classit_glue_{n}_zeroshot" for n in TASKS)
    wsc = loaded["tasks"]["classit_glue_wsc_zeroshot"]
    docs = list(wsc.test_docs())
    assert len(docs) == 52
    assert wsc.doc_to_text(docs[0]) == (
        'Joe Joe\'s uncle can still beat him at tennis, even though he is 30 years older.\n'
        'Question: Does "he" refer to "Joe" in this passage?\nAnswer:')
    assert wsc.doc_to_choice(docs[0]) == ["no", "yes"] and wsc.doc_to_target(docs[0]) == 0
    rte = loaded["tasks"]["classit_glue_rte_zeroshot"]
    assert len(list(rte.test_docs())) == 139 and rte.doc_to_choice(next(iter(rte.test_docs()))) == ["True", "False"]
