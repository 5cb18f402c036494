"""The one exception of the data layer: bad or missing evaluation data, reported on one line."""

from classit_tasks.errors import ClassitError


class ClassitDataError(ClassitError, ValueError):
    """Bad or missing evaluation data; the message is one line naming file, line and field."""
