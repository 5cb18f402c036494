"""Reading the evaluation-data text files as UTF-8, with one-line errors naming the file and line.

A file saved in another encoding (UTF-16 from a Windows editor, Latin-1) would otherwise fail deep inside a
loader with a UnicodeDecodeError that names neither the file nor the line.
"""

from __future__ import annotations

import codecs
import io
from pathlib import Path

from classit_tasks.tasks.data_errors import ClassitDataError

_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"), (codecs.BOM_UTF16_LE, "UTF-16"),
         (codecs.BOM_UTF16_BE, "UTF-16"))


def read_utf8_text(path: str | Path) -> str:
    """The file's text (a UTF-8 byte-order mark dropped); ClassitDataError naming file and line otherwise."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ClassitDataError(f"{path}: cannot read ({err.strerror or err})") from None
    for bom, name in _BOMS:
        if data.startswith(bom):
            raise ClassitDataError(f"{path}: file is {name}-encoded; save it as UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        raise ClassitDataError(
            f"{path}:{line}: not valid UTF-8 (byte 0x{data[err.start]:02x} at column {column}); save the file as UTF-8"
        ) from None


def open_utf8(path: str | Path, newline: str | None = None) -> io.StringIO:
    """A text handle over the validated file (``newline=""`` for the csv module)."""
    return io.StringIO(read_utf8_text(path), newline=newline)
