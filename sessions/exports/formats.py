"""The export formats: CSV tables in a zip, an XLSX workbook, JSON that follows
docs/export-schema.json, and the report as Markdown.

An exporter is data about one file: its identifier (the last URL segment and the end of the
file name), a name people read, its content type, its file name and its bytes (``chunks()``).
Nothing here knows about HTTP: sessions/exports/streaming.py turns an exporter into a response.
The base class and the helpers every format shares are in sessions/exports/exporter.py.

The CSV zip and the JSON stream: rows are read in chunks and written out as they come, so
memory stays flat however large the session. The workbook is written by openpyxl in
write-only mode to a file, whole (``streams = False``), then sent from it."""

import io
import json
import zipfile
from collections.abc import Iterator, Sequence
from datetime import datetime, tzinfo

from defusedcsv import csv
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from sessions.enums import PHASE_ORDER, Phase
from sessions.exports.exporter import Exporter, SpooledExporter, gather, timestamp
from sessions.exports.report import build_report
from sessions.exports.tables import STRATEGY_COLUMN_NAMES, Table, strategy_row, tables
from sessions.models import LiveSession
from sessions.queries.stats import by_number
from taxonomy.models import Category

SCHEMA_VERSION = "1.0"


# --- CSV zip ---------------------------------------------------------------------------------


def _csv_value(value, zone: tzinfo):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return timestamp(value, zone)
    if isinstance(value, list):
        return "; ".join(value)
    return value


