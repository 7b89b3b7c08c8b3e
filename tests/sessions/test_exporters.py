import csv
import io
import json
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path

import bibtexparser
import pytest
from django.core.management import call_command
from django.utils import timezone
from jsonschema import Draft202012Validator, FormatChecker
from openpyxl import load_workbook

from sessions import charts
from sessions.enums import ContributionStatus, Phase, Presence
from sessions.exporters import (
    CsvZipExporter,
    ExportOptions,
    JsonExporter,
    MarkdownReportExporter,
    XlsxExporter,
    _bibtex_entry,
    build_report,
)
from taxonomy.enums import Approach, ReferenceKind
from tests.factories import (
    CategoryFactory,
    GapNoteFactory,
    LiveSessionFactory,
    MappingFactory,
    NeedFactory,
    ParticipantFactory,
    ReferenceFactory,
    StrategyFactory,
    VoteFactory,
    default_taxonomy,
)

pytestmark = pytest.mark.django_db

SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "export-schema.json").read_text())
HIDDEN = ContributionStatus.HIDDEN
PENDING = ContributionStatus.PENDING


@dataclass
class Workshop:
    """A small session whose every export row is known (see the docstring of ``workshop``)."""

    session: object
    people: dict
    needs: dict
    mappings: dict
    gaps: dict
    strategies: dict
    references: list


@pytest.fixture
def workshop(db) -> Workshop:
    """Three participants (Ada and Sam in the room, Remy remote) and one removed; five needs,
    of which one hidden and one pending; six mappings, of which one hidden and one on the
    hidden need; dots, some of them on hidden things or by the removed participant; three gap
    notes, one hidden. By default the export holds 3 participants, 3 needs, 4 mappings, 5 vote
    rows (9 dots) and 2 gap notes."""
    taxonomy = default_taxonomy()
    harms = CategoryFactory(
        taxonomy=taxonomy, slug="harms", name="Auditing", goal="Making harms visible", position=0
    )
    outcome = CategoryFactory(
        taxonomy=taxonomy, slug="outcome", name="Recourse", goal="A better outcome", position=1
    )
    references = [
        ReferenceFactory(
            taxonomy=taxonomy,
            number=1,
            key="devos2022",
            kind=ReferenceKind.INPROCEEDINGS,
            authors=["Alicia DeVos", "Aditi Dhabalia"],
            year=2022,
            title="Toward User-Driven Algorithm Auditing",
            venue="CHI '22",
            doi="10.1145/3491102.3517441",
        ),
        ReferenceFactory(
            taxonomy=taxonomy,
            number=2,
            key="eeoc2023",
            kind=ReferenceKind.LEGAL,
            authors=["U.S. Equal Employment Opportunity Commission"],
            year=2023,
            title="Data & {Power}: 100% of_users #1 ~ $5",
            venue="",
            doi="",
            url="https://example.org/eeoc",
        ),
        ReferenceFactory(
            taxonomy=taxonomy,
            number=3,
            key="shan2023",
            kind=ReferenceKind.PREPRINT,
            title="Glaze: Protecting Artists",
        ),
    ]
    strategies = {
        "auditing": StrategyFactory(
            category=harms,
            slug="auditing",
            name="Everyday auditing",
            approach=Approach.PLATFORM,
            position=0,
            references=references[:2],
        ),
        "cloaking": StrategyFactory(
            category=harms,
            slug="cloaking",
            name="Cloaking tools",
            approach=Approach.MODEL,
            position=1,
            references=[references[2]],
        ),
        "contest": StrategyFactory(
            category=outcome,
            slug="contest",
            name="Legal contestation",
            approach=Approach.LEGAL_ORGANISING,
            position=0,
        ),
        "migration": StrategyFactory(
            category=outcome,
            slug="migration",
            name="Platform migration",
            approach=Approach.PLATFORM,
            position=1,
        ),
    }
    session = LiveSessionFactory(
        code="K7HQ4P",
        title="Montréal workshop",
        question="What do our communities need?",
        taxonomy=taxonomy,
        phase=Phase.WRAPUP,
    )
    people = {
        "ada": ParticipantFactory(
            live_session=session, display_name="Ada", pseudonym="Quiet Heron"
        ),
        "sam": ParticipantFactory(live_session=session, pseudonym="Bold Finch"),
        "remy": ParticipantFactory(
            live_session=session, pseudonym="Swift Lynx", presence=Presence.REMOTE
        ),
        "gone": ParticipantFactory(
            live_session=session,
            pseudonym="Loud Crow",
            presence=Presence.REMOTE,
            removed_at=timezone.now(),
        ),
    }
    needs = {
        "vanish": NeedFactory(
            author=people["ada"], text="Know why our posts vanish", context="TikTok"
        ),
        "formula": NeedFactory(author=people["remy"], text="=1+2 safer moderation"),
        "hidden": NeedFactory(author=people["sam"], text="A hidden need", status=HIDDEN),
        "leave": NeedFactory(author=people["sam"], text="Leave a platform together"),
        "pending": NeedFactory(author=people["remy"], text="A pending need", status=PENDING),
        "troll": NeedFactory(author=people["gone"], text="Written by someone removed"),
    }
    mappings = {
        "vanish-auditing": MappingFactory(
            need=needs["vanish"], author=people["ada"], strategy=strategies["auditing"]
        ),
        "vanish-cloaking": MappingFactory(
            need=needs["vanish"], author=people["sam"], strategy=strategies["cloaking"]
        ),
        "formula-auditing": MappingFactory(
            need=needs["formula"],
            author=people["remy"],
            strategy=strategies["auditing"],
            reason="-because",
        ),
        "leave-contest": MappingFactory(
            need=needs["leave"], author=people["sam"], strategy=strategies["contest"]
        ),
        "hidden-auditing": MappingFactory(
            need=needs["hidden"], author=people["ada"], strategy=strategies["auditing"]
        ),
        "leave-cloaking": MappingFactory(
            need=needs["leave"],
            author=people["sam"],
            strategy=strategies["cloaking"],
            status=HIDDEN,
        ),
    }
    VoteFactory(participant=people["ada"], need=needs["formula"], dots=2)
    VoteFactory(participant=people["sam"], need=needs["vanish"], dots=1)
    VoteFactory(participant=people["remy"], need=needs["vanish"], dots=3)
    VoteFactory(participant=people["sam"], mapping=mappings["vanish-auditing"], dots=2)
    VoteFactory(participant=people["remy"], mapping=mappings["formula-auditing"], dots=1)
    VoteFactory(participant=people["ada"], need=needs["hidden"], dots=1)
    VoteFactory(participant=people["gone"], need=needs["vanish"], dots=1)
    gaps = {
        "safety": GapNoteFactory(
            author=people["remy"],
            strategy=strategies["cloaking"],
            kind="safety",
            text="Nothing on safety for trans artists",
        ),
        "awareness": GapNoteFactory(
            author=people["ada"],
            strategy=strategies["auditing"],
            mapping=mappings["vanish-auditing"],
            kind="awareness",
            text="Nobody knows these audits exist",
        ),
        "hidden": GapNoteFactory(
            author=people["sam"],
            strategy=strategies["contest"],
            kind="other",
            text="A hidden gap",
            status=HIDDEN,
        ),
    }
    return Workshop(session, people, needs, mappings, gaps, strategies, references)


