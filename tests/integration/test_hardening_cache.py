"""Issue 15, trusting the cache: entries keyed by the zip's sha256, reused only if ours and not group/world-writable,
members streamed under a size limit, temporary folders of dead extractions removed, no empty entries."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest
from tiny_models import EVAL_DATA

from classit_tasks.tasks import zip_cache
from classit_tasks.tasks.data import ClassitDataError, extract_zip

REAL_ZIP = EVAL_DATA / "fast_eval" / "ewok_fast.zip"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CLASSIT_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "extracted"


def _entries(root):
    return sorted(p.name for p in root.iterdir()) if root.is_dir() else []


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


def test_a_planted_entry_is_refused(cache):
    folder = extract_zip(REAL_ZIP, "ewok_fast")  # the real zip, extracted and trusted
    assert extract_zip(REAL_ZIP, "ewok_fast") == folder
    entry = cache / f"ewok_fast-{zip_cache.archive_sha256(REAL_ZIP)[:32]}"
    entry.chmod(0o777)
    with pytest.raises(ClassitDataError, match=r"cache entry is writable by group or others \(mode 777\); refusing"):
        extract_zip(REAL_ZIP, "ewok_fast")
    entry.chmod(0o700)
    if os.geteuid() == 0:
        os.chown(entry, 12345, 12345)
        with pytest.raises(ClassitDataError, match="cache entry is owned by uid 12345, not you"):
            extract_zip(REAL_ZIP, "ewok_fast")
        os.chown(entry, 0, 0)
    (entry / zip_cache.COMPLETE).unlink()  # a folder without the completion record: never trusted
    with pytest.raises(ClassitDataError, match="incomplete cache entry"):
        extract_zip(REAL_ZIP, "ewok_fast")


def test_zip_bomb_is_a_one_line_error_and_leaves_nothing(cache, tmp_path, monkeypatch):
    bomb = tmp_path / "ewok_fast.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("ewok_fast/big.jsonl", b"\0" * (24 << 20))
    assert bomb.stat().st_size < 100_000
    monkeypatch.setenv(zip_cache.MAX_BYTES_ENV, str(8 << 20))
    with pytest.raises(ClassitDataError) as err:
        extract_zip(bomb, "ewok_fast")
    assert "expands to more than 8,388,608 bytes (at member 'ewok_fast/big.jsonl')" in str(err.value)
    assert _entries(cache) == []


def test_bad_zips_leave_no_entry(cache, tmp_path):
    junk = tmp_path / "ewok_fast.zip"
    junk.write_bytes(b"not a zip at all")
    with pytest.raises(ClassitDataError, match="not a valid zip file"):
        extract_zip(junk, "ewok_fast")
    other = _stored_zip(tmp_path / "other.zip", "x", name="something_else")
    with pytest.raises(ClassitDataError, match="holds no folder named 'ewok_fast'"):
        extract_zip(other, "ewok_fast")
    assert _entries(cache) == []


def test_temporaries_of_killed_extractions_are_removed_live_ones_kept(cache, tmp_path):
    cache.mkdir(parents=True, mode=0o700)
    code = ("import fcntl, os, sys, time; d = sys.argv[1]; os.makedirs(d); "
            "fd = os.open(os.path.join(d, sys.argv[2]), os.O_RDWR | os.O_CREAT); fcntl.flock(fd, fcntl.LOCK_EX); "
            "print('ok', flush=True); time.sleep(60)")
    procs = []
    for name in (".tmp-ewok_fast-1-dead", ".tmp-ewok_fast-2-live"):
        procs.append(subprocess.Popen([sys.executable, "-c", code, str(cache / name), zip_cache.LOCK],
                                      stdout=subprocess.PIPE, text=True))
        assert procs[-1].stdout.readline().strip() == "ok"
    procs[0].kill()  # kill -9 in the middle of an extraction
    procs[0].wait()
    try:
        extract_zip(REAL_ZIP, "ewok_fast")
        names = _entries(cache)
        assert ".tmp-ewok_fast-1-dead" not in names and ".tmp-ewok_fast-2-live" in names
        assert len([n for n in names if not n.startswith(".tmp-")]) == 1
    finally:
        procs[1].kill()
        procs[1].wait()


def test_unwritable_cache_folder(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("CLASSIT_CACHE_DIR", str(blocker / "cache"))
    with pytest.raises(ClassitDataError, match=r"cannot create the extraction cache \(Not a directory\); set "
                                               "CLASSIT_CACHE_DIR"):
        extract_zip(REAL_ZIP, "ewok_fast")
