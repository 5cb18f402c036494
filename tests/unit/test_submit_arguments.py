"""``classit-eval submit`` refuses bad arguments before reading any file (no scenario, no data). The submission
built from a real tiny sweep is in tests/integration/test_submit.py."""

from __future__ import annotations

from classit_tasks.cli import main


def test_submit_checks_its_arguments_first(tmp_path, capsys):
    """Bad arguments are refused before any file is read (no scenario needed)."""
    out = tmp_path / "out"
    base = ["submit", "--results", str(tmp_path), "--sweep", str(tmp_path), "--output_path", str(out)]
    assert main([*base, "--up_to", "chck_7K"]) == 2
    assert "--up_to must name a checkpoint of the strict-small track" in capsys.readouterr().err
    assert main([*base, "--allow_missing", "glue,nonsense"]) == 2
    assert "--allow_missing: unknown part 'nonsense'" in capsys.readouterr().err
    assert main(base) == 2  # no results below the folder
    assert "no lm-eval results file" in capsys.readouterr().err
    (tmp_path / "results_2026-01-01T00-00-00.json").write_text("{}")
    assert main(base) == 2
    assert "field 'results' missing" in capsys.readouterr().err
    assert not out.exists()
