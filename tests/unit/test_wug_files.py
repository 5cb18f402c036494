"""WUG tasks without the real data: the Spearman helper, one-line errors for malformed lines and absent files (in
files the test writes, in the official format), and both tasks in the suites. Parity and the real files are in
tests/integration/test_wug.py."""

from __future__ import annotations

import json
import math

import pytest
from scipy.stats import spearmanr

from classit_tasks.tasks.data import ClassitDataError
from classit_tasks.tasks.wug import load_wug, option0_probability, spearman


def test_spearman_unit():
    pairs = [(0.9, 0.5), (0.1, 0.2), (0.5, 0.5), (0.5, 0.9), (0.3, 0.1)]  # ties on both sides
    assert spearman(pairs) == pytest.approx(spearmanr(*zip(*pairs))[0], abs=1e-15)
    assert math.isnan(spearman([None]))
    assert option0_probability([0.0, 0.0, 0.0]) == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    "line,needle",
    [({"sentences": "a b\tc d"}, "missing field 'ratio'"),
     ({"sentences": "only one option", "ratio": 0.5}, "at least 2 tab-separated options"),
     ({"sentences": "a b\tc d", "ratio": "lots"}, "field 'ratio' must be a number"),
     ({"sentences": "a b\tc d", "ratio": [0.5]}, "field 'ratio'"),
     ({"sentences": "a b\tc d", "ratio": 1.5}, "proportion in [0, 1]"),
     ({"sentences": "a b\t", "ratio": 0.5}, "empty option")],
)
def test_malformed_line_gives_one_line_error(tmp_path, line, needle):
    folder = tmp_path / "wug_past_tense"
    folder.mkdir()
    path = folder / "wug_past_tense.jsonl"
    good = {"sentences": "a b\tc d", "ratio": 0.25}
    path.write_text(json.dumps(good) + "\n\n" + json.dumps(line) + "\n")  # blank line 2: the bad one is line 3
    with pytest.raises(ClassitDataError) as err:
        load_wug("wug_past_tense", "wug_past_tense", data_dir=tmp_path, optional=True)
    message = str(err.value)
    assert "\n" not in message and f"{path}:3" in message and needle in message


def test_numeric_string_ratio_is_accepted_like_float(tmp_path):
    folder = tmp_path / "wug_adj_nominalization"
    folder.mkdir()
    (folder / "wug_adj_nominalization.jsonl").write_text(json.dumps({"sentences": "a\tb\tc", "ratio": "0.5"}) + "\n")
    split = load_wug("wug_adj_nominalization", "wug_adj_nominalization", data_dir=tmp_path, check_counts=False)
    assert split["test"][0]["ratio"] == 0.5 and len(split["test"][0]["options"]) == 3


def test_absent_required_file_is_an_error(tmp_path):
    with pytest.raises(ClassitDataError, match="wug_adj_nominalization/wug_adj_nominalization.jsonl not in"):
        load_wug("wug_adj_nominalization", "wug_adj_nominalization", data_dir=tmp_path)


def test_both_wug_tasks_are_in_the_suites():
    """Each WUG task is its own leaderboard task: listed directly (one summary row each), past tense included even
    when its file is absent (it then reports itself as not evaluated)."""
    import yaml

    from zero_shot_helpers import TASK_DIR

    for suite in ("classit_zero_shot", "classit_zero_shot_fast"):
        members = yaml.safe_load((TASK_DIR / f"{suite}.yaml").read_text())["task"]
        assert "classit_wug_adj_nominalization" in members and "classit_wug_past_tense" in members
        assert any(m.startswith("classit_ewok") for m in members)
        assert any(m.startswith("classit_entity_tracking") for m in members)
