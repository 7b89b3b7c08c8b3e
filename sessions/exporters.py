"""Organiser exports of a live session: CSV tables in a zip, an XLSX workbook, JSON that follows
docs/export-schema.json, and a report (HTML page and Markdown) with charts and citations.

Every export is pseudonymous by default: a participant appears as an export-local number (P1,
P2, ... in the order they joined) and their pseudonym; display names only with
``include_names``; never the device token hash or the public id. Hidden and pending
contributions, participants removed by a facilitator and everything that hangs off them are
left out unless ``include_hidden`` is set (docs/exports.md lists the rules).

The CSV zip and the JSON stream: querysets are read with ``.iterator()`` in chunks and written
out as they come, so memory stays flat however large the session. The workbook is written by
openpyxl in write-only mode to a temporary file, then streamed from it.
"""

import io
import json
import re
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from functools import cached_property, partial

from asgiref.sync import sync_to_async
from defusedcsv import csv
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import FileResponse, HttpResponseBase, StreamingHttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from sessions import charts
from sessions.enums import PHASE_ORDER, ContributionStatus, GapKind, Phase, Presence
from sessions.models import GapNote, LiveSession, Mapping, Need, Participant, Vote
from taxonomy.enums import Approach, ReferenceKind
from taxonomy.models import Category, Reference, Strategy

SCHEMA_VERSION = "1.0"
CHUNK_SIZE = 2000  # rows fetched per database round trip while streaming
STREAM_CHUNK_BYTES = 64 * 1024  # bytes gathered before a piece of a response is sent
TOP_NEEDS = 10
CITED_STRATEGIES = 5  # the most-mapped strategies whose references the report cites
HEAT_LEVELS = 5  # 0 (nothing mapped) to 4 (the most-demanded strategy), as on the board
VISIBLE = ContributionStatus.VISIBLE


@dataclass(frozen=True)
class ExportOptions:
    """What an organiser asked to include beyond the pseudonymous, visible default."""

    include_names: bool = False
    include_hidden: bool = False


# --- which rows an export contains ---------------------------------------------------------


