"""What the BabyLM leaderboard sees of a model, below the report and the fine-tuning wrapper (both use it).

- ``leaderboard``: the leaderboard aggregates of one results dict (per family, the overall averages)
- ``summary``: the summary table printed after ``classit-eval run`` / ``finetune``
- ``submission``: ``classit-eval submit``, the BabyLM 2025 submission file
- ``model_card``: ``classit-eval run --update_model_card``, scores into a checkpoint's model card
"""
