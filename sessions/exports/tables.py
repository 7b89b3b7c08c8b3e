"""The export's tables, each defined once as column specs: the CSV files of the zip, the sheets
of the workbook and the arrays of the JSON document have the same columns in the same order
(docs/exports.md, Tables). Rows are read lazily, in chunks, so a table of any size streams."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from django.db.models import QuerySet

from sessions.exports.scope import ExportScope
from sessions.queries.stats import StrategyDemand
from sessions.queries.visibility import CHUNK_SIZE


@dataclass(frozen=True)
class Column:
    """One column: its name, what it is read from (a field or annotation of the table's
    queryset; for strategies, an attribute path on StrategyDemand) and how a value read
    becomes the exported one."""

    name: str
    source: str = ""  # empty: the field of the same name
    convert: Callable[[Any], Any] | None = None
    participant: bool = False  # the source is a participant pk, exported as P1, P2, ...
    names_only: bool = False  # only with the include_names option

    @property
    def read_from(self) -> str:
        return self.source or self.name


@dataclass(frozen=True)
class TableSpec:
    name: str  # file stem, sheet name and JSON key
    columns: tuple[Column, ...]
    queryset: Callable[[ExportScope], QuerySet]


@dataclass(frozen=True)
class Table:
    """One table as the formats see it: its name, column names, and a function that yields
    its rows (tuples in column order) lazily."""

    name: str
    columns: tuple[str, ...]
    rows: Callable[[], Iterator[tuple]]


def _is_set(value) -> bool:
    return value is not None


def _vote_target(need_id: int | None) -> str:
    return "need" if need_id else "mapping"


def _needs_with_totals(scope: ExportScope) -> QuerySet:
    return scope.needs().annotate(
        dot_total=scope.dots_on("need"), mapping_total=scope.mapping_count()
    )


def _mappings_with_dots(scope: ExportScope) -> QuerySet:
    return scope.mappings().annotate(dot_total=scope.dots_on("mapping"))


TABLE_SPECS = (
    TableSpec(
        "participants",
        (
            Column("participant", "pk", participant=True),
            Column("pseudonym"),
            Column("display_name", names_only=True),
            Column("presence"),
            Column("joined_at"),
            Column("removed", "removed_at", convert=_is_set),
        ),
        ExportScope.participants,
    ),
    TableSpec(
        "needs",
        (
            Column("need_id", "pk"),
            Column("participant", "author_id", participant=True),
            Column("text"),
            Column("context"),
            Column("status"),
            Column("edited"),
            Column("created"),
            Column("dots", "dot_total"),
            Column("mapping_count", "mapping_total"),
        ),
        _needs_with_totals,
    ),
    TableSpec(
        "mappings",
        (
            Column("mapping_id", "pk"),
            Column("need_id"),
            Column("participant", "author_id", participant=True),
            Column("strategy", "strategy__slug"),
            Column("strategy_name", "strategy__name"),
            Column("category", "strategy__category__slug"),
            Column("approach", "strategy__approach"),
            Column("reason"),
            Column("status"),
            Column("created"),
            Column("dots", "dot_total"),
        ),
        _mappings_with_dots,
    ),
    TableSpec(
        "votes",
        (
            Column("participant", "participant_id", participant=True),
            Column("target", "need_id", convert=_vote_target),
            Column("need_id"),
            Column("mapping_id"),
            Column("dots"),
        ),
        ExportScope.votes,
    ),
    TableSpec(
        "gap_notes",
        (
            Column("gap_note_id", "pk"),
            Column("participant", "author_id", participant=True),
            Column("kind"),
            Column("strategy", "strategy__slug"),
            Column("strategy_name", "strategy__name"),
            Column("mapping_id"),
            Column("need_id", "mapping__need_id"),
            Column("text"),
            Column("status"),
            Column("created"),
        ),
        ExportScope.gap_notes,
    ),
)


def _reference_keys(references) -> list[str]:
    return [reference.key for reference in references]


# The strategies table reads StrategyDemand objects (references prefetched), not rows.
STRATEGY_COLUMNS = (
    Column("strategy", "strategy.slug"),
    Column("name", "strategy.name"),
    Column("category", "strategy.category.slug"),
    Column("category_name", "strategy.category.name"),
    Column("approach", "strategy.approach"),
    Column("parent", "strategy.parent.slug"),
    Column("needs_mapped"),
    Column("dots"),
    Column("gap_notes"),
    Column("references", convert=_reference_keys),
)
STRATEGY_COLUMN_NAMES = tuple(column.name for column in STRATEGY_COLUMNS)


def _attribute(value, path: str):
    """``value.a.b`` for the path "a.b"; None as soon as a step is None (a strategy with no
    parent)."""
    for name in path.split("."):
        if value is None:
            return None
        value = getattr(value, name)
    return value


def strategy_row(demand: StrategyDemand) -> tuple:
    """One row of the strategies table."""
    values = ((column, _attribute(demand, column.read_from)) for column in STRATEGY_COLUMNS)
    return tuple(column.convert(value) if column.convert else value for column, value in values)


def _table(spec: TableSpec, scope: ExportScope) -> Table:
    columns = tuple(
        column for column in spec.columns if scope.options.include_names or not column.names_only
    )
    # Each source is read once, even when two columns show it (a vote's target and need_id).
    sources = list(dict.fromkeys(column.read_from for column in columns))

    # Values in column order, picked at C speed; only the few converted columns cost more.
    pick = itemgetter(*(sources.index(column.read_from) for column in columns))

    def rows() -> Iterator[tuple]:
        numbers = scope.participant_numbers
        converters = [
            (position, numbers.__getitem__ if column.participant else column.convert)
            for position, column in enumerate(columns)
            if column.participant or column.convert
        ]
        for row in spec.queryset(scope).values_list(*sources).iterator(chunk_size=CHUNK_SIZE):
            values = list(pick(row))
            for position, convert in converters:
                values[position] = convert(values[position])
            yield tuple(values)

    return Table(spec.name, tuple(column.name for column in columns), rows)


def _strategy_table(scope: ExportScope) -> Table:
    def rows() -> Iterator[tuple]:
        for demand in scope.strategies():
            yield strategy_row(demand)

    return Table("strategies", STRATEGY_COLUMN_NAMES, rows)


def tables(scope: ExportScope) -> list[Table]:
    """The export's tables, in the order of the zip, the workbook and the JSON document."""
    return [*(_table(spec, scope) for spec in TABLE_SPECS), _strategy_table(scope)]
