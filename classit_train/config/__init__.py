"""The run configuration: the dataclasses, YAML loading and validation (``run.py``) and the checks of names
the dataclasses cannot make (``checks.py``).

It validates a run against the facts of every flow (source types, presets, the milestone schedule, selections), so it
sits above data, checkpoints and training; only cli imports it at run time."""
