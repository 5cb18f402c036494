"""The one error type of the report package: bad input, explained in one line."""

from classit_tasks.errors import ClassitError


class ReportInputError(ClassitError, ValueError):
    """Input the report / compare commands cannot use (missing file, no samples, different item sets).

    The message is one line naming the file, task or field at fault; the CLIs print it and exit with status 2.
    """
