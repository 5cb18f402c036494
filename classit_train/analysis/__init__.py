"""What classit-train measures about its data: training dynamics per example (``dynamics.py``), data maps built
from them (``data_maps.py``), and the decontamination audit (``decontamination.py``) against the evaluation sets
(``eval_sets.py``).

Imports from data and checkpoints only; nothing from training, config or cli."""
