"""Organiser exports of a live session: CSV tables in a zip, an XLSX workbook, JSON that
follows docs/export-schema.json, and a report (HTML page and Markdown) with charts and
citations. docs/exports.md describes them.

    scope.py      which rows an export holds under its options (ExportOptions, ExportScope)
    tables.py     the tables as column specs, one definition for CSV, sheets and JSON
    exporter.py   what an exporter is (the base class) and the helpers formats share
    formats.py    the exporters: identifier, name, content type, file name and bytes, and
                  the words of the export page
    bundle.py     every format in one zip ("download everything")
    report.py     the report's data, with its charts (charts.py)
    streaming.py  an exporter as the response to a request, under WSGI or ASGI

``EXPORTERS`` is the registry the export URLs (sessions/export_urls.py), the export page
(sessions/views/exports.py) and the ``export_session`` command are made from: a new format is
one exporter here, and it is in "download everything" too."""

from sessions.exports.bundle import EverythingExporter
from sessions.exports.exporter import Exporter
from sessions.exports.formats import FORMATS

EXPORTERS: dict[str, type[Exporter]] = {
    exporter.identifier: exporter for exporter in (*FORMATS, EverythingExporter)
}
