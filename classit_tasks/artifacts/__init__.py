"""The files one command writes and another reads: the only place in classit_tasks that knows their names, format
strings and folder layouts.

- ``results``: lm-eval's ``results_<time>.json`` and ``samples_<task>_<time>.jsonl`` (names, writing as one set,
  reading, merging several files)
- ``checkpoints``: checkpoint folders (``chck_{N}M`` milestones, ``checkpoint-N`` steps, stage folders, the state
  files), word amounts, the identity hash of a checkpoint, the one ``Checkpoint`` record
- ``sweep_folder``: a ``classit-eval sweep`` output folder (index, format string, manifests, lineage)
- ``model_card``: a checkpoint's ``README.md`` and its classit scores block
- ``json_files``: strict (one-line errors in the caller's error class) and lenient JSON / JSON-lines readers
- ``atomic``: a set of files written whole or not at all; one JSON file renamed into place

Readers take the caller's error class, so each command keeps its own one-line errors. Nothing here imports a room
above it (tasks, scoring, report, sweep, finetune, leaderboard, cli): only the standard library.
"""