class ExportScope:
    """The rows of one session that an export contains, under its options.

    Without ``include_hidden``: visible contributions by participants who were not removed, on
    targets that are themselves included (a visible mapping of a hidden need is left out, and so
    are the dots and gap notes on it)."""

    def __init__(self, live_session: LiveSession, options: ExportOptions) -> None:
        self.live_session = live_session
        self.options = options

    def _included(self, prefix: str = "") -> Q:
        """Rows whose contribution at ``prefix`` is visible and whose author was not removed."""
        if self.options.include_hidden:
            return Q()
        return Q(**{f"{prefix}status": VISIBLE, f"{prefix}author__removed_at__isnull": True})

    def _voter_included(self, prefix: str = "") -> Q:
        if self.options.include_hidden:
            return Q()
        return Q(**{f"{prefix}participant__removed_at__isnull": True})

    def participants(self) -> QuerySet[Participant]:
        queryset = Participant.objects.filter(live_session=self.live_session)
        if not self.options.include_hidden:
            queryset = queryset.filter(removed_at__isnull=True)
        return queryset.order_by("joined_at", "pk")

    def needs(self) -> QuerySet[Need]:
        return Need.objects.filter(self._included(), live_session=self.live_session).order_by(
            "created", "pk"
        )

    def mappings(self) -> QuerySet[Mapping]:
        return Mapping.objects.filter(
            self._included(), self._included("need__"), live_session=self.live_session
        ).order_by("created", "pk")

    def votes(self) -> QuerySet[Vote]:
        queryset = Vote.objects.filter(live_session=self.live_session).order_by("pk")
        if self.options.include_hidden:
            return queryset
        on_need = Q(need__isnull=False) & self._included("need__")
        on_mapping = (
            Q(mapping__isnull=False)
            & self._included("mapping__")
            & self._included("mapping__need__")
        )
        return queryset.filter(self._voter_included(), on_need | on_mapping)

    def gap_notes(self) -> QuerySet[GapNote]:
        queryset = GapNote.objects.filter(live_session=self.live_session).order_by("created", "pk")
        if self.options.include_hidden:
            # Not through the Q objects below: Q(...) | Q() is Q(...), not "everything".
            return queryset
        on_mapping = self._included("mapping__") & self._included("mapping__need__")
        return queryset.filter(self._included(), Q(mapping__isnull=True) | on_mapping)

    def dots_on(self, target: str) -> Coalesce:
        """Included dots on each row of a need or mapping queryset (``target``: its field on
        Vote), for ``.annotate()``; the target itself is assumed included."""
        dots = (
            Vote.objects.filter(self._voter_included(), **{target: OuterRef("pk")})
            .order_by()
            .values(target)
            .annotate(total=Sum("dots"))
            .values("total")
        )
        return Coalesce(Subquery(dots, output_field=IntegerField()), 0)

    def mapping_count(self) -> Coalesce:
        """Included mappings of each row of a need queryset, for ``.annotate()``."""
        mappings = (
            Mapping.objects.filter(self._included(), need=OuterRef("pk"))
            .order_by()
            .values("need")
            .annotate(total=Count("pk"))
            .values("total")
        )
        return Coalesce(Subquery(mappings, output_field=IntegerField()), 0)

    @cached_property
    def participant_numbers(self) -> dict[int, str]:
        """Export-local ids (P1, P2, ...) by participant pk, in the order people joined. Only
        these ids leave the server; pks, public ids and token hashes never do."""
        return {
            pk: f"P{number}"
            for number, pk in enumerate(
                self.participants().values_list("pk", flat=True).iterator(chunk_size=CHUNK_SIZE),
                start=1,
            )
        }

    @cached_property
    def counts(self) -> dict[str, int]:
        """How many rows each table has, plus dots and the in-room/remote split (six queries)."""
        people = self.participants().aggregate(
            participants=Count("pk"),
            in_room=Count("pk", filter=Q(presence=Presence.IN_ROOM)),
            remote=Count("pk", filter=Q(presence=Presence.REMOTE)),
        )
        votes = self.votes().aggregate(votes=Count("pk"), dots=Coalesce(Sum("dots"), 0))
        return {
            **people,
            "needs": self.needs().count(),
            "mappings": self.mappings().count(),
            **votes,
            "gap_notes": self.gap_notes().count(),
        }

    def strategy_stats(self) -> dict[int, dict[str, int]]:
        """Needs mapped, dots on those mappings and gap notes per strategy pk (three queries)."""
        stats: dict[int, dict[str, int]] = defaultdict(
            lambda: {"needs_mapped": 0, "dots": 0, "gap_notes": 0}
        )
        for row in self.mappings().order_by().values("strategy_id").annotate(n=Count("pk")):
            stats[row["strategy_id"]]["needs_mapped"] = row["n"]
        for row in (
            self.votes()
            .filter(mapping__isnull=False)
            .order_by()
            .values("mapping__strategy_id")
            .annotate(n=Sum("dots"))
        ):
            stats[row["mapping__strategy_id"]]["dots"] = row["n"]
        for row in self.gap_notes().order_by().values("strategy_id").annotate(n=Count("pk")):
            stats[row["strategy_id"]]["gap_notes"] = row["n"]
        return stats

    def strategies(self) -> list["StrategyDemand"]:
        """Every strategy of the session's taxonomy, in taxonomy order, with what the session
        put on it; references prefetched (five queries)."""
        stats = self.strategy_stats()
        strategies = (
            Strategy.objects.filter(taxonomy_id=self.live_session.taxonomy_id)
            .select_related("category", "parent")
            .prefetch_related("references")
            .order_by("category__position", "category__name", "position", "name")
        )
        return [StrategyDemand(strategy, **stats.get(strategy.pk, {})) for strategy in strategies]


