"""The data flow: corpora -> sources (``sources/``) -> records (``records.py``) with stable example ids
(``example_ids.py``) -> token ids and reply-only labels (``formatting.py``) -> a stage's weighted mixture, optionally
narrowed by a data-map selection (``stage.py``, ``selection.py``) -> packed rows and the collators (``packing.py``).

Imports nothing from training, checkpoints, analysis, config or cli."""
