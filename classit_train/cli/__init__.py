"""``classit-train``, the command line: the parser and the train / tokenizer / data preview / demo commands
(``main.py``), ``data map`` / ``data audit`` (``data_commands.py``), ``configs`` (``configs_command.py``) and the old
flag spellings (``flags.py``)."""

from .main import main

__all__ = ["main"]