@dataclass
class StrategyDemand:
    """A strategy with the needs mapped onto it, the dots on those mappings and its gap notes."""

    strategy: Strategy
    needs_mapped: int = 0
    dots: int = 0
    gap_notes: int = 0

    @property
    def references(self) -> list[Reference]:
        return _by_number(self.strategy.references.all())


# --- tables: one definition for the CSV files, the sheets and the JSON arrays ---------------


@dataclass(frozen=True)
class Table:
    """One table of the export: a file stem, sheet name and JSON key, its columns, and a
    function that yields its rows (tuples in column order) lazily."""

    name: str
    columns: tuple[str, ...]
    rows: Callable[[], Iterator[tuple]]


def _participant_table(scope: ExportScope) -> Table:
    names = scope.options.include_names
    columns = ("participant", "pseudonym", *(["display_name"] if names else []))
    columns += ("presence", "joined_at", "removed")

    def rows() -> Iterator[tuple]:
        numbers = scope.participant_numbers
        for pk, pseudonym, display_name, presence, joined_at, removed_at in (
            scope.participants()
            .values_list("pk", "pseudonym", "display_name", "presence", "joined_at", "removed_at")
            .iterator(chunk_size=CHUNK_SIZE)
        ):
            name = (display_name,) if names else ()
            yield (numbers[pk], pseudonym, *name, presence, joined_at, removed_at is not None)

    return Table("participants", columns, rows)


def _need_table(scope: ExportScope) -> Table:
    columns = (
        "need_id",
        "participant",
        "text",
        "context",
        "status",
        "edited",
        "created",
        "dots",
        "mapping_count",
    )

    def rows() -> Iterator[tuple]:
        numbers = scope.participant_numbers
        queryset = scope.needs().annotate(
            dot_total=scope.dots_on("need"), mapping_total=scope.mapping_count()
        )
        for row in queryset.values_list(
            "pk",
            "author_id",
            "text",
            "context",
            "status",
            "edited",
            "created",
            "dot_total",
            "mapping_total",
        ).iterator(chunk_size=CHUNK_SIZE):
            yield (row[0], numbers[row[1]], *row[2:])

    return Table("needs", columns, rows)


def _mapping_table(scope: ExportScope) -> Table:
    columns = (
        "mapping_id",
        "need_id",
        "participant",
        "strategy",
        "strategy_name",
        "category",
        "approach",
        "reason",
        "status",
        "created",
        "dots",
    )

    def rows() -> Iterator[tuple]:
        numbers = scope.participant_numbers
        queryset = scope.mappings().annotate(dot_total=scope.dots_on("mapping"))
        for row in queryset.values_list(
            "pk",
            "need_id",
            "author_id",
            "strategy__slug",
            "strategy__name",
            "strategy__category__slug",
            "strategy__approach",
            "reason",
            "status",
            "created",
            "dot_total",
        ).iterator(chunk_size=CHUNK_SIZE):
            yield (row[0], row[1], numbers[row[2]], *row[3:])

    return Table("mappings", columns, rows)


def _vote_table(scope: ExportScope) -> Table:
    columns = ("participant", "target", "need_id", "mapping_id", "dots")

    def rows() -> Iterator[tuple]:
        numbers = scope.participant_numbers
        for participant_id, need_id, mapping_id, dots in (
            scope.votes()
            .values_list("participant_id", "need_id", "mapping_id", "dots")
            .iterator(chunk_size=CHUNK_SIZE)
        ):
            target = "need" if need_id else "mapping"
            yield (numbers[participant_id], target, need_id, mapping_id, dots)

    return Table("votes", columns, rows)


