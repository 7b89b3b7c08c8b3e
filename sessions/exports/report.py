"""The session report: what the printable page (sessions/exports/report.html) and the Markdown
file (report.md) show, with its charts and the references behind the most-mapped strategies.

Its statistics are the board's (sessions/queries/stats.py) read under the export's options, so a
report without hidden content shows the numbers the board showed; its BibTeX is the taxonomy
site's (taxonomy/citations.py), so a reference is the same entry wherever it is downloaded."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from sessions.exports import charts
from sessions.exports.scope import ExportOptions, ExportScope
from sessions.models import LiveSession, Need
from sessions.queries import stats
from sessions.queries.reveal import Reveal
from sessions.queries.reveal import reveal as reveal_of
from taxonomy.citations import to_bibtex

TOP_NEEDS = 10
CITED_STRATEGIES = 5  # the most-mapped strategies whose references the report cites


@dataclass
class CategoryHeat(stats.HeatRow):
    """A category of the heat map with the report's chart of its strategies."""

    chart: charts.Chart | None = None


@dataclass
class Report:
    """Everything the HTML and Markdown reports show, computed in a fixed number of queries."""

    live_session: LiveSession
    options: ExportOptions
    exported_at: datetime
    counts: dict[str, int]
    top_needs: list[Need]
    heat_rows: list[CategoryHeat]
    approach_split: list[stats.ApproachDemand]
    presence_split: list[stats.PresenceShare]
    gap_groups: list[stats.GapGroup]
    cited_strategies: list[stats.StrategyDemand]
    bibtex: str
    reveal: Reveal | None = None  # demand against the research's attention (the board's)
    figures: dict[str, charts.Chart] = field(default_factory=dict)


def _cited_strategies(strategies: Sequence[stats.StrategyDemand]) -> list[stats.StrategyDemand]:
    """The most-mapped strategies (ties: more dots first, then taxonomy order)."""
    demanded = sorted(
        (demand for demand in strategies if demand.needs_mapped),
        key=lambda demand: (-demand.needs_mapped, -demand.dots),
    )
    return demanded[:CITED_STRATEGIES]


def _category_chart(row: stats.HeatRow) -> charts.Chart:
    return charts.horizontal_bar_chart(
        [
            charts.Bar(cell.strategy.name, cell.demand.needs_mapped, tone=cell.strategy.approach)
            for cell in row.cells
        ],
        chart_id=f"chart-category-{row.category.pk}",
        title=_("Needs mapped per strategy: %(category)s") % {"category": row.category.goal},
        description=_("Number of needs mapped onto each strategy of this category."),
    )


def _percent_chart(
    shares: list[tuple], *, chart_id: str, title: str, description: str
) -> charts.Chart:
    """A chart of (label, percent, tone) shares, on a scale to 100 %."""
    return charts.horizontal_bar_chart(
        [charts.Bar(label, value, f"{value}%", tone) for label, value, tone in shares],
        chart_id=chart_id,
        title=title,
        description=description,
        max_value=100,
    )


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
    report.figures["approach"] = _percent_chart(
        [(row.label, row.mapping_percent, row.approach) for row in report.approach_split],
        chart_id="chart-approach",
        title=_("Where community demand lands"),
        description=_(
            "Share of all mappings onto platform-based, model-based, and legal and organising strategies."
        ),
    )
    report.figures["presence"] = _percent_chart(
        [(row.label, row.remote_percent, "remote") for row in report.presence_split],
        chart_id="chart-presence",
        title=_("Remote participants' share"),
        description=_(
            "Share of participants, needs, dots and gap notes that came from remote participants."
        ),
    )
    for row in report.heat_rows:
        row.chart = _category_chart(row)


def build_report(live_session: LiveSession, options: ExportOptions | None = None) -> Report:
    """The session report: counts, top needs, the strategy heat map by category, gap notes by
    kind, the approach and in-room/remote splits, the reveal (the room's demand against the
    research's attention to the community, as the wrap-up board shows it), the references behind the most-mapped
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
        heat_rows=[CategoryHeat(row.category, row.cells) for row in stats.heat_rows(strategies)],
        approach_split=stats.approach_split(scope),
        presence_split=stats.presence_split(scope),
        gap_groups=stats.gap_groups(scope),
        cited_strategies=cited,
        bibtex=to_bibtex(stats.by_number(references.values())).strip(),
        reveal=reveal_of(scope),
    )
    _report_charts(report)
    return report