def stamp(value) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")


def read_zip(exporter) -> dict[str, list[list[str]]]:
    archive = zipfile.ZipFile(io.BytesIO(b"".join(exporter.chunks())))
    assert archive.testzip() is None
    tables = {}
    for name in archive.namelist():
        with archive.open(name) as file:
            text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
            tables[name] = list(csv.reader(text))
    return tables


# --- CSV ------------------------------------------------------------------------------------


def test_csv_zip_holds_one_file_per_table(workshop):
    tables = read_zip(CsvZipExporter(workshop.session))

    assert list(tables) == [
        "participants.csv",
        "needs.csv",
        "mappings.csv",
        "votes.csv",
        "gap_notes.csv",
        "strategies.csv",
    ]


def test_csv_participants_are_pseudonymous_by_default(workshop):
    people = workshop.people

    tables = read_zip(CsvZipExporter(workshop.session))

    assert tables["participants.csv"] == [
        ["participant", "pseudonym", "presence", "joined_at", "removed"],
        ["P1", "Quiet Heron", "room", stamp(people["ada"].joined_at), "false"],
        ["P2", "Bold Finch", "room", stamp(people["sam"].joined_at), "false"],
        ["P3", "Swift Lynx", "remote", stamp(people["remy"].joined_at), "false"],
    ]


