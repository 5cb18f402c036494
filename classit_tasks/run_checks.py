"""Run-time checks and lm-eval plumbing shared by ``classit-eval`` and the task loaders.

- :func:`setup_lm_eval_logging`: lm-eval's own logging set-up (``--verbosity``, ``LMEVAL_LOG_LEVEL``, the
  ``--write_out`` prompts), which lm-eval's ``__main__`` does and a direct call of its CLI class does not.
- :func:`quiet_git_hash`: lm-eval records ``git describe`` of the working directory; outside a repository git
  prints ``fatal: not a git repository`` on every run. The same lookup with git's stderr silenced.
- :func:`check_chat_template`: ``--apply_chat_template`` rewrites the scored text of classit's tasks.
- :func:`warn_if_hf_differs`: one line when ``--model hf`` (or any model other than classit-hf) scores a
  checkpoint whose tokenizer kind makes it differ from the BabyLM 2025 rule (docs/parity.md); called by the task
  loaders, so plain ``lm_eval --include_path`` runs print it too.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from typing import Iterable

log = logging.getLogger("lm_eval.classit")  # under lm-eval's logger: shown with its handler and level

# ``pretrained`` values of the classit-hf models built in this process (classit_tasks.scoring.model adds to it).
CLASSIT_MODELS: set[str] = set()
_WARNED: set[tuple[str, str]] = set()


def setup_lm_eval_logging(verbosity: str | None) -> None:
    """lm-eval's logger at ``verbosity`` (default INFO; ``LMEVAL_LOG_LEVEL`` wins), with its handler."""
    from lm_eval.utils import setup_logging

    setup_logging(verbosity=(verbosity or "INFO").upper())
    lm_eval_logger = logging.getLogger("lm_eval")
    for i, handler in enumerate(lm_eval_logger.handlers):
        if type(handler) is logging.StreamHandler:  # lm-eval's own (lm_eval.utils.setup_logging, checked on 0.4.13)
            current = _CurrentStderrHandler(handler.level)
            current.setFormatter(handler.formatter)
            lm_eval_logger.handlers[i] = current


class _CurrentStderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at each record, not the stream of the first set-up: classit-eval may run
    several times in one process (the Python API, tests capturing stderr), and an earlier stream may be closed."""

    def __init__(self, level: int = logging.NOTSET):
        super().__init__()
        self.setLevel(level)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # StreamHandler.__init__ assigns it; the current sys.stderr is used instead
        pass


def quiet_git_hash() -> str | None:
    """``git describe --always`` of the working directory, or None; git's error output is not shown."""
    try:
        out = subprocess.run(["git", "describe", "--always"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return (out.stdout.strip() or None) if out.returncode == 0 else None


def classit_task_names(tasks: Iterable[str] | None) -> list[str]:
    return [t for t in (tasks or []) if isinstance(t, str) and t.startswith("classit")]


def check_chat_template(apply_chat_template, tasks) -> str | None:
    """The one-line refusal for ``--apply_chat_template`` on classit tasks, or None when it does not apply.

    Every classit zero-shot task scores raw text by the BabyLM 2025 rule; a chat template turns each sentence into
    an assistant reply after an empty user turn (and adds a second BOS under classit-hf), so the numbers would be
    neither parity numbers nor comparable to anything.
    """
    if not apply_chat_template:
        return None
    names = classit_task_names(tasks if not isinstance(tasks, str) else tasks.split(","))
    if not names:
        return None
    return (f"--apply_chat_template would rewrite the scored text of {', '.join(names)} (each sentence becomes an "
            "assistant reply in a chat; BabyLM 2025 scores the raw text): drop the flag for these tasks")


def tokenizer_kind(tokenizer) -> str:
    """``bos`` (prepends BOS only), ``none`` (adds nothing), ``wrap`` (adds a token at the end too, ``<s> … </s>``)."""
    plain = tokenizer("a b", add_special_tokens=False)["input_ids"]
    full = tokenizer("a b")["input_ids"]
    if full == plain:
        return "none"
    if len(full) > len(plain) and full[-len(plain):] == plain:
        return "bos"
    return "wrap"


def _load_tokenizer(metadata: dict):
    from transformers import AutoTokenizer

    source = metadata.get("tokenizer") or metadata.get("pretrained")
    kwargs = {"trust_remote_code": bool(metadata.get("trust_remote_code", False))}
    if metadata.get("revision"):
        kwargs["revision"] = metadata["revision"]
    return AutoTokenizer.from_pretrained(str(source), **kwargs)


def warn_if_hf_differs(task: str, has_context: bool, metadata: dict) -> str | None:
    """Log (once per checkpoint and task kind) when a model other than classit-hf will score ``task`` differently
    from the 2025 rule: a BOS-less tokenizer on minimal pairs, a ``<s> … </s>`` tokenizer on tasks with a context.
    Returns the line (None when silent). Never raises: a check that cannot run stays silent."""
    pretrained = metadata.get("pretrained")
    if not pretrained or str(pretrained) in CLASSIT_MODELS:
        return None
    key = (str(pretrained), "context" if has_context else "minimal_pairs")
    if key in _WARNED:
        return None
    try:
        kind = tokenizer_kind(_load_tokenizer(metadata))
    except Exception:  # noqa: BLE001
        return None
    if (has_context and kind != "wrap") or (not has_context and kind != "none"):
        return None
    _WARNED.add(key)
    why = ("its tokenizer adds no BOS, so lm-eval's hf model scores the first token (conditioned on EOS), which the "
           "2025 rule never scores" if kind == "none" else
           "its tokenizer wraps text in <s> … </s>, so lm-eval's hf model splits context and continuation wrongly")
    line = (f"classit: {task} and the tasks like it will differ from BabyLM 2025 scoring for {pretrained}: {why}; "
            "use --model classit-hf (classit-eval's default; see docs/parity.md)")
    log.warning(line)
    return line