class _LineBuffer:
    """The file the csv writer writes to: keeps the text of the current row until taken."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts.clear()
        return text


def csv_text(table: Table) -> Iterator[str]:
    """A table as CSV text, row by row: a byte-order mark (so spreadsheet programs read UTF-8),
    the header, then the rows. defusedcsv prefixes values that a spreadsheet would run as a
    formula (=, +, -, @, ...) with an apostrophe."""
    buffer = _LineBuffer()
    writer = csv.writer(buffer)
    zone = timezone.get_current_timezone()
    writer.writerow(table.columns)
    yield "\ufeff" + buffer.take()
    for row in table.rows():
        writer.writerow([_csv_value(value, zone) for value in row])
        yield buffer.take()


class ZipSink(io.RawIOBase):
    """A write-only, unseekable file for ZipFile that keeps what was written until taken, so
    the archive can be sent while it is being built (zipfile then writes data descriptors
    instead of seeking back to fill in sizes)."""

    def __init__(self) -> None:
        super().__init__()
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


class CsvZipExporter(Exporter):
    """Every table as a CSV file (UTF-8 with BOM, comma-separated) in one zip archive,
    streamed while it is compressed."""

    identifier = "csv.zip"
    url_name = "export_csv"
    name = gettext_lazy("CSV tables (zip)")
    format = "csv"
    button = gettext_lazy("Download CSV tables (zip)")
    description = gettext_lazy(
        "Participants, needs, mappings, votes, gap notes, and strategies with their counts: "
        "one CSV file each."
    )
    content_type = "application/zip"

    def chunks(self) -> Iterator[bytes]:
        sink = ZipSink()
        date_time = timezone.localtime(self.exported_at).timetuple()[:6]
        with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
            for table in tables(self.scope):
                info = zipfile.ZipInfo(f"{table.name}.csv", date_time=date_time)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                with archive.open(info, mode="w") as entry:
                    for chunk in gather(csv_text(table)):
                        entry.write(chunk)
                        if data := sink.take():
                            yield data
                if data := sink.take():
                    yield data
        yield sink.take()


# --- XLSX ------------------------------------------------------------------------------------


def _xlsx_value(sheet, value, zone: tzinfo):
    if value is None:
        return None
    if isinstance(value, datetime):
        # Excel has no time zones: local time of the server's TIME_ZONE, said on the Summary.
        return value.astimezone(zone).replace(tzinfo=None)
    if isinstance(value, list):
        value = "; ".join(value)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith("="):
            # openpyxl would store "=..." as a formula; keep what participants wrote as text.
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            return cell
    return value


class XlsxExporter(SpooledExporter):
    """An Excel workbook: a Summary sheet first, then one sheet per table, written row by row
    by openpyxl in write-only mode."""

    identifier = "session.xlsx"
    url_name = "export_xlsx"
    name = gettext_lazy("Workbook (XLSX)")
    format = "xlsx"
    button = gettext_lazy("Download workbook (XLSX)")
    description = gettext_lazy("A Summary sheet, then the same tables, one sheet each.")
    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    streams = False  # openpyxl writes the archive's directory when it saves

    def summary_rows(self) -> list[tuple[str, object]]:
        live_session = self.live_session
        counts = self.scope.counts
        yes, no = _("yes"), _("no")
        return [
            (_("Session"), live_session.local_title),
            (_("Join code"), live_session.code),
            (_("Question"), live_session.local_question),
            (_("Taxonomy"), str(live_session.taxonomy)),
            (_("Phase"), str(live_session.get_phase_display())),
            (_("Exported at"), self.exported_at),
            (_("Time zone of all times"), timezone.get_current_timezone_name()),
            (_("Display names included"), yes if self.options.include_names else no),
            (_("Hidden and pending content included"), yes if self.options.include_hidden else no),
            (_("Participants"), counts["participants"]),
            (_("In the room"), counts["in_room"]),
            (_("Remote"), counts["remote"]),
            (_("Needs"), counts["needs"]),
            (_("Mappings"), counts["mappings"]),
            (_("Vote rows"), counts["votes"]),
            (_("Dots"), counts["dots"]),
            (_("Gap notes"), counts["gap_notes"]),
        ]

    def write_to(self, stream) -> None:
        zone = timezone.get_current_timezone()
        workbook = Workbook(write_only=True)
        # Sheet names are for programs as much as for people: not translated.
        summary = workbook.create_sheet("Summary")
        for label, value in self.summary_rows():
            summary.append([label, _xlsx_value(summary, value, zone)])
        for table in tables(self.scope):
            sheet = workbook.create_sheet(table.name)
            sheet.append(list(table.columns))
            for row in table.rows():
                sheet.append([_xlsx_value(sheet, value, zone) for value in row])
        workbook.save(stream)


# --- JSON ------------------------------------------------------------------------------------


def _json_value(value, zone: tzinfo):
    return timestamp(value, zone) if isinstance(value, datetime) else value


REFERENCE_FIELDS = ("key", "number", "kind", "authors", "year", "title", "venue", "doi", "url")
SETTINGS_FIELDS = ("dot_budget", "dot_cap", "allow_display_names", "premoderation")
CATEGORY_FIELDS = ("slug", "name", "goal", "position")


def _fields(instance, names: Sequence[str]) -> dict:
    return {name: getattr(instance, name) for name in names}


def _session_json(live_session: LiveSession) -> dict:
    return {
        "code": live_session.code,
        "title": live_session.title,
        "question": live_session.question,
        "created": timestamp(live_session.created),
        "phase": live_session.phase,
        "input_locked": live_session.input_locked,
        "settings": _fields(live_session, SETTINGS_FIELDS),
        "phases": [
            {
                "phase": phase,
                "label": str(Phase(phase).label),
                "prompt": live_session.prompt_for(phase),
                "current": phase == live_session.phase,
            }
            for phase in PHASE_ORDER
        ],
    }


class JsonExporter(Exporter):
    """The whole session as one JSON document (docs/export-schema.json), streamed: the
    metadata, counts and taxonomy first, then each table as an array of objects."""

    identifier = "session.json"
    url_name = "export_json"
    name = gettext_lazy("Whole session (JSON)")
    format = "json"
    button = gettext_lazy("Download the whole session (JSON)")
    description = gettext_lazy(
        "Session settings, counts, the taxonomy's strategies and every table, following a "
        "documented JSON Schema."
    )
    content_type = "application/json"

    def header(self) -> dict:
        taxonomy = self.live_session.taxonomy
        strategies = self.scope.strategies()
        references = {
            reference.pk: reference for demand in strategies for reference in demand.references
        }
        categories = Category.objects.filter(taxonomy=taxonomy).order_by("position", "name")
        return {
            "schema_version": SCHEMA_VERSION,
            "generator": "Common Ground",
            "exported_at": timestamp(self.exported_at),
            "options": {
                "include_names": self.options.include_names,
                "include_hidden": self.options.include_hidden,
            },
            "session": _session_json(self.live_session),
            "counts": self.scope.counts,
            "taxonomy": {
                "slug": taxonomy.slug,
                "title": taxonomy.title,
                "version": taxonomy.version,
                "categories": [_fields(category, CATEGORY_FIELDS) for category in categories],
                "strategies": [
                    dict(zip(STRATEGY_COLUMN_NAMES, strategy_row(demand), strict=True))
                    for demand in strategies
                ],
                "references": [
                    _fields(reference, REFERENCE_FIELDS)
                    for reference in by_number(references.values())
                ],
            },
        }

    def pieces(self) -> Iterator[str]:
        header = json.dumps(self.header(), ensure_ascii=False)
        yield header[:-1]  # the object stays open for the tables
        zone = timezone.get_current_timezone()
        for table in tables(self.scope):
            if table.name == "strategies":
                continue  # already in taxonomy.strategies
            yield f', "{table.name}": ['
            separator = ""
            for row in table.rows():
                record = {
                    column: _json_value(value, zone)
                    for column, value in zip(table.columns, row, strict=True)
                }
                yield separator + json.dumps(record, ensure_ascii=False)
                separator = ", "
            yield "]"
        yield "}\n"

    def chunks(self) -> Iterator[bytes]:
        return gather(self.pieces())


# --- the report as Markdown ------------------------------------------------------------------


class MarkdownReportExporter(Exporter):
    """The report as a Markdown file (CommonMark with pipe tables), with a BibTeX block."""

    identifier = "report.md"
    url_name = "export_markdown"
    name = gettext_lazy("Report (Markdown)")
    format = "md"
    section = "report"
    button = gettext_lazy("Download the report (Markdown)")
    content_type = "text/markdown; charset=utf-8"

    def render(self) -> str:
        report = build_report(self.live_session, self.options)
        return render_to_string("sessions/exports/report.md", {"report": report})

    def chunks(self) -> Iterator[bytes]:
        yield self.render().encode("utf-8")


# The formats, in the order the export page lists them: a new format is a class above and an
# entry here (the registry, sessions.exports.EXPORTERS, and the everything zip read this).
FORMATS: tuple[type[Exporter], ...] = (
    CsvZipExporter,
    XlsxExporter,
    JsonExporter,
    MarkdownReportExporter,
)