def test_csv_names_appear_only_when_asked(workshop):
    default = read_zip(CsvZipExporter(workshop.session))
    with_names = read_zip(CsvZipExporter(workshop.session, ExportOptions(include_names=True)))

    assert "Ada" not in str(default)
    assert with_names["participants.csv"][0] == [
        "participant",
        "pseudonym",
        "display_name",
        "presence",
        "joined_at",
        "removed",
    ]
    assert [row[:3] for row in with_names["participants.csv"][1:]] == [
        ["P1", "Quiet Heron", "Ada"],
        ["P2", "Bold Finch", ""],
        ["P3", "Swift Lynx", ""],
    ]


def test_csv_never_contains_token_hashes_or_public_ids(workshop):
    options = ExportOptions(include_names=True, include_hidden=True)
    text = str(read_zip(CsvZipExporter(workshop.session, options)))

    for person in workshop.people.values():
        assert person.token_hash not in text
        assert person.public_id not in text


def test_csv_needs_rows_and_neutralised_formula(workshop):
    needs = workshop.needs

    rows = read_zip(CsvZipExporter(workshop.session))["needs.csv"]

    assert rows == [
        [
            "need_id",
            "participant",
            "text",
            "context",
            "status",
            "edited",
            "created",
            "dots",
            "mapping_count",
        ],
        [
            str(needs["vanish"].pk),
            "P1",
            "Know why our posts vanish",
            "TikTok",
            "visible",
            "false",
            stamp(needs["vanish"].created),
            "4",
            "2",
        ],
        [
            str(needs["formula"].pk),
            "P3",
            "'=1+2 safer moderation",
            "",
            "visible",
            "false",
            stamp(needs["formula"].created),
            "2",
            "1",
        ],
        [
            str(needs["leave"].pk),
            "P2",
            "Leave a platform together",
            "",
            "visible",
            "false",
            stamp(needs["leave"].created),
            "0",
            "1",
        ],
    ]


def test_csv_mappings_votes_gaps_and_strategies(workshop):
    m, needs, gaps = workshop.mappings, workshop.needs, workshop.gaps

    tables = read_zip(CsvZipExporter(workshop.session))

    assert tables["mappings.csv"][0] == [
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
    ]
    assert [
        [row[0], row[1], row[2], row[3], row[5], row[6], row[7], row[10]]
        for row in tables["mappings.csv"][1:]
    ] == [
        [
            str(m["vanish-auditing"].pk),
            str(needs["vanish"].pk),
            "P1",
            "auditing",
            "harms",
            "platform",
            "",
            "2",
        ],
        [
            str(m["vanish-cloaking"].pk),
            str(needs["vanish"].pk),
            "P2",
            "cloaking",
            "harms",
            "model",
            "",
            "0",
        ],
        [
            str(m["formula-auditing"].pk),
            str(needs["formula"].pk),
            "P3",
            "auditing",
            "harms",
            "platform",
            "'-because",
            "1",
        ],
        [
            str(m["leave-contest"].pk),
            str(needs["leave"].pk),
            "P2",
            "contest",
            "outcome",
            "legal_organising",
            "",
            "0",
        ],
    ]
    assert tables["votes.csv"] == [
        ["participant", "target", "need_id", "mapping_id", "dots"],
        ["P1", "need", str(needs["formula"].pk), "", "2"],
        ["P2", "need", str(needs["vanish"].pk), "", "1"],
        ["P3", "need", str(needs["vanish"].pk), "", "3"],
        ["P2", "mapping", "", str(m["vanish-auditing"].pk), "2"],
        ["P3", "mapping", "", str(m["formula-auditing"].pk), "1"],
    ]
    assert [row[:7] for row in tables["gap_notes.csv"]] == [
        [
            "gap_note_id",
            "participant",
            "kind",
            "strategy",
            "strategy_name",
            "mapping_id",
            "need_id",
        ],
        [str(gaps["safety"].pk), "P3", "safety", "cloaking", "Cloaking tools", "", ""],
        [
            str(gaps["awareness"].pk),
            "P1",
            "awareness",
            "auditing",
            "Everyday auditing",
            str(m["vanish-auditing"].pk),
            str(needs["vanish"].pk),
        ],
    ]
    assert tables["strategies.csv"] == [
        ["strategy", "name", "category", "category_name", "approach", "parent", "needs_mapped", "dots", "gap_notes", "references"],
        ["auditing", "Everyday auditing", "harms", "Auditing", "platform", "", "2", "3", "1", "devos2022; eeoc2023"],
        ["cloaking", "Cloaking tools", "harms", "Auditing", "model", "", "1", "0", "1", "shan2023"],
        ["contest", "Legal contestation", "outcome", "Recourse", "legal_organising", "", "1", "0", "0", ""],
        ["migration", "Platform migration", "outcome", "Recourse", "platform", "", "0", "0", "0", ""],
    ]  # fmt: skip


