"""``classit-eval data fetch|check``: get the BabyLM 2025 evaluation data from OSF, and verify any data folder.

    classit-eval data fetch [--fast|--full] [DEST]   download into DEST (default: the cache, see below)
    classit-eval data check DIR                      layout, item counts and known hashes; says what is missing

The data is the ``evaluation_data`` folder of the OSF project ``ryjfm`` (https://osf.io/ryjfm), read through the
public OSF API v2: ``GET {api}/nodes/{node}/files/osfstorage/`` lists a folder (JSON:API ``data`` entries with
``attributes.kind``/``name``/``materialized_path``/``size``/``extra.hashes.sha256``, ``links.download`` for files,
``relationships.files.links.related.href`` for folders, ``links.next`` for the next page). Files are written with
the layout below ``evaluation_data/`` (``full_eval/…``, ``fast_eval/…``) -- the layout ``--data_dir`` expects.

Downloads go to ``<file>.part`` and resume with an HTTP ``Range`` request when rerun; a file is renamed into place
only after its size and sha256 match every value known for it (OSF's own hashes, and the official sizes/hashes in
:mod:`classit_tasks.tasks.official_files`). Files already present and verified are skipped. The default destination,
``$CLASSIT_CACHE_DIR/babylm_eval_2025`` (``~/.cache/classit/babylm_eval_2025``), is where classit looks when no
``--data_dir`` / ``CLASSIT_DATA_DIR`` is given. ``CLASSIT_OSF_API`` overrides the API root (tests use a local
server).
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from classit_tasks.command import SubCommand
from classit_tasks.errors import ClassitError, UsageError
from classit_tasks.flags import alias, old_positionals

DATA = SubCommand("data")
OSF_API = "https://api.osf.io/v2"
OSF_NODE = "ryjfm"
ROOT_FOLDER = "evaluation_data"
CHUNK = 1 << 20
TIMEOUT = 60


class FetchError(ClassitError, RuntimeError):
    """A download or verification failure (one-line message)."""


@dataclass
class RemoteFile:
    path: str            # relative to the evaluation-data root, e.g. "fast_eval/blimp_fast/adjunct_island.jsonl"
    url: str
    size: int | None
    sha256: str | None


def default_dest() -> Path:
    from classit_tasks.tasks.zip_cache import cache_dir

    return cache_dir() / "babylm_eval_2025"


def _get_json(url: str) -> dict:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": "application/json"}),
                                    timeout=TIMEOUT) as response:
            return json.loads(response.read().decode("utf-8"))
    except (urllib.error.URLError, OSError, ValueError) as err:
        raise FetchError(f"{url}: cannot list the OSF folder ({err})") from None


def _entries(url: str):
    """Every entry of an OSF folder listing, following ``links.next`` pages."""
    while url:
        page = _get_json(url)
        yield from page.get("data", [])
        url = (page.get("links") or {}).get("next")


def _relative(materialized: str) -> str:
    parts = [p for p in materialized.strip("/").split("/") if p]
    if ROOT_FOLDER in parts:
        parts = parts[parts.index(ROOT_FOLDER) + 1 :]
    return "/".join(parts)


def list_remote(api: str | None = None, node: str = OSF_NODE) -> list[RemoteFile]:
    """All files of the node's osfstorage below ``evaluation_data/`` (or the whole storage if it has none)."""
    api = (api or os.environ.get("CLASSIT_OSF_API") or OSF_API).rstrip("/")
    pending, files = [f"{api}/nodes/{node}/files/osfstorage/"], []
    while pending:
        for entry in _entries(pending.pop()):
            attrs = entry.get("attributes") or {}
            if attrs.get("kind") == "folder":
                href = (((entry.get("relationships") or {}).get("files") or {}).get("links") or {}).get("related")
                href = href.get("href") if isinstance(href, dict) else href
                if href:
                    pending.append(href)
                continue
            url = (entry.get("links") or {}).get("download")
            rel = _relative(attrs.get("materialized_path") or attrs.get("name") or "")
            if url and rel:
                hashes = ((attrs.get("extra") or {}).get("hashes")) or {}
                files.append(RemoteFile(rel, url, attrs.get("size"), hashes.get("sha256")))
    return sorted(files, key=lambda f: f.path)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def expected(remote: RemoteFile) -> tuple[int | None, str | None]:
    """The size and sha256 a file must have: OSF's values, checked against the official ones where both exist."""
    from classit_tasks.tasks.official_files import OFFICIAL_FILES

    size, sha = remote.size, remote.sha256
    known = OFFICIAL_FILES.get(remote.path)
    if known:
        if size is not None and size != known[0] or sha and sha != known[1]:
            raise FetchError(f"{remote.path}: OSF lists size {size} / sha256 {sha}, the official release has "
                             f"{known[0]} / {known[1]}: refusing a changed file")
        size, sha = known
    return size, sha


