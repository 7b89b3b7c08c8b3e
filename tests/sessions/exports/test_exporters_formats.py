import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from jsonschema import Draft202012Validator, FormatChecker
from openpyxl import load_workbook

from sessions.exports.formats import CsvZipExporter, JsonExporter, XlsxExporter
from sessions.exports.scope import ExportOptions
from tests.factories import LiveSessionFactory

pytestmark = pytest.mark.django_db

SCHEMA = json.loads((Path(__file__).parents[3] / "docs" / "export-schema.json").read_text())


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
