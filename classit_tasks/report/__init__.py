"""Reports and paired comparisons of classit / lm-eval results with confidence intervals over items.

- ``load``: results JSON + ``--log_samples`` files -> runs with per-item values, matched by document hash
- ``metrics``: how each metric aggregates over items (vectorised), display scale, chance levels
- ``stats``: bootstrap CIs, paired bootstrap, exact McNemar, paired permutation test, Holm
- ``scores`` / ``compare``: rows with CIs for one run; paired differences and the regression gate
- ``growth``: checkpoint positions and per-ability growth pace
- ``plots`` / ``render`` / ``build``: figures, Markdown and HTML
- ``cli``: ``classit-eval report`` and ``classit-eval compare``
"""
