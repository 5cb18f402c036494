"""What a run leaves on disk: checkpoint folders and their state file (``state.py``), the milestone schedule and
names (``milestones.py``), what completes a Hugging Face folder (``hf_folder.py``) and its model card
(``model_card.py``), what classit-train owns and may delete or publish (``ownership.py``) and the one-run-per-folder
lock (``lock.py``).

Imports nothing from data, training, analysis, config or cli: a checkpoint is read by every one of them."""
