"""Download everything: one zip holding every export format, each file named and made as its
own download (same options, so the same privacy rules), refused to whoever may not export; the
export page and the export_session command are made from the exporters' registry."""

import io
import json
import zipfile
from datetime import UTC, datetime
from unittest import mock

import pytest
from django.core.management import call_command
from django.urls import reverse

from sessions.enums import ContributionStatus
from sessions.exports import EXPORTERS
from sessions.exports.formats import FORMATS as SINGLE_FORMATS
from sessions.management.commands.export_session import FORMATS
from tests.factories import NeedFactory, ParticipantFactory

pytestmark = pytest.mark.django_db
EXPORTED_AT = datetime(2026, 3, 14, 9, 26, 53, tzinfo=UTC)
SINGLE = list(SINGLE_FORMATS)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def session_with_content(live_session, facilitator):
    ada = ParticipantFactory(live_session=live_session, display_name="Ada Lovelace")
    NeedFactory(author=ada, text="Know why our posts vanish")
    NeedFactory(author=ada, text="A hidden need", status=ContributionStatus.HIDDEN)
    return live_session


def download(client, name: str, code: str, options: dict) -> bytes:
    # One export time for every request: files that carry it can then be compared as bytes.
    with mock.patch("django.utils.timezone.now", return_value=EXPORTED_AT):
        response = client.get(reverse(f"sessions:{name}", args=[code]), options)
        assert response.status_code == 200
        return body(response)  # a streamed file is made while it is read


def same_archive(one: bytes, other: bytes, *, ignore=()) -> bool:
    """Two zip archives hold the same files with the same bytes (``ignore``: names left out,
    like the workbook's creation time that openpyxl takes from the clock)."""
    a, b = zipfile.ZipFile(io.BytesIO(one)), zipfile.ZipFile(io.BytesIO(other))
    names = [name for name in a.namelist() if name not in ignore]
    return names == [name for name in b.namelist() if name not in ignore] and all(
        a.read(name) == b.read(name) for name in names
    )


@pytest.mark.parametrize(
    "options", [{}, {"include_names": "on", "include_hidden": "on"}], ids=["private", "all"]
)
def test_the_zip_holds_every_format_equal_to_its_single_download(
    facilitator_client, session_with_content, options
):
    code = session_with_content.code
    everything = zipfile.ZipFile(
        io.BytesIO(download(facilitator_client, "export_everything", code, options))
    )

    assert everything.testzip() is None
    assert everything.namelist() == [f"{code}-{exporter.identifier}" for exporter in SINGLE]
    for exporter in SINGLE:
        single = download(facilitator_client, exporter.url_name, code, options)
        inside = everything.read(f"{code}-{exporter.identifier}")
        if exporter.identifier == "session.xlsx":
            assert same_archive(inside, single, ignore={"docProps/core.xml"})
        else:
            assert inside == single, exporter.identifier
    # The privacy options reach every file inside.
    report = json.loads(everything.read(f"{code}-session.json"))
    named = "Ada Lovelace" in everything.read(f"{code}-report.md").decode() or any(
        row.get("display_name") == "Ada Lovelace" for row in report["participants"]
    )
    hidden = any(need["text"] == "A hidden need" for need in report["needs"])
    assert named == hidden == bool(options)


def test_the_zip_is_refused_as_each_export_is(client, session_with_content):
    from django.contrib.auth import get_user_model

    url = reverse("sessions:export_everything", args=[session_with_content.code])
    stranger = get_user_model().objects.create_user("stranger", password="pw-for-tests-only")

    anonymous = client.get(url)
    client.force_login(stranger)
    refused = client.get(url)

    assert anonymous.status_code == 302 and refused.status_code == 403


def test_the_export_page_offers_every_exporter_of_the_registry(facilitator_client, live_session):
    page = facilitator_client.get(reverse("sessions:export", args=[live_session.code])).text

    for exporter in EXPORTERS.values():
        url = reverse(f"sessions:{exporter.url_name}", args=[live_session.code])
        assert f'formaction="{url}"' in page
        assert str(exporter.button) in page
    assert "Download everything (zip)" in page


def test_the_command_offers_every_exporter_of_the_registry(
    session_with_content, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)

    assert sorted(FORMATS.values()) == sorted(EXPORTERS)
    assert FORMATS["all"] == "everything.zip"
    call_command(
        "export_session", session_with_content.code, "--format", "all", stderr=io.StringIO()
    )

    written = zipfile.ZipFile(tmp_path / f"{session_with_content.code}-everything.zip")
    assert len(written.namelist()) == len(SINGLE)
