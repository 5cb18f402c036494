"""What classit-hf returns for a request scored with a named rule, so the task's metrics can tell from the response
itself (not from state shared with the model) how it was computed.

A loglikelihood response is lm-eval's ``(log-likelihood, is_greedy)`` pair. For a request whose document names a
scoring rule (the reading tasks' ``surprisal_rule``), classit-hf returns a :class:`RuleScored`: the same pair, equal
to it, printed and written to the samples files as it (a JSON list), which also carries the rule's name. It pickles
as itself, so lm-eval's ``--use_cache`` database and data-parallel gathers keep it. Any other model (or an older
cache entry) gives a plain tuple, whose rule is None.
"""

from __future__ import annotations


class RuleScored(tuple):
    """``(log-likelihood, is_greedy)`` computed by classit-hf with the scoring rule ``rule``."""

    rule: str

    def __new__(cls, pair, rule: str):
        self = super().__new__(cls, pair)
        self.rule = rule
        return self

    def __getnewargs__(self):
        return (tuple(self), self.rule)

    def __reduce__(self):
        return (RuleScored, (tuple(self), self.rule))


def rule_of(response) -> str | None:
    """The scoring rule a response was computed with by classit-hf, or None (another model, or the default rule)."""
    return response.rule if isinstance(response, RuleScored) else None
