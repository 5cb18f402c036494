"""Finding the evaluation-data folder without the real data: no folder given, none in the environment variable
(``DATA_DIR_ENV``) and none fetched is a one-line error naming the variable and `classit-eval data fetch`; a
fetched folder in the cache is found by itself; a folder that is not there is named. Finding and validating the real
data is in tests/integration/test_data_layer.py, fetching it in tests/integration/test_data_fetch.py."""

from __future__ import annotations

import pytest

from classit_tasks.tasks.data import DATA_DIR_ENV, ClassitDataError, find_dataset, resolve_data_dir


def one_line(err: pytest.ExceptionInfo) -> str:
    message = str(err.value)
    assert "\n" not in message
    return message


def test_missing_data_folder(monkeypatch, tmp_path):
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    with pytest.raises(ClassitDataError) as err:
        resolve_data_dir()
    assert DATA_DIR_ENV in one_line(err)
    with pytest.raises(ClassitDataError) as err:
        resolve_data_dir(tmp_path / "nope")
    assert "nope" in one_line(err)
    with pytest.raises(ClassitDataError) as err:
        find_dataset("blimp_filtered", tmp_path)
    assert "blimp_filtered" in one_line(err)


def test_no_data_says_the_fetch_command(tmp_path, monkeypatch):
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    monkeypatch.setenv("CLASSIT_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(ClassitDataError, match=r"run `classit-eval data fetch`"):
        resolve_data_dir(None)
    (tmp_path / "cache" / "babylm_eval_2025").mkdir(parents=True)  # fetched: found by itself
    assert resolve_data_dir(None) == (tmp_path / "cache" / "babylm_eval_2025").resolve()
