"""What every export format is: an Exporter (data about one file, pretalx's exporters are the
model), and the helpers the formats share: ISO timestamps and chunks of a useful size."""

import io
import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime, tzinfo

from django.utils import timezone

from sessions.exports.scope import ExportOptions, ExportScope
from sessions.models import LiveSession

STREAM_CHUNK_BYTES = 64 * 1024  # bytes gathered before a piece of a file is handed on


def timestamp(value: datetime, zone: tzinfo | None = None) -> str:
    """ISO 8601 to the second, in the current time zone, with its offset. Pass ``zone``
    (looked up once per export) when converting many rows: the lookup is a context-local."""
    return value.astimezone(zone or timezone.get_current_timezone()).isoformat(timespec="seconds")


class Exporter:
    """One downloadable representation of a live session.

    Subclasses set ``identifier``, ``url_name`` (the URL's name in the ``sessions``
    namespace), ``name`` and ``content_type``, and yield the file's bytes from ``chunks()``.
    The export page and the ``export_session`` command are made from these: ``format`` (the
    command's ``--format``), ``section`` (the page's heading it is listed under), ``button``
    and ``description`` (the page's words for it)."""

    identifier: str
    url_name: str
    name: str
    format: str
    section = "data"  # or "report"
    button: str
    description = ""
    content_type = "application/octet-stream"
    do_not_call_in_templates = True  # the export page lists the classes themselves
    # False when the file can only be sent once it is written whole (see streaming.py).
    streams = True

    def __init__(self, live_session: LiveSession, options: ExportOptions | None = None) -> None:
        self.live_session = live_session
        self.options = options or ExportOptions()
        self.scope = ExportScope(live_session, self.options)
        self.exported_at = timezone.now()

    @property
    def filename(self) -> str:
        return f"{self.live_session.code}-{self.identifier}"

    def chunks(self) -> Iterator[bytes]:
        raise NotImplementedError

    def write_to(self, stream: io.RawIOBase | io.BufferedIOBase) -> None:
        """Write the whole file to a binary stream (the management command uses this)."""
        for chunk in self.chunks():
            stream.write(chunk)


class SpooledExporter(Exporter):
    """An exporter whose writer needs a file it can seek in (a workbook, a zip of files):
    ``write_to`` makes the file, and its download is read back from a temporary file."""

    def write_to(self, stream) -> None:
        raise NotImplementedError

    def chunks(self) -> Iterator[bytes]:
        with tempfile.TemporaryFile() as file:
            self.write_to(file)
            file.seek(0)
            while data := file.read(STREAM_CHUNK_BYTES):
                yield data


def gather(pieces: Iterable[str | bytes], size: int = STREAM_CHUNK_BYTES) -> Iterator[bytes]:
    """Join small pieces into chunks of about ``size`` bytes: one response write per row
    would cost more in overhead than the rows themselves."""
    buffer: list[bytes] = []
    length = 0
    for piece in pieces:
        data = piece.encode("utf-8") if isinstance(piece, str) else piece
        buffer.append(data)
        length += len(data)
        if length >= size:
            yield b"".join(buffer)
            buffer.clear()
            length = 0
    if buffer:
        yield b"".join(buffer)
