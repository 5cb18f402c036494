"""The data layer without the real data: reading a JSONL file that is not there is a ClassitDataError. Finding,
extracting and validating the real evaluation data is in tests/integration/test_data_layer.py."""

from __future__ import annotations

import pytest

from classit_tasks.tasks.data import ClassitDataError, read_jsonl


def test_read_jsonl_types(tmp_path):
    with pytest.raises(ClassitDataError):
        read_jsonl(tmp_path / "nope.jsonl")
