"""`classit-eval data fetch|check` against a local HTTP server answering in the OSF API v2 JSON shape and serving
files from ../shared/data: listing with pages and folders, progress, resume with Range, size/sha256 checks."""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from tiny_models import EVAL_DATA

from classit_tasks.tasks import fetch as data_fetch
from classit_tasks.cli import main

# A slice of the release: a fast folder, a full file with an official sha256, a zip (served as stored).
SERVED = ["fast_eval/supplement_fast/hypernym.jsonl", "fast_eval/supplement_fast/turn_taking.jsonl",
          "fast_eval/supplement_fast/qa_congruence_easy.jsonl", "full_eval/reading/reading_data.csv",
          "fast_eval/ewok_fast.zip"]
PAGE = 2  # entries per listing page: exercises links.next


class OSF(BaseHTTPRequestHandler):
    """/v2/nodes/ryjfm/files/osfstorage/<folder path>?page=N lists; /download/<path> serves bytes (Range too)."""

    files: dict[str, bytes] = {}
    corrupt: set[str] = set()
    cut_after: dict[str, int] = {}  # path -> bytes after which the connection is dropped (once)
    log: list[tuple[str, str | None]] = []

    def log_message(self, *args):  # quiet
        pass

    def _json(self, payload):
        body = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.api+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802
        base = f"http://127.0.0.1:{self.server.server_port}"
        path, _, query = self.path.partition("?")
        page = int(query.split("=")[1]) if query.startswith("page=") else 1
        prefix = "/v2/nodes/ryjfm/files/osfstorage/"
        if path.startswith(prefix):
            folder = path[len(prefix):]  # "" or "evaluation_data/fast_eval/" ...
            children = {}
            for rel in self.files:
                full = f"evaluation_data/{rel}"
                if full.startswith(folder):
                    head = full[len(folder):].split("/")[0]
                    children[head] = full[len(folder):].count("/") > 0
            entries = []
            for name, is_folder in sorted(children.items()):
                mat = f"/{folder}{name}" + ("/" if is_folder else "")
                if is_folder:
                    entries.append({"id": name, "type": "files",
                                    "attributes": {"kind": "folder", "name": name, "materialized_path": mat,
                                                   "size": None, "extra": {"hashes": {"md5": None, "sha256": None}}},
                                    "relationships": {"files": {"links": {"related": {
                                        "href": f"{base}{prefix}{folder}{name}/", "meta": {}}}}},
                                    "links": {"upload": "x", "new_folder": "y"}})
                else:
                    rel = f"{folder}{name}"[len("evaluation_data/"):]
                    data = self.files[rel]
                    entries.append({"id": name, "type": "files",
                                    "attributes": {"kind": "file", "name": name, "materialized_path": mat,
                                                   "size": len(data), "extra": {"hashes": {
                                                       "md5": hashlib.md5(data).hexdigest(),
                                                       "sha256": hashlib.sha256(data).hexdigest()}}},
                                    "links": {"download": f"{base}/download/{rel}"}})
            chunk = entries[(page - 1) * PAGE : page * PAGE]
            more = page * PAGE < len(entries)
            return self._json({"data": chunk, "links": {"next": f"{base}{path}?page={page + 1}" if more else None,
                                                         "meta": {"total": len(entries), "per_page": PAGE}}})
        if path.startswith("/download/"):
            rel = path[len("/download/"):]
            data = self.files[rel]
            if rel in self.corrupt:
                data = data[:-1] + bytes([data[-1] ^ 1])
            rng = self.headers.get("Range")
            self.log.append((rel, rng))
            start = int(rng.split("=")[1].split("-")[0]) if rng else 0
            body = data[start:]
            self.send_response(206 if rng else 200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            cut = self.cut_after.pop(rel, None)
            if cut is not None:
                self.wfile.write(body[:cut])
                self.wfile.flush()
                self.connection.shutdown(2)  # drop the connection mid-file
                return
            self.wfile.write(body)
            return
        self.send_error(404)


@pytest.fixture
def osf(monkeypatch):
    OSF.files = {rel: (EVAL_DATA / rel).read_bytes() for rel in SERVED}
    OSF.corrupt, OSF.cut_after, OSF.log = set(), {}, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), OSF)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("CLASSIT_OSF_API", f"http://127.0.0.1:{server.server_port}/v2")
    yield OSF
    server.shutdown()


