"""Issue 15, trusting the cache, on the real password zip: entries keyed by the zip's sha256, reused only if ours and
not group/world-writable, temporary folders of dead extractions removed, an unwritable cache folder. The tests on
zips the test writes (size limit, bad zips, a replaced zip) are in tests/unit/test_hardening_cache_zips.py."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from tiny_models import EVAL_DATA

from zip_cache_fixtures import cache, entries  # noqa: F401  (cache is a fixture)

from classit_tasks.tasks import zip_cache
from classit_tasks.tasks.data import ClassitDataError, extract_zip

REAL_ZIP = EVAL_DATA / "fast_eval" / "ewok_fast.zip"


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
        names = entries(cache)
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
