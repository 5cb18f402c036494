"""`classit-eval gate`: the CI regression gate as an installed command (scripts/ci_gate.sh wraps it)."""

from __future__ import annotations

import json

from tiny_models import EVAL_DATA

from classit_tasks.cli import main


def test_gate_evaluates_both_and_compares(checkpoints, tmp_path, capsys, monkeypatch, one_thread):
    monkeypatch.delenv("GATE_COMPARE_ARGS", raising=False)
    out = tmp_path / "gate"
    code = main(["gate", str(checkpoints["bos"]), str(checkpoints["bos"]), "--data_dir", str(EVAL_DATA),
                 "--output_path", str(out), "--tasks", "classit_blimp_supplement_fast", "--limit", "8", "--batch_size", "16"])
    stdout = capsys.readouterr().out
    assert code == 0  # a checkpoint against itself: no regression
    assert stdout.rstrip().endswith("classit-eval compare exit status: 0")
    assert (out / "compare.txt").read_text() in stdout
    assert json.loads((out / "compare.json").read_text())
    assert sorted(p.name for p in (out / "results").iterdir()) == ["baseline", "candidate"]
    # results folders are used as they are (no re-evaluation); the old positional DATA_DIR OUT still work
    code = main(["gate", str(out / "results" / "baseline"), str(out / "results" / "candidate"), str(EVAL_DATA),
                 str(tmp_path / "again")])
    assert code == 0 and not (tmp_path / "again" / "results").exists()
    assert "warning: OUT as a positional argument is deprecated; use --output_path OUT" in capsys.readouterr().err
    assert (tmp_path / "again" / "compare.json").is_file()