def _gap_note_table(scope: ExportScope) -> Table:
    columns = (
        "gap_note_id",
        "participant",
        "kind",
        "strategy",
        "strategy_name",
        "mapping_id",
        "need_id",
        "text",
        "status",
        "created",
    )

    def rows() -> Iterator[tuple]:
        numbers = scope.participant_numbers
        for row in (
            scope.gap_notes()
            .values_list(
                "pk",
                "author_id",
                "kind",
                "strategy__slug",
                "strategy__name",
                "mapping_id",
                "mapping__need_id",
                "text",
                "status",
                "created",
            )
            .iterator(chunk_size=CHUNK_SIZE)
        ):
            yield (row[0], numbers[row[1]], *row[2:])

    return Table("gap_notes", columns, rows)


STRATEGY_COLUMNS = (
    "strategy",
    "name",
    "category",
    "category_name",
    "approach",
    "parent",
    "needs_mapped",
    "dots",
    "gap_notes",
    "references",
)


def _strategy_row(demand: StrategyDemand) -> tuple:
    strategy = demand.strategy
    return (
        strategy.slug,
        strategy.name,
        strategy.category.slug,
        strategy.category.name,
        strategy.approach,
        strategy.parent.slug if strategy.parent else None,
        demand.needs_mapped,
        demand.dots,
        demand.gap_notes,
        [reference.key for reference in demand.references],
    )


def _strategy_table(scope: ExportScope) -> Table:
    def rows() -> Iterator[tuple]:
        for demand in scope.strategies():
            yield _strategy_row(demand)

    return Table("strategies", STRATEGY_COLUMNS, rows)


def tables(scope: ExportScope) -> list[Table]:
    """The export's tables, in the order of the zip, the workbook and the JSON document."""
    return [
        _participant_table(scope),
        _need_table(scope),
        _mapping_table(scope),
        _vote_table(scope),
        _gap_note_table(scope),
        _strategy_table(scope),
    ]


def _by_number(references: Iterable[Reference]) -> list[Reference]:
    return sorted(references, key=lambda reference: reference.number)


def _timestamp(value: datetime, zone: tzinfo | None = None) -> str:
    """ISO 8601 to the second, in the current time zone, with its offset. Pass ``zone``
    (looked up once per export) when converting many rows: the lookup is a context-local."""
    return value.astimezone(zone or timezone.get_current_timezone()).isoformat(timespec="seconds")


# --- exporters ------------------------------------------------------------------------------


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


class Exporter:
    """One downloadable representation of a live session.

    Subclasses set ``identifier`` (the last URL segment and the end of the file name) and
    ``content_type``, and yield the file's bytes from ``chunks()``."""

    identifier: str
    content_type = "application/octet-stream"

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

    def as_response(self, *, asynchronous: bool = False) -> HttpResponseBase:
        """A streaming download; ``asynchronous`` for a request served over ASGI."""
        chunks = self.chunks()
        response = StreamingHttpResponse(
            _async_chunks(chunks) if asynchronous else chunks, content_type=self.content_type
        )
        response["Content-Disposition"] = f'attachment; filename="{self.filename}"'
        return response


def _gather(pieces: Iterable[str | bytes], size: int = STREAM_CHUNK_BYTES) -> Iterator[bytes]:
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


def _csv_value(value, zone: tzinfo):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return _timestamp(value, zone)
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


class _ZipSink(io.RawIOBase):
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
    content_type = "application/zip"

    def chunks(self) -> Iterator[bytes]:
        sink = _ZipSink()
        date_time = timezone.localtime(self.exported_at).timetuple()[:6]
        with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
            for table in tables(self.scope):
                info = zipfile.ZipInfo(f"{table.name}.csv", date_time=date_time)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                with archive.open(info, mode="w") as entry:
                    for chunk in _gather(csv_text(table)):
                        entry.write(chunk)
                        if data := sink.take():
                            yield data
                if data := sink.take():
                    yield data
        yield sink.take()


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