def test_csv_hidden_content_only_when_asked(workshop):
    default = read_zip(CsvZipExporter(workshop.session))
    everything = read_zip(CsvZipExporter(workshop.session, ExportOptions(include_hidden=True)))

    assert "A hidden need" not in str(default)
    assert "A pending need" not in str(default)
    assert "Loud Crow" not in str(default)
    assert [len(rows) - 1 for rows in default.values()] == [3, 3, 4, 5, 2, 4]
    assert [len(rows) - 1 for rows in everything.values()] == [4, 6, 6, 7, 3, 4]
    assert everything["participants.csv"][4][1:3] == ["Loud Crow", "remote"]
    assert everything["participants.csv"][4][4] == "true"
    statuses = {row[2]: row[4] for row in everything["needs.csv"][1:]}
    assert statuses["A hidden need"] == "hidden"
    assert statuses["A pending need"] == "pending"
    # The removed participant's dot on the first need now counts too.
    assert everything["needs.csv"][1][7] == "5"


def test_csv_is_streamed_in_pieces(workshop):
    chunks = list(CsvZipExporter(workshop.session).chunks())

    assert len(chunks) > 1
    assert all(isinstance(chunk, bytes) for chunk in chunks)


# --- XLSX -----------------------------------------------------------------------------------


def open_workbook(exporter):
    return load_workbook(io.BytesIO(b"".join(exporter.chunks())))


def test_xlsx_has_a_summary_then_one_sheet_per_table(workshop):
    workbook = open_workbook(XlsxExporter(workshop.session))

    assert workbook.sheetnames == [
        "Summary",
        "participants",
        "needs",
        "mappings",
        "votes",
        "gap_notes",
        "strategies",
    ]
    summary = {row[0]: row[1] for row in workbook["Summary"].iter_rows(values_only=True)}
    assert summary["Session"] == "Montréal workshop"
    assert summary["Join code"] == "K7HQ4P"
    assert summary["Question"] == "What do our communities need?"
    assert summary["Display names included"] == "no"
    assert summary["Hidden and pending content included"] == "no"
    assert [
        summary[label]
        for label in (
            "Participants",
            "In the room",
            "Remote",
            "Needs",
            "Mappings",
            "Vote rows",
            "Dots",
            "Gap notes",
        )
    ] == [3, 2, 1, 3, 4, 5, 9, 2]
    assert [workbook[name].max_row - 1 for name in workbook.sheetnames[1:]] == [3, 3, 4, 5, 2, 4]


def test_xlsx_keeps_a_formula_like_need_as_text(workshop):
    sheet = open_workbook(XlsxExporter(workshop.session))["needs"]

    cell = sheet["C3"]

    assert cell.value == "=1+2 safer moderation"
    assert cell.data_type == "s"
    assert sheet["A1"].value == "need_id" and sheet["H2"].value == 4


def test_xlsx_with_hidden_content_and_names(workshop):
    options = ExportOptions(include_names=True, include_hidden=True)

    workbook = open_workbook(XlsxExporter(workshop.session, options))

    assert [workbook[name].max_row - 1 for name in workbook.sheetnames[1:]] == [4, 6, 6, 7, 3, 4]
    header = next(workbook["participants"].iter_rows(values_only=True))
    assert header[2] == "display_name"
    assert workbook["participants"]["C2"].value == "Ada"


# --- JSON -----------------------------------------------------------------------------------


def export_json(session, options=None) -> dict:
    return json.loads(b"".join(JsonExporter(session, options).chunks()))


@pytest.mark.parametrize(
    "options",
    [ExportOptions(), ExportOptions(include_names=True, include_hidden=True)],
    ids=["default", "everything"],
)
def test_json_validates_against_the_documented_schema(workshop, options):
    document = export_json(workshop.session, options)

    errors = list(
        Draft202012Validator(SCHEMA, format_checker=FormatChecker()).iter_errors(document)
    )

    assert errors == []


