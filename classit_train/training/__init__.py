"""The training flow: the curriculum runner and its Trainer (``trainer.py``), every Trainer callback
(``callbacks.py``), the model presets (``models.py``) and the tokenizer (``tokenizer.py``).

Imports from data, checkpoints and analysis; nothing from config (beyond annotations) or cli."""
