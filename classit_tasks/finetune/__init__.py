"""(Super)GLUE fine-tuning wrapper of the BabyLM 2025 protocol (``classit-eval finetune``).

Modules: ``tasks`` (the seven task definitions), ``config`` (hyper-parameters, parity preset), ``schedule``
(AdamW, cosine-with-warmup), ``model`` (pooling + classification head), ``train`` (one task x one seed),
``metrics``, ``results`` (lm-eval-shaped output), ``cli``.
"""

from classit_tasks.finetune.config import FinetuneConfig
from classit_tasks.finetune.tasks import TASKS, GlueTask

__all__ = ["FinetuneConfig", "GlueTask", "TASKS"]