class XlsxExporter(Exporter):
    """An Excel workbook: a Summary sheet first, then one sheet per table, written row by row
    by openpyxl in write-only mode."""

    identifier = "session.xlsx"
    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    def summary_rows(self) -> list[tuple[str, object]]:
        live_session = self.live_session
        counts = self.scope.counts
        yes, no = _("yes"), _("no")
        return [
            (_("Session"), live_session.title),
            (_("Join code"), live_session.code),
            (_("Question"), live_session.question),
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

    def chunks(self) -> Iterator[bytes]:
        with tempfile.TemporaryFile() as file:
            self.write_to(file)
            file.seek(0)
            while data := file.read(STREAM_CHUNK_BYTES):
                yield data

    def as_response(self, *, asynchronous: bool = False) -> HttpResponseBase:
        # Build the workbook before answering, so an error is a 500 rather than a cut-off
        # download; the temporary file is deleted when FileResponse closes it.
        file = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
        try:
            self.write_to(file)
            file.seek(0)
        except BaseException:
            file.close()
            raise
        response = FileResponse(
            file, as_attachment=True, filename=self.filename, content_type=self.content_type
        )
        if asynchronous:
            # See _async_chunks: a FileResponse would be read into memory whole under ASGI.
            blocks = iter(partial(file.read, STREAM_CHUNK_BYTES), b"")
            response.streaming_content = _async_chunks(blocks)
        return response


def _json_value(value, zone: tzinfo):
    return _timestamp(value, zone) if isinstance(value, datetime) else value


class JsonExporter(Exporter):
    """The whole session as one JSON document (docs/export-schema.json), streamed: the
    metadata, counts and taxonomy first, then each table as an array of objects."""

    identifier = "session.json"
    content_type = "application/json"

    def header(self) -> dict:
        live_session = self.live_session
        taxonomy = live_session.taxonomy
        strategies = self.scope.strategies()
        references = {
            reference.pk: reference for demand in strategies for reference in demand.references
        }
        return {
            "schema_version": SCHEMA_VERSION,
            "generator": "Common Ground",
            "exported_at": _timestamp(self.exported_at),
            "options": {
                "include_names": self.options.include_names,
                "include_hidden": self.options.include_hidden,
            },
            "session": {
                "code": live_session.code,
                "title": live_session.title,
                "question": live_session.question,
                "created": _timestamp(live_session.created),
                "phase": live_session.phase,
                "input_locked": live_session.input_locked,
                "settings": {
                    "dot_budget": live_session.dot_budget,
                    "dot_cap": live_session.dot_cap,
                    "allow_display_names": live_session.allow_display_names,
                    "premoderation": live_session.premoderation,
                },
                "phases": [
                    {
                        "phase": phase,
                        "label": str(Phase(phase).label),
                        "prompt": live_session.prompt_for(phase),
                        "current": phase == live_session.phase,
                    }
                    for phase in PHASE_ORDER
                ],
            },
            "counts": self.scope.counts,
            "taxonomy": {
                "slug": taxonomy.slug,
                "title": taxonomy.title,
                "version": taxonomy.version,
                "categories": [
                    {
                        "slug": category.slug,
                        "name": category.name,
                        "goal": category.goal,
                        "position": category.position,
                    }
                    for category in Category.objects.filter(taxonomy=taxonomy).order_by(
                        "position", "name"
                    )
                ],
                "strategies": [
                    dict(zip(STRATEGY_COLUMNS, _strategy_row(demand), strict=True))
                    for demand in strategies
                ],
                "references": [
                    _reference_json(reference) for reference in _by_number(references.values())
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
        return _gather(self.pieces())


def _reference_json(reference: Reference) -> dict:
    return {
        "key": reference.key,
        "number": reference.number,
        "kind": reference.kind,
        "authors": list(reference.authors),
        "year": reference.year,
        "title": reference.title,
        "venue": reference.venue,
        "doi": reference.doi,
        "url": reference.url,
    }


# --- the report -----------------------------------------------------------------------------


@dataclass
class ApproachRow:
    approach: str
    label: str
    needs_mapped: int
    mapping_percent: int
    dots: int
    dot_percent: int


@dataclass
class PresenceRow:
    """One measure (participants, needs, dots, gap notes) split between room and remote."""

    key: str
    label: str
    in_room: int
    remote: int
    in_room_percent: int
    remote_percent: int


@dataclass
class HeatCell:
    demand: StrategyDemand
    heat: int

    @property
    def strategy(self) -> Strategy:
        return self.demand.strategy


@dataclass
class HeatRow:
    category: Category
    cells: list[HeatCell]
    chart: charts.Chart | None = None


@dataclass
class GapGroup:
    kind: str
    label: str
    notes: list[GapNote]


@dataclass
class Report:
    """Everything the HTML and Markdown reports show, computed in a fixed number of queries."""

    live_session: LiveSession
    options: ExportOptions
    exported_at: datetime
    counts: dict[str, int]
    top_needs: list[Need]
    heat_rows: list[HeatRow]
    approach_split: list[ApproachRow]
    presence_split: list[PresenceRow]
    gap_groups: list[GapGroup]
    cited_strategies: list[StrategyDemand]
    bibtex: str
    figures: dict[str, charts.Chart] = field(default_factory=dict)


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def _heat(score: int, top: int) -> int:
    return 0 if score == 0 else max(1, round(score / top * (HEAT_LEVELS - 1)))


def _presence_split(scope: ExportScope) -> list[PresenceRow]:
    room, remote = Presence.IN_ROOM, Presence.REMOTE
    people = scope.counts
    needs = dict(scope.needs().order_by().values_list("author__presence").annotate(n=Count("pk")))
    dots = dict(
        scope.votes().order_by().values_list("participant__presence").annotate(n=Sum("dots"))
    )
    gaps = dict(
        scope.gap_notes().order_by().values_list("author__presence").annotate(n=Count("pk"))
    )
    measures = [
        ("participants", _("Participants"), {room: people["in_room"], remote: people["remote"]}),
        ("needs", _("Needs"), needs),
        ("dots", _("Dots"), dots),
        ("gap_notes", _("Gap notes"), gaps),
    ]
    rows = []
    for key, label, by_presence in measures:
        in_room, in_remote = by_presence.get(room, 0) or 0, by_presence.get(remote, 0) or 0
        total = in_room + in_remote
        rows.append(
            PresenceRow(
                key,
                label,
                in_room,
                in_remote,
                _percent(in_room, total),
                _percent(in_remote, total),
            )
        )
    return rows


def _approach_split(strategies: Sequence[StrategyDemand]) -> list[ApproachRow]:
    mapped: dict[str, int] = defaultdict(int)
    dots: dict[str, int] = defaultdict(int)
    for demand in strategies:
        mapped[demand.strategy.approach] += demand.needs_mapped
        dots[demand.strategy.approach] += demand.dots
    all_mapped, all_dots = sum(mapped.values()), sum(dots.values())
    return [
        ApproachRow(
            approach.value,
            str(approach.label),
            mapped[approach.value],
            _percent(mapped[approach.value], all_mapped),
            dots[approach.value],
            _percent(dots[approach.value], all_dots),
        )
        for approach in Approach
    ]


def _heat_rows(strategies: Sequence[StrategyDemand]) -> list[HeatRow]:
    """Strategies by category with a heat level relative to the most-demanded one (needs
    mapped plus dots), as the live board computes it."""
    top = max((demand.needs_mapped + demand.dots for demand in strategies), default=0)
    rows: dict[int, HeatRow] = {}
    for demand in strategies:
        category = demand.strategy.category
        row = rows.setdefault(category.pk, HeatRow(category, []))
        row.cells.append(HeatCell(demand, _heat(demand.needs_mapped + demand.dots, top)))
    return list(rows.values())


def _gap_groups(scope: ExportScope) -> list[GapGroup]:
    grouped: dict[str, list[GapNote]] = defaultdict(list)
    for note in (
        scope.gap_notes()
        .select_related("strategy", "mapping__need")
        .iterator(chunk_size=CHUNK_SIZE)
    ):
        grouped[note.kind].append(note)
    return [
        GapGroup(kind.value, str(kind.label), grouped[kind.value])
        for kind in GapKind
        if grouped[kind.value]
    ]


def _cited_strategies(strategies: Sequence[StrategyDemand]) -> list[StrategyDemand]:
    """The most-mapped strategies (ties: more dots first, then taxonomy order)."""
    demanded = sorted(
        (demand for demand in strategies if demand.needs_mapped),
        key=lambda demand: (-demand.needs_mapped, -demand.dots),
    )
    return demanded[:CITED_STRATEGIES]


def _report_charts(report: Report) -> None:
    """The report's charts; each is shown beside a table with the same numbers."""
    report.figures["top_needs"] = charts.horizontal_bar_chart(
        [charts.Bar(need.text, need.dot_total) for need in report.top_needs],
        chart_id="chart-top-needs",
        title=_("Top needs by dots"),
        description=_(
            "Dots placed on each of the most-voted needs; the table beside it lists them in full."
        ),
    )
    report.figures["approach"] = charts.horizontal_bar_chart(
        [
            charts.Bar(row.label, row.mapping_percent, f"{row.mapping_percent}%", row.approach)
            for row in report.approach_split
        ],
        chart_id="chart-approach",
        title=_("Where community demand lands"),
        description=_(
            "Share of all mappings onto platform-based, model-based, and legal and organising strategies."
        ),
        max_value=100,
    )
    report.figures["presence"] = charts.horizontal_bar_chart(
        [
            charts.Bar(row.label, row.remote_percent, f"{row.remote_percent}%", "remote")
            for row in report.presence_split
        ],
        chart_id="chart-presence",
        title=_("Remote participants' share"),
        description=_(
            "Share of participants, needs, dots and gap notes that came from remote participants."
        ),
        max_value=100,
    )
    for row in report.heat_rows:
        row.chart = charts.horizontal_bar_chart(
            [
                charts.Bar(
                    cell.strategy.name, cell.demand.needs_mapped, tone=cell.strategy.approach
                )
                for cell in row.cells
            ],
            chart_id=f"chart-category-{row.category.pk}",
            title=_("Needs mapped per strategy: %(category)s") % {"category": row.category.goal},
            description=_("Number of needs mapped onto each strategy of this category."),
        )


def build_report(live_session: LiveSession, options: ExportOptions | None = None) -> Report:
    """The session report: counts, top needs, the strategy heat map by category, gap notes by
    kind, the approach and in-room/remote splits, the references behind the most-mapped
    strategies as BibTeX, and the charts. Honours ``include_hidden``; shows no names."""
    options = options or ExportOptions()
    scope = ExportScope(live_session, options)
    strategies = scope.strategies()
    top_needs = list(
        scope.needs()
        .annotate(dot_total=scope.dots_on("need"), mapping_total=scope.mapping_count())
        .filter(dot_total__gt=0)
        .order_by("-dot_total", "created", "pk")[:TOP_NEEDS]
    )
    cited = _cited_strategies(strategies)
    references = {ref.pk: ref for item in cited for ref in item.references}
    report = Report(
        live_session=live_session,
        options=options,
        exported_at=timezone.now(),
        counts=scope.counts,
        top_needs=top_needs,
        heat_rows=_heat_rows(strategies),
        approach_split=_approach_split(strategies),
        presence_split=_presence_split(scope),
        gap_groups=_gap_groups(scope),
        cited_strategies=cited,
        bibtex=_bibtex(_by_number(references.values())),
    )
    _report_charts(report)
    return report


class MarkdownReportExporter(Exporter):
    """The report as a Markdown file (CommonMark with pipe tables), with a BibTeX block."""

    identifier = "report.md"
    content_type = "text/markdown; charset=utf-8"

    def render(self) -> str:
        report = build_report(self.live_session, self.options)
        return render_to_string("sessions/exports/report.md", {"report": report})

    def chunks(self) -> Iterator[bytes]:
        yield self.render().encode("utf-8")


EXPORTERS: dict[str, type[Exporter]] = {
    exporter.identifier: exporter
    for exporter in (CsvZipExporter, XlsxExporter, JsonExporter, MarkdownReportExporter)
}


# --- BibTeX ---------------------------------------------------------------------------------

_BIBTEX_TYPES = {
    ReferenceKind.ARTICLE: "article",
    ReferenceKind.INPROCEEDINGS: "inproceedings",
    ReferenceKind.PREPRINT: "misc",
    ReferenceKind.WEBPAGE: "misc",
    ReferenceKind.LEGAL: "misc",
}
_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "^": r"\^{}",
    "~": r"\~{}",
}
_LATEX_SPECIAL_RE = re.compile("|".join(re.escape(char) for char in _LATEX_SPECIALS))
_UNSAFE_KEY_RE = re.compile(r"[^A-Za-z0-9_:.\-]")


def _latex(value: str) -> str:
    """A field value safe inside braces: one line, LaTeX specials escaped."""
    return _LATEX_SPECIAL_RE.sub(
        lambda match: _LATEX_SPECIALS[match.group()], " ".join(value.split())
    )


def _verbatim(value: str) -> str:
    """DOIs and URLs are read verbatim by biblatex: keep them whole, but braces would unbalance
    the entry and are never part of one."""
    return "".join(value.split()).replace("{", "").replace("}", "")


def _bibtex_author(name: str) -> str:
    # "Given Family" reads right in BibTeX; an organisation (several words, digits or "&") is
    # braced so BibTeX does not take its last word for a family name, and so is a name with
    # the word "and", which BibTeX would split into two authors.
    name = " ".join(str(name).split())
    words = name.split()
    if (
        len(words) > 3
        or "&" in name
        or "and" in (word.lower() for word in words)
        or any(char.isdigit() for char in name)
    ):
        return "{" + _latex(name) + "}"
    return _latex(name)


def _bibtex_entry(reference: Reference, key: str | None = None) -> str:
    """One BibTeX entry for a reference; ``key`` overrides its citation key."""
    entry_type = _BIBTEX_TYPES.get(reference.kind, "misc")
    venue_field = {"article": "journal", "inproceedings": "booktitle"}.get(
        entry_type, "howpublished"
    )
    fields = [
        ("author", " and ".join(_bibtex_author(name) for name in reference.authors)),
        # Double braces keep the title's capitals (acronyms, names) as written.
        ("title", "{" + _latex(reference.title) + "}"),
        (venue_field, _latex(reference.venue)),
        ("year", str(reference.year)),
        ("month", _latex(reference.month)),
        ("volume", _latex(reference.volume)),
        ("number", _latex(reference.issue)),
        ("pages", _latex(reference.pages).replace("–", "--")),
        ("publisher", _latex(reference.publisher)),
        ("doi", _verbatim(reference.doi)),
        ("url", _verbatim(reference.url)),
        ("note", _latex(reference.note)),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    key = _UNSAFE_KEY_RE.sub("", key or reference.key) or f"ref{reference.number}"
    return f"@{entry_type}{{{key},\n{body}\n}}"


def _bibtex(references: Sequence[Reference]) -> str:
    """BibTeX entries for the references, with keys made unique."""
    seen: set[str] = set()
    entries = []
    for reference in references:
        key = _UNSAFE_KEY_RE.sub("", reference.key) or f"ref{reference.number}"
        while key in seen:
            key = f"{key}{reference.number}"
        seen.add(key)
        entries.append(_bibtex_entry(reference, key))
    return "\n\n".join(entries)
