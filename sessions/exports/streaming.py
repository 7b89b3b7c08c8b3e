"""An exporter as the response to a request: a download that streams under WSGI and ASGI.

The one place that knows about HTTP for the export formats (the views call it)."""

import tempfile
from collections.abc import AsyncIterator, Iterator
from functools import partial

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import FileResponse, HttpRequest, HttpResponseBase, StreamingHttpResponse
from django.utils.http import content_disposition_header

from sessions.exports.exporter import STREAM_CHUNK_BYTES, Exporter


async def _async_chunks(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """A synchronous stream of chunks as an asynchronous one, for ASGI servers.

    Under ASGI, Django reads a synchronous streaming response into one list before sending it
    (StreamingHttpResponse.__aiter__), which would hold the whole export in memory. Each chunk
    is instead produced in the request's thread (thread_sensitive, so the database connection
    is the view's) and sent before the next one is made."""
    produce = sync_to_async(next, thread_sensitive=True)
    try:
        while (chunk := await produce(chunks, None)) is not None:
            yield chunk
    finally:
        if close := getattr(chunks, "close", None):
            # A client that goes away mid-download must not leave a cursor open.
            await sync_to_async(close, thread_sensitive=True)()


def _written_file(exporter: Exporter):
    """The whole file in a temporary file, read from its start; deleted when closed."""
    file = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it)
    try:
        exporter.write_to(file)
        file.seek(0)
    except BaseException:
        file.close()
        raise
    return file


def export_response(exporter: Exporter, request: HttpRequest) -> HttpResponseBase:
    """The exporter's file as an attachment, streamed chunk by chunk; as an asynchronous
    iterator when ``request`` came over ASGI.

    An exporter that does not stream (``streams = False``: the workbook) is written whole to a
    temporary file before answering, so that an error is a 500 rather than a cut-off download;
    the file is deleted when the response closes it."""
    asynchronous = isinstance(request, ASGIRequest)
    if exporter.streams:
        chunks = exporter.chunks()
        response = StreamingHttpResponse(
            _async_chunks(chunks) if asynchronous else chunks, content_type=exporter.content_type
        )
        response["Content-Disposition"] = content_disposition_header(True, exporter.filename)
        return response
    file = _written_file(exporter)
    response = FileResponse(
        file, as_attachment=True, filename=exporter.filename, content_type=exporter.content_type
    )
    if asynchronous:
        # See _async_chunks: a FileResponse would be read into memory whole under ASGI.
        response.streaming_content = _async_chunks(
            iter(partial(file.read, STREAM_CHUNK_BYTES), b"")
        )
    return response
