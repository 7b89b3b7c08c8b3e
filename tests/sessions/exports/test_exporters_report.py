import xml.etree.ElementTree as ET

import bibtexparser
import pytest

from sessions.exports import charts
from sessions.exports.formats import MarkdownReportExporter
from sessions.exports.report import build_report
from taxonomy.citations import bibtex_entry
from tests.factories import NeedFactory

pytestmark = pytest.mark.django_db


# --- report ---------------------------------------------------------------------------------


def test_report_numbers(workshop):
    report = build_report(workshop.session)

    assert [need.text for need in report.top_needs] == [
        "Know why our posts vanish",
        "=1+2 safer moderation",
    ]
    assert [(row.approach, row.needs_mapped, row.mapping_percent, row.dots, row.dot_percent) for row in report.approach_split] == [
        ("platform", 2, 50, 3, 100),
        ("model", 1, 25, 0, 0),
        ("legal_organising", 1, 25, 0, 0),
    ]  # fmt: skip
    assert [(row.key, row.in_room, row.remote, row.in_room_percent, row.remote_percent) for row in report.presence_split] == [
        ("participants", 2, 1, 67, 33),
        ("needs", 2, 1, 67, 33),
        ("dots", 5, 4, 56, 44),
        ("gap_notes", 1, 1, 50, 50),
    ]  # fmt: skip
    assert [group.kind for group in report.gap_groups] == ["awareness", "safety"]
    assert [item.strategy.slug for item in report.cited_strategies] == [
        "auditing",
        "cloaking",
        "contest",
    ]
    heat = {cell.strategy.slug: cell.heat for row in report.heat_rows for cell in row.cells}
    assert heat == {"auditing": 4, "cloaking": 1, "contest": 1, "migration": 0}


def test_markdown_report_has_question_top_needs_splits_and_bibtex(workshop):
    text = MarkdownReportExporter(workshop.session).render()

    assert "# Session report: Montréal workshop" in text
    assert "> What do our communities need?" in text
    first = text.index("1. Know why our posts vanish (TikTok) — 4 dots, mapped to 2 strategies")
    second = text.index("2. \\=1+2 safer moderation — 2 dots, mapped to 1 strategy")
    assert first < second
    assert "| Platform-based | 2 | 50% | 3 | 100% |" in text
    assert "| Model-based | 1 | 25% | 0 | 0% |" in text
    assert "| Participants | 2 (67%) | 1 (33%) |" in text
    assert "| Dots | 5 (56%) | 4 (44%) |" in text
    assert "A hidden" not in text
    bibtex = text.split("```bibtex\n", 1)[1].split("\n```", 1)[0]
    library = bibtexparser.parse_string(bibtex)
    assert library.failed_blocks == []
    assert [entry.key for entry in library.entries] == ["devos2022", "eeoc2023", "shan2023"]
    assert library.entries[0]["doi"] == "10.1145/3491102.3517441"


def test_markdown_escapes_what_participants_wrote(workshop):
    NeedFactory(
        author=workshop.people["ada"], text="# <script>alert(1)</script> | *loud*"
    ).votes.create(participant=workshop.people["sam"], live_session=workshop.session, dots=3)

    text = MarkdownReportExporter(workshop.session).render()

    assert "<script>" not in text
    assert "\\# \\<script\\>alert(1)\\</script\\> \\| \\*loud\\*" in text


def report_entries(session) -> dict:
    """The report's BibTeX entries by citation key."""
    library = bibtexparser.parse_string(build_report(session).bibtex)
    assert library.failed_blocks == []
    return {entry.key: entry for entry in library.entries}


# The report's BibTeX is written by taxonomy/citations.py, as the taxonomy site's downloads
# are, so a reference is one entry wherever it is downloaded. The two tests below asserted the
# report's former writer (title braced whole, braces as \{ \}, names as written); they now
# assert the citations writer's output for the same reference.


def test_bibtex_entry_escapes_latex_and_keeps_organisations_whole(workshop):
    reference = workshop.references[1]

    parsed = report_entries(workshop.session)["eeoc2023"]

    assert bibtex_entry(reference).strip() in build_report(workshop.session).bibtex
    assert parsed.entry_type == "misc"
    assert parsed["author"] == "{U.S. Equal Employment Opportunity Commission}"
    assert parsed["title"] == (
        r"{Data} \& {{\textbraceleft{}Power\textbraceright{}:}} 100\% of\_users \#1"
        r" \textasciitilde{} \$5"
    )
    assert parsed["url"] == "https://example.org/eeoc"


def test_bibtex_keeps_an_author_with_and_in_the_name_as_one_author(workshop):
    reference = workshop.references[0]
    reference.authors = ["Data and Society", "Alicia DeVos"]
    reference.save()

    parsed = report_entries(workshop.session)["devos2022"]

    assert parsed["author"] == "{Data and Society} and DeVos, Alicia"


def test_bar_chart_is_well_formed_svg_with_a_title():
    chart = charts.horizontal_bar_chart(
        [charts.Bar("Folk theorisation & <friends>", 3), charts.Bar("Data strikes", 0)],
        chart_id="chart-test",
        title="Needs per strategy",
        description="How many needs were mapped onto each strategy.",
    )

    root = ET.fromstring(str(chart.svg))

    ns = {"svg": "http://www.w3.org/2000/svg"}
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "chart-test-title chart-test-desc"
    assert root.find("svg:title", ns).text == "Needs per strategy"
    assert root.find("svg:title", ns).get("id") == "chart-test-title"
    assert root.find("svg:desc", ns).get("id") == "chart-test-desc"
    labels = [text.text for text in root.iter("{http://www.w3.org/2000/svg}text")]
    assert labels == ["Folk theorisation & <friends>", "3", "Data strikes", "0"]
    assert "style=" not in str(chart.svg)
