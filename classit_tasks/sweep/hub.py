"""``--revisions``: sweep the branches of a Hugging Face Hub model (BabyLM submissions publish ``chck_{N}M``
branches), downloaded with ``huggingface_hub.snapshot_download`` into the Hugging Face cache, one revision each.

Needs network access; offline (``HF_HUB_OFFLINE=1``) a revision that is not in the cache ends the sweep with a
one-line error naming it.
"""

from __future__ import annotations

from pathlib import Path

from classit_tasks.sweep.discover import SweepInputError

PATTERNS = ["*.json", "*.safetensors", "*.bin", "*.model", "*.txt", "*.jinja"]


def download_revisions(sources: list[str], revisions: list[str]) -> list[Path]:
    """Local snapshot folders, named by revision, of every (model id, revision)."""
    if not revisions:
        raise SweepInputError("--revisions: give at least one revision")
    folders = []
    for repo_id in sources:
        if Path(repo_id).exists():
            raise SweepInputError(f"{repo_id}: a local folder; --revisions needs a Hub model id (ORG/NAME)")
        for revision in revisions:
            folders.append(_snapshot(repo_id, revision))
    return folders


def _snapshot(repo_id: str, revision: str) -> Path:
    try:
        from huggingface_hub import snapshot_download

        path = Path(snapshot_download(repo_id=repo_id, revision=revision, allow_patterns=PATTERNS))
    except Exception as err:  # noqa: BLE001 - offline, unknown repo or revision, network errors
        first = (str(err).strip().splitlines() or [""])[0]
        raise SweepInputError(f"{repo_id}@{revision}: cannot download ({type(err).__name__}: {first[:200]})") from None
    # The snapshot folder is named by commit; give the checkpoint its revision's name (for positions / labels).
    named = path.parent / revision
    if not named.exists():
        try:
            named.symlink_to(path.name, target_is_directory=True)
        except OSError:
            return path
    return named