def test_json_has_exact_counts_and_tables(workshop):
    document = export_json(workshop.session)

    assert document["schema_version"] == "1.0"
    assert document["counts"] == {
        "participants": 3,
        "in_room": 2,
        "remote": 1,
        "needs": 3,
        "mappings": 4,
        "votes": 5,
        "dots": 9,
        "gap_notes": 2,
    }
    assert [len(document[name]) for name in ("participants", "needs", "mappings", "votes", "gap_notes")] == [3, 3, 4, 5, 2]  # fmt: skip
    assert sum(vote["dots"] for vote in document["votes"]) == 9
    assert document["participants"][0] == {
        "participant": "P1",
        "pseudonym": "Quiet Heron",
        "presence": "room",
        "joined_at": stamp(workshop.people["ada"].joined_at),
        "removed": False,
    }
    assert document["needs"][1]["text"] == "=1+2 safer moderation"
    assert document["session"]["code"] == "K7HQ4P"
    assert document["session"]["phase"] == "wrapup"
    assert [phase["current"] for phase in document["session"]["phases"]] == [False] * 5 + [True]
    assert document["session"]["settings"] == {
        "dot_budget": 5,
        "dot_cap": 3,
        "allow_display_names": True,
        "premoderation": False,
    }


def test_json_taxonomy_lists_strategies_with_approach_category_and_counts(workshop):
    taxonomy = export_json(workshop.session)["taxonomy"]

    assert [
        (s["strategy"], s["category"], s["approach"], s["needs_mapped"], s["dots"])
        for s in taxonomy["strategies"]
    ] == [
        ("auditing", "harms", "platform", 2, 3),
        ("cloaking", "harms", "model", 1, 0),
        ("contest", "outcome", "legal_organising", 1, 0),
        ("migration", "outcome", "platform", 0, 0),
    ]
    assert [category["slug"] for category in taxonomy["categories"]] == ["harms", "outcome"]
    assert [reference["key"] for reference in taxonomy["references"]] == [
        "devos2022",
        "eeoc2023",
        "shan2023",
    ]


def test_json_display_names_only_when_asked(workshop):
    default = export_json(workshop.session)
    with_names = export_json(workshop.session, ExportOptions(include_names=True))

    assert "display_name" not in default["participants"][0]
    assert "Ada" not in json.dumps(default)
    assert with_names["participants"][0]["display_name"] == "Ada"


def test_json_is_streamed_and_survives_an_empty_session(db):
    session = LiveSessionFactory(code="EMPTY1")

    document = export_json(session)

    assert document["counts"]["participants"] == 0
    assert document["needs"] == [] and document["votes"] == []
    assert list(Draft202012Validator(SCHEMA).iter_errors(document)) == []


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


def test_bibtex_entry_escapes_latex_and_keeps_organisations_whole(workshop):
    entry = _bibtex_entry(workshop.references[1])

    library = bibtexparser.parse_string(entry)

    assert library.failed_blocks == []
    (parsed,) = library.entries
    assert parsed.entry_type == "misc"
    assert parsed["author"] == "{U.S. Equal Employment Opportunity Commission}"
    assert parsed["title"] == r"{Data \& \{Power\}: 100\% of\_users \#1 \~{} \$5}"
    assert parsed["url"] == "https://example.org/eeoc"


def test_bibtex_keeps_an_author_with_and_in_the_name_as_one_author(workshop):
    reference = workshop.references[0]
    reference.authors = ["Data and Society", "Alicia DeVos"]

    (parsed,) = bibtexparser.parse_string(_bibtex_entry(reference)).entries

    assert parsed["author"] == "{Data and Society} and Alicia DeVos"


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


# --- management command ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "check"),
    [
        ("csv", lambda data: zipfile.ZipFile(io.BytesIO(data)).testzip() is None),
        ("xlsx", lambda data: load_workbook(io.BytesIO(data)).sheetnames[0] == "Summary"),
        ("json", lambda data: json.loads(data)["counts"]["needs"] == 3),
        ("md", lambda data: data.decode().startswith("# Session report")),
    ],
)
def test_export_session_command_writes_every_format(workshop, tmp_path, fmt, check):
    output = tmp_path / f"export.{fmt}"

    call_command("export_session", "k7hq4p", "--format", fmt, "--output", str(output))

    assert check(output.read_bytes())


def test_export_session_command_honours_the_options(workshop, tmp_path):
    output = tmp_path / "export.json"

    call_command(
        "export_session",
        "K7HQ4P",
        "--format=json",
        f"--output={output}",
        "--include-names",
        "--include-hidden",
    )

    document = json.loads(output.read_text())
    assert document["options"] == {"include_names": True, "include_hidden": True}
    assert document["counts"]["needs"] == 6
