"""A facilitator opens the exports page and the printable report, in light and dark mode, and
downloads the files through the ASGI server."""

import json
import re
import zipfile

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from sessions.enums import ContributionStatus, Phase, Presence
from tests.e2e.base import LAPTOP, BrowserTestCase
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

pytestmark = pytest.mark.e2e

CODE = "K7HQ4P"
PASSWORD = "pw-for-tests-only"


class ReportTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        taxonomy = default_taxonomy()
        reference = ReferenceFactory(taxonomy=taxonomy, title="Toward User-Driven Auditing")
        strategies = []
        for index, goal in enumerate(["Making harms visible", "A better outcome"]):
            category = CategoryFactory(taxonomy=taxonomy, goal=goal, position=index)
            strategies.append(
                StrategyFactory(
                    category=category,
                    name=f"Platform strategy {index}",
                    approach="platform",
                    references=[reference],
                )
            )
            strategies.append(
                StrategyFactory(category=category, name=f"Model strategy {index}", approach="model")
            )
        live_session = LiveSessionFactory(
            code=CODE,
            phase=Phase.WRAPUP,
            title="Montréal workshop",
            question="What do our communities need?",
        )
        room = ParticipantFactory(live_session=live_session)
        remote = ParticipantFactory(live_session=live_session, presence=Presence.REMOTE)
        vanish = NeedFactory(author=room, text="Know why our posts vanish")
        leave = NeedFactory(author=remote, text="Leave a platform together")
        NeedFactory(author=remote, text="A hidden need", status=ContributionStatus.HIDDEN)
        mapping = MappingFactory(need=vanish, author=room, strategy=strategies[0])
        MappingFactory(need=leave, author=remote, strategy=strategies[1])
        VoteFactory(participant=remote, need=vanish, dots=3)
        VoteFactory(participant=room, mapping=mapping, dots=2)
        GapNoteFactory(author=remote, strategy=strategies[1], kind="safety", text="No safety work")
        user = get_user_model().objects.create_user("facilitator", password=PASSWORD)
        live_session.facilitators.add(user)

    def log_in(self, **options) -> Page:
        page = self.new_page(LAPTOP, **options)
        page.goto(f"{self.live_server_url}/accounts/login/")
        page.get_by_label("Username").fill("facilitator")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="My sessions")).to_be_visible()
        return page

    def check_report(self, page: Page) -> None:
        expect(page.get_by_role("heading", level=1)).to_have_text("Montréal workshop")
        expect(page.get_by_text("What do our communities need?")).to_be_visible()
        charts = page.locator("svg[role=img]")
        # Top needs, the approach split, room/remote, and one per category.
        expect(charts).to_have_count(5)
        expect(charts.first).to_be_visible()
        expect(page.get_by_role("img", name=re.compile("Top needs by dots"))).to_be_visible()
        expect(page.locator(".report-bibtex")).to_contain_text("@article{")
        self.assert_accessible(page)

    def test_facilitator_opens_the_report_from_the_exports_page(self) -> None:
        page = self.log_in()

        page.goto(f"{self.live_server_url}/facilitate/{CODE}/export/")
        self.assert_accessible(page)
        page.get_by_label("Include hidden and pending content").check()
        page.get_by_role("button", name="Open the report").click()

        expect(page).to_have_url(
            re.compile(rf"/facilitate/{CODE}/export/report/\?.*include_hidden=on")
        )
        self.check_report(page)
        expect(page.get_by_text("includes hidden and pending contributions")).to_be_visible()

    def test_report_in_dark_mode(self) -> None:
        page = self.log_in(color_scheme="dark")

        page.goto(f"{self.live_server_url}/facilitate/{CODE}/export/")
        expect(page.locator("html")).to_have_attribute("data-bs-theme", "dark")
        self.assert_accessible(page)
        page.goto(f"{self.live_server_url}/facilitate/{CODE}/export/report/")

        self.check_report(page)
        expect(page.get_by_text("A hidden need")).to_have_count(0)

    def test_downloads_through_the_asgi_server(self) -> None:
        page = self.log_in()
        page.goto(f"{self.live_server_url}/facilitate/{CODE}/export/")

        with page.expect_download() as csv_download:
            page.get_by_role("button", name="Download CSV tables (zip)").click()
        with page.expect_download() as json_download:
            page.get_by_role("button", name="Download the whole session (JSON)").click()

        self.assertEqual(csv_download.value.suggested_filename, f"{CODE}-csv.zip")
        with zipfile.ZipFile(csv_download.value.path()) as archive:
            self.assertIsNone(archive.testzip())
            self.assertIn("needs.csv", archive.namelist())
        self.assertEqual(json_download.value.suggested_filename, f"{CODE}-session.json")
        document = json.loads(json_download.value.path().read_text())
        self.assertEqual(document["counts"]["needs"], 2)

    def test_download_everything_holds_each_single_download(self) -> None:
        page = self.new_page({"viewport": {"width": 1440, "height": 900}})
        page.goto(f"{self.live_server_url}/accounts/login/")
        page.get_by_label("Username").fill("facilitator")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{self.live_server_url}/facilitate/{CODE}/export/")
        page.get_by_label("Include hidden and pending content").check()
        self.assert_accessible(page)
        page.screenshot(path="/tmp/reads-exports-page.png", full_page=True)

        singles = {}
        for label in (
            "Download the report (Markdown)",
            "Download CSV tables (zip)",
            "Download workbook (XLSX)",
            "Download the whole session (JSON)",
        ):
            with page.expect_download() as download:
                page.get_by_role("button", name=label).click()
            singles[download.value.suggested_filename] = download.value.path().read_bytes()
        with page.expect_download() as everything:
            page.get_by_role("button", name="Download everything (zip)").click()

        self.assertEqual(everything.value.suggested_filename, f"{CODE}-everything.zip")
        with zipfile.ZipFile(everything.value.path()) as archive:
            self.assertIsNone(archive.testzip())
            self.assertEqual(sorted(archive.namelist()), sorted(singles))
            inside = {name: archive.read(name) for name in archive.namelist()}
        # Made a moment apart: the files agree but for the export time they state.
        self.assertEqual(
            zip_texts(inside[f"{CODE}-csv.zip"]), zip_texts(singles[f"{CODE}-csv.zip"])
        )
        document, single = (
            json.loads(files[f"{CODE}-session.json"]) for files in (inside, singles)
        )
        document.pop("exported_at"), single.pop("exported_at")
        self.assertEqual(document, single)
        self.assertEqual(document["counts"]["needs"], 3)  # the hidden need, as asked
        self.assertEqual(
            sheets(inside[f"{CODE}-session.xlsx"]), sheets(singles[f"{CODE}-session.xlsx"])
        )
        self.assertIn("Know why our posts vanish", inside[f"{CODE}-report.md"].decode())


def sheets(data: bytes) -> dict[str, list[tuple]]:
    """A workbook's values, sheet by sheet, but for the export time on its Summary."""
    import io

    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True)
    return {
        sheet.title: [row for row in sheet.iter_rows(values_only=True) if row[0] != "Exported at"]
        for sheet in workbook.worksheets
    }


def zip_texts(data: bytes) -> dict[str, bytes]:
    import io

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}