def test_fetch_resume_verify(osf, tmp_path, capsys):
    dest = tmp_path / "data"
    reading = "full_eval/reading/reading_data.csv"
    osf.cut_after[reading] = 100_000  # the first attempt is cut off
    assert main(["data", "fetch", "--data_dir", str(dest), "--no_progress"]) == 2
    err = capsys.readouterr().err
    assert "reading_data.csv: " in err and "rerun the command to resume" in err
    assert (dest / (reading + ".part")).stat().st_size == 100_000 and not (dest / reading).exists()
    osf.log.clear()
    assert main(["data", "fetch", "--data_dir", str(dest), "--no_progress"]) == 0
    out = capsys.readouterr().out
    assert f"in {dest.resolve()}" in out and "--data_dir" in out
    assert (reading, "bytes=100000-") in osf.log  # resumed, not restarted
    for rel in SERVED:
        assert (dest / rel).read_bytes() == (EVAL_DATA / rel).read_bytes(), rel
    assert not list(dest.rglob("*.part"))
    osf.log.clear()
    # everything verified: nothing downloaded
    assert main(["data", "fetch", "--data_dir", str(dest), "--no_progress"]) == 0
    assert osf.log == []


def test_fetch_fast_only_and_a_corrupt_file(osf, tmp_path, capsys):
    dest = tmp_path / "fast"
    assert main(["data", "fetch", "--fast", str(dest), "--no_progress"]) == 0
    assert (dest / "fast_eval/ewok_fast.zip").is_file() and not (dest / "full_eval").exists()
    # a file whose bytes do not match OSF's sha256 is refused and not kept
    osf.corrupt.add("full_eval/reading/reading_data.csv")
    assert main(["data", "fetch", "--full", "--data_dir", str(tmp_path / "full"), "--no_progress"]) == 2
    assert "sha256 mismatch" in capsys.readouterr().err
    assert not (tmp_path / "full/full_eval/reading/reading_data.csv").exists()


def test_official_hashes_are_enforced(osf, tmp_path, capsys, monkeypatch):
    """OSF listing a changed official file (size/sha256 not those of the release) is refused."""
    from classit_tasks.tasks import official_files
    rel = "full_eval/reading/reading_data.csv"
    monkeypatch.setitem(official_files.OFFICIAL_FILES, rel, (1, "0" * 64))
    assert main(["data", "fetch", "--full", str(tmp_path / "d"), "--no_progress"]) == 2
    assert "refusing a changed file" in capsys.readouterr().err


def test_check_reports_counts_hashes_and_missing(tmp_path, capsys):
    assert main(["data", "check", "--data_dir", str(EVAL_DATA)]) == 0
    out = capsys.readouterr().out
    assert "ok       blimp_filtered: 67 files, 59,875 items" in out
    assert "ok       full_eval/reading/reading_data.csv: official sha256" in out
    assert "missing  wug_past_tense" in out and "classit-eval data fetch" in out
    # a truncated copy is a problem (exit 1)
    bad = tmp_path / "bad" / "fast_eval" / "supplement_fast"
    bad.mkdir(parents=True)
    for src in (EVAL_DATA / "fast_eval" / "supplement_fast").glob("*.jsonl"):
        (bad / src.name).write_bytes(src.read_bytes())
    lines = (bad / "hypernym.jsonl").read_text().splitlines()
    (bad / "hypernym.jsonl").write_text("\n".join(lines[:-1]) + "\n")
    assert main(["data", "check", str(tmp_path / "bad")]) == 1  # the old positional DIR still works
    captured = capsys.readouterr()
    assert "hypernym.jsonl has 49 items, the official release 50" in captured.out
    assert "DIR as a positional argument is deprecated; use --data_dir DIR" in captured.err
