"""Errors that classit-train reports as one line (the CLI prints them without a traceback)."""


class ClassitTrainError(Exception):
    """Base class: the message is a complete, one-line explanation for the user."""


class ConfigError(ClassitTrainError):
    """A configuration value is missing or invalid; the message starts with the field's dotted path."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class DataError(ClassitTrainError):
    """An input record is malformed; the message names the file (or dataset) and line (or row)."""

    def __init__(self, where: str, message: str):
        self.where = where
        super().__init__(f"{where}: {message}")
