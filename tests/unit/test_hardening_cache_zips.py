"""Issue 15, trusting the cache, on zips the test writes: a replaced zip is extracted again, members are streamed
under a size limit, bad zips leave no entry. The tests on the real password zip (planted entries, temporaries of
killed extractions, an unwritable cache folder) are in tests/integration/test_hardening_cache.py."""

from __future__ import annotations

import os
import zipfile

import pytest

from zip_cache_fixtures import cache, entries  # noqa: F401  (cache is a fixture)

from classit_tasks.tasks import zip_cache
from classit_tasks.tasks.data import ClassitDataError, extract_zip


def _stored_zip(path, text: str, name="ewok_fast"):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        info = zipfile.ZipInfo(f"{name}/items.jsonl", date_time=(2025, 1, 1, 0, 0, 0))
        zf.writestr(info, text)
    return path


def test_a_replaced_zip_of_same_size_and_mtime_is_extracted_again(cache, tmp_path):
    archive = _stored_zip(tmp_path / "ewok_fast.zip", "A" * 100)
    first = extract_zip(archive, "ewok_fast")
    assert (first / "items.jsonl").read_text() == "A" * 100
    st = archive.stat()
    _stored_zip(archive, "B" * 100)
    os.utime(archive, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert archive.stat().st_size == st.st_size
    zip_cache._digests.clear()  # a new process
    second = extract_zip(archive, "ewok_fast")
    assert (second / "items.jsonl").read_text() == "B" * 100 and second != first


def test_zip_bomb_is_a_one_line_error_and_leaves_nothing(cache, tmp_path, monkeypatch):
    bomb = tmp_path / "ewok_fast.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("ewok_fast/big.jsonl", b"\0" * (24 << 20))
    assert bomb.stat().st_size < 100_000
    monkeypatch.setenv(zip_cache.MAX_BYTES_ENV, str(8 << 20))
    with pytest.raises(ClassitDataError) as err:
        extract_zip(bomb, "ewok_fast")
    assert "expands to more than 8,388,608 bytes (at member 'ewok_fast/big.jsonl')" in str(err.value)
    assert entries(cache) == []


def test_bad_zips_leave_no_entry(cache, tmp_path):
    junk = tmp_path / "ewok_fast.zip"
    junk.write_bytes(b"not a zip at all")
    with pytest.raises(ClassitDataError, match="not a valid zip file"):
        extract_zip(junk, "ewok_fast")
    other = _stored_zip(tmp_path / "other.zip", "x", name="something_else")
    with pytest.raises(ClassitDataError, match="holds no folder named 'ewok_fast'"):
        extract_zip(other, "ewok_fast")
    assert entries(cache) == []
