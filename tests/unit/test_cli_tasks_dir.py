"""`classit-eval tasks-dir` prints the folder of the installed task pack (what `lm_eval --include_path` takes).
The runs of classit-eval on the real data are in tests/integration/test_cli.py."""

from __future__ import annotations

from repo_paths import TASK_DIR

from classit_tasks.cli import main


def test_tasks_dir_points_at_the_installed_pack(capsys):
    assert main(["tasks-dir"]) == 0
    assert capsys.readouterr().out.strip() == str(TASK_DIR.resolve())