def verified(path: Path, size: int | None, sha: str | None) -> bool:
    return path.is_file() and (size is None or path.stat().st_size == size) and (sha is None or sha256_of(path) == sha)


def download(remote: RemoteFile, dest: Path, bar: tqdm) -> bool:
    """Fetch one file into ``dest`` (resuming ``dest.part``); True if downloaded, False if already there."""
    size, sha = expected(remote)
    if verified(dest, size, sha):
        bar.update(dest.stat().st_size)
        return False
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.is_file() else 0
    if size is not None and have > size:
        part.unlink()
        have = 0
    request = urllib.request.Request(remote.url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            if have and response.status != 206:  # the server ignored the range: start over
                have = 0
            bar.update(have)
            with open(part, "ab" if have else "wb") as handle:
                while block := response.read(CHUNK):
                    handle.write(block)
                    bar.update(len(block))
    except urllib.error.HTTPError as err:
        if err.code == 416 and size is not None and have == size:
            pass  # the .part is already whole
        else:
            raise FetchError(f"{remote.path}: HTTP {err.code} from {remote.url}") from None
    except (urllib.error.URLError, OSError) as err:
        raise FetchError(f"{remote.path}: download interrupted ({err}); rerun the command to resume") from None
    got = part.stat().st_size
    if size is not None and got != size:
        raise FetchError(f"{remote.path}: got {got} bytes, expected {size}; rerun the command to resume")
    if sha is not None and sha256_of(part) != sha:
        part.unlink()
        raise FetchError(f"{remote.path}: sha256 mismatch (expected {sha}); the partial file was deleted")
    os.replace(part, dest)
    return True


def fetch(dest: Path, which: str = "all", api: str | None = None, show_progress: bool = True) -> dict:
    """Download the selected part (``fast``, ``full`` or ``all``) into ``dest``; returns counts."""
    files = list_remote(api)
    if which != "all":
        files = [f for f in files if f.path.startswith(f"{which}_eval/")]
    if not files:
        raise FetchError(f"no {which if which != 'all' else ''} evaluation files found in the OSF listing")
    total = sum(f.size or 0 for f in files)
    done = 0
    with tqdm(total=total or None, unit="B", unit_scale=True, desc="babylm eval data",
              disable=not show_progress) as bar:
        for remote in files:
            done += download(remote, dest / remote.path, bar)
    return {"files": len(files), "downloaded": done, "bytes": total}


# --------------------------------------------------------------------------------------------------------------
def check(root: Path) -> tuple[list[str], list[str], list[str]]:
    """(ok, problems, missing) lines for a data folder: each dataset's presence and item counts, known hashes."""
    from classit_tasks.tasks.data import ClassitDataError, _candidates, find_dataset
    from classit_tasks.tasks.counts import EXPECTED_COUNTS
    from classit_tasks.tasks.official_files import OFFICIAL_FILES

    ok, problems, missing = [], [], []
    for dataset, counts in EXPECTED_COUNTS.items():
        try:
            folder = find_dataset(dataset, root)
        except ClassitDataError:
            missing.append(dataset)
            continue
        bad = []
        for stem, n in counts.items():
            suffix = ".json" if dataset == "aoa" else ".jsonl"  # AoA: one JSON object, word -> contexts
            path = folder / f"{stem}{suffix}"
            if not path.is_file():
                bad.append(f"{stem}{suffix} missing")
                continue
            if dataset == "aoa":
                from classit_tasks.tasks.aoa import read_cdi_childes

                try:
                    lines = len(read_cdi_childes(path))  # (word, context) items, as the task counts them
                except ClassitDataError as err:
                    bad.append(str(err))
                    continue
            else:
                with open(path, "rb") as handle:
                    lines = sum(1 for line in handle if line.strip())
            if lines != n:
                bad.append(f"{stem}{suffix} has {lines} items, the official release {n}")
        (problems if bad else ok).append(f"{dataset}: " + ("; ".join(bad) if bad else f"{len(counts)} files, "
                                                            f"{sum(counts.values()):,} items"))
    for rel, (size, sha) in OFFICIAL_FILES.items():
        top, _, rest = rel.partition("/")
        candidates = [root / rel] + [c for c in _candidates(root, rest)] if top in ("full_eval", "fast_eval") else [root / rel]
        path = next((c for c in candidates if c.is_file()), None)
        if path is None:
            missing.append(rel)
        elif path.stat().st_size != size or sha256_of(path) != sha:
            problems.append(f"{rel}: differs from the official file (size or sha256)")
        else:
            ok.append(f"{rel}: official sha256")
    return ok, problems, missing


def fetch_hint() -> str:
    return f"`classit-eval data fetch` (into {default_dest()})"


@DATA.entry
def main(argv: list[str]) -> int:
    parser = DATA.parser("Fetch or verify the BabyLM 2025 evaluation data.")
    sub = parser.add_subparsers(dest="command", required=True)
    f = sub.add_parser("fetch", help="download from OSF (osf.io/ryjfm), resumable, verified")
    part = f.add_mutually_exclusive_group()
    part.add_argument("--fast", action="store_const", const="fast", dest="which", help="fast_eval only")
    part.add_argument("--full", action="store_const", const="full", dest="which", help="full_eval only")
    f.add_argument("--data_dir", default=None, metavar="DIR", help=f"destination folder (default: {default_dest()})")
    f.add_argument("--no_progress", action="store_true")
    alias(f, "--no_progress", "--no-progress")
    old_positionals(f, "--data_dir")
    c = sub.add_parser("check", help="verify a data folder: layout, counts, known hashes; list what is missing")
    c.add_argument("--data_dir", default=None, metavar="DIR", help="the evaluation-data folder to verify")
    old_positionals(c, "--data_dir")
    args = parser.parse_args(argv)
    if args.command == "fetch":
        dest = Path(args.data_dir).expanduser() if args.data_dir else default_dest()
        counts = fetch(dest, args.which or "all", show_progress=not args.no_progress)
        print(f"{counts['files']} files ({counts['downloaded']} downloaded, the rest already there and verified) "
              f"in {dest.resolve()}")
        if not args.data_dir:
            print("classit-eval finds this folder by itself when --data_dir and CLASSIT_DATA_DIR are not given")
        else:
            print(f"use it with --data_dir {dest.resolve()} (or export CLASSIT_DATA_DIR={dest.resolve()})")
        return 0
    if args.data_dir is None:
        c.error("the following arguments are required: --data_dir")
    root = Path(args.data_dir).expanduser()
    if not root.is_dir():
        raise UsageError(f"{root}: not a folder (fetch the data with {fetch_hint()})")
    ok, problems, missing = check(root)
    for line in ok:
        print(f"ok       {line}")
    for line in problems:
        print(f"PROBLEM  {line}")
    for line in missing:
        print(f"missing  {line}")
    print(f"{len(ok)} ok, {len(problems)} problem(s), {len(missing)} missing"
          + (f"; get the missing official files with {fetch_hint()}" if missing else ""))
    return 1 if problems else 0
