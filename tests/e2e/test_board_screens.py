"""The projector board as a room sees it: with a large session, every phase's screen fits
1920x1080 and 1280x720, in normal and projector mode, without scrolling; its QR code decodes
with a real decoder (zxing-cpp) from a screenshot; axe finds nothing. The screen follows a
phase change and the reveal live. Screenshots go to test-results/board/ (and, with
BOARD_SCREENSHOTS_DIR set, the 1920x1080 ones there too: docs/screenshots/)."""

import os
import re
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Page, expect

from sessions import services
from sessions.enums import Phase
from sessions.models import LiveSession, Need
from tests.e2e.base import BrowserTestCase
from tests.large_session import large_session

pytestmark = pytest.mark.e2e

CODE = "K7HQ4P"
ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = ROOT / "test-results" / "board"
SIZES = [(1920, 1080), (1280, 720)]
# Each screen once, and wrap-up twice: before and after the reveal.
SCREENS = [(phase.value, False) for phase in Phase] + [(Phase.WRAPUP.value, True)]


def decoded(path: Path) -> list[str]:
    """What a real QR decoder reads in a screenshot."""
    with Image.open(path) as image:
        return [barcode.text for barcode in zxingcpp.read_barcodes(image.convert("L"))]


def shoot(page: Page, name: str) -> Path:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    docs = os.environ.get("BOARD_SCREENSHOTS_DIR")
    if docs and name.endswith("-1920x1080"):
        target = Path(docs) / f"board-{name.removesuffix('-1920x1080')}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        with Image.open(path) as image:  # a palette keeps the committed files small
            image.convert("RGB").quantize(colors=128).save(target, optimize=True)
    return path


def dashboard_of(test: BrowserTestCase) -> Page:
    """A laptop logged in as a facilitator of the test's session, on its dashboard."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("ada", password="pw-for-tests-only")
    test.live_session.facilitators.add(user)
    page = test.new_page({"viewport": {"width": 1440, "height": 900}})
    page.goto(f"{test.live_server_url}/facilitate/{CODE}/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill("pw-for-tests-only")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(f"/facilitate/{CODE}/$"))
    return page


class BoardScreenTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.live_session = large_session(code=CODE, phase=Phase.LOBBY)
        self.join_url = f"{self.live_server_url}/join/{CODE}/"
        # What a phone's camera opens: the join page with "in the room" chosen (sessions.qr).
        self.scanned_url = f"{self.join_url}?at=room"

    def show(self, phase: str, *, revealed: bool = False) -> None:
        LiveSession.objects.filter(pk=self.live_session.pk).update(
            phase=phase, results_revealed=revealed
        )

    def assert_fits(self, page: Page, where: str) -> None:
        size = page.evaluate(
            "() => [document.scrollingElement.scrollWidth, document.scrollingElement.scrollHeight,"
            " window.innerWidth, window.innerHeight]"
        )
        self.assertEqual(size[:2], size[2:], f"{where}: the board scrolls ({size})")

    def test_every_screen_fits_both_projectors_its_qr_code_decodes_and_axe_is_clean(self) -> None:
        for phase, revealed in SCREENS:
            self.show(phase, revealed=revealed)
            for width, height in SIZES:
                for projector in (False, True):
                    name = f"{phase}{'-revealed' if revealed else ''}-{width}x{height}"
                    name += "-projector" if projector else ""
                    with self.subTest(name):
                        page = self.new_page({"viewport": {"width": width, "height": height}})
                        query = "?projector=1" if projector else ""
                        page.goto(f"{self.live_server_url}/s/{CODE}/board/{query}")
                        expect(page.locator("#board-screen")).to_have_attribute(
                            "data-screen", phase
                        )
                        expect(page.locator("#connection-status")).to_have_text("Live")
                        page.wait_for_timeout(300)  # board.js fits the lists
                        self.assert_fits(page, name)
                        self.assertIn(self.scanned_url, decoded(shoot(page, name)), name)
                        self.assert_accessible(page)
                        page.context.close()
                        self._contexts.remove(page.context)

    def test_the_spotlight_and_the_announcement_cover_the_screen_without_moving_it(self) -> None:
        need = Need.objects.filter(live_session=self.live_session).order_by("pk").first()
        LiveSession.objects.filter(pk=self.live_session.pk).update(
            phase=Phase.VOTING, spotlight_need=need, announcement="Coffee in five minutes"
        )
        for width, height in SIZES:
            with self.subTest(f"{width}x{height}"):
                board = self.new_page({"viewport": {"width": width, "height": height}})
                board.goto(f"{self.live_server_url}/s/{CODE}/board/")
                expect(board.locator("#board-spotlight")).to_be_visible()
                expect(board.locator("#board-spotlight")).to_contain_text(need.text)
                expect(board.locator(".announcement")).to_contain_text("Coffee in five minutes")
                self.assert_fits(board, "spotlight and announcement")
                shoot(board, f"spotlight-{width}x{height}")
                self.assert_accessible(board)

    def test_the_screen_follows_a_phase_change_and_the_reveal_live(self) -> None:
        self.show(Phase.MAPPING)
        dashboard = dashboard_of(self)
        board = self.new_page({"viewport": {"width": 1280, "height": 720}})
        board.goto(f"{self.live_server_url}/s/{CODE}/board/")
        expect(board.locator("#connection-status")).to_have_text("Live")
        expect(board.locator("#board-grid .grid-category")).to_have_count(4)

        dashboard.get_by_role("button", name="Next phase →").click()
        # As a person would, act again once the dashboard shows the new phase: its controls
        # are swapped with the answer, and a choice made in the old ones is lost with them.
        expect(dashboard.locator("#controls")).to_contain_text("Phase: Voting")
        expect(board.locator(".board")).to_have_attribute("data-screen", "voting")
        expect(board.locator("#board-dots")).to_contain_text("dots left in the room")
        self.assert_fits(board, "voting after the switch")

        dashboard.get_by_label("Go to phase").select_option(label="Wrap-up")
        dashboard.get_by_role("button", name="Go to phase").click()
        expect(board.locator("#board-wrapup")).to_contain_text("The results appear")
        dashboard.get_by_role("button", name="Reveal the results on the board").click()
        expect(board.locator("#board-wrapup")).to_contain_text(
            "Where the room's demand meets research on LGBTQIA2S+ communities"
        )
        expect(board.locator(".reveal-gaps")).to_contain_text("In high demand")
        self.assert_fits(board, "the reveal after the switch")
        self.assert_accessible(board)

        dashboard.get_by_role("button", name="Hide the results").click()
        expect(board.locator("#board-wrapup")).to_contain_text("The results appear")

    def phone_of(self, participant) -> Page:
        page = self.new_page()
        host = self.live_server_url.split("//")[1].split(":")[0]
        page.context.add_cookies(
            [{"name": f"cg_p_{CODE}", "value": participant.token, "domain": host, "path": "/"}]
        )
        page.goto(f"{self.live_server_url}/s/{CODE}/")
        expect(page.locator("#connection-status")).to_have_text("Live")
        return page

    def test_a_new_need_arrives_at_the_top_and_the_count_follows(self) -> None:
        from tests.factories import ParticipantFactory

        self.show(Phase.NEEDS)
        board = self.new_page({"viewport": {"width": 1920, "height": 1080}})
        board.goto(f"{self.live_server_url}/s/{CODE}/board/")
        expect(board.locator("#connection-status")).to_have_text("Live")
        expect(board.locator("#needs-total")).to_contain_text("100 in all")
        phone = self.phone_of(ParticipantFactory(live_session=self.live_session))

        phone.get_by_label("A need of your community").fill("Fresh from the back row")
        phone.get_by_role("button", name="Post need").click()

        expect(board.locator("#needs-list > li").first).to_contain_text("Fresh from the back row")
        expect(board.locator("#needs-total")).to_contain_text("101 in all")
        self.assert_fits(board, "needs after a post")
        hidden = board.locator("#needs-list > li.need-card[hidden]").count()
        self.assertGreater(hidden, 0, "older needs roll off instead of being cut")

    def test_at_zero_input_closes_and_the_phone_and_the_board_say_time_is_up(self) -> None:
        from tests.factories import ParticipantFactory

        self.show(Phase.NEEDS)
        person = ParticipantFactory(live_session=self.live_session)
        services.set_timer(live_session=self.live_session, actor=None, command="start", seconds=3)
        board = self.new_page({"viewport": {"width": 1280, "height": 720}})
        board.goto(f"{self.live_server_url}/s/{CODE}/board/")
        phone = self.phone_of(person)
        phone.get_by_label("A need of your community").fill("Typed as the clock ran out")

        expect(phone.locator("#phase-banner .time-up-note")).to_be_visible(timeout=6_000)
        expect(phone.locator("#phase-banner .time-up-note")).to_have_text(
            "Time is up for this phase. The facilitators can give more time."
        )
        expect(phone.locator("#phase-banner .timer")).to_have_text("Time is up")
        expect(board.locator("#phase-banner .timer")).to_have_text("Time is up")
        with phone.expect_response(re.compile("/needs/$")) as answer:
            phone.get_by_role("button", name="Post need").click()
        self.assertEqual(answer.value.status, 409)
        self.assertIn("Time is up for this phase", answer.value.text())
        expect(phone.get_by_label("A need of your community")).to_have_value(
            "Typed as the clock ran out"
        )
        self.assertFalse(Need.objects.filter(text="Typed as the clock ran out").exists())
        shoot(board, "time-is-up-1280x720")
        shoot(phone, "time-is-up-phone")
        self.assert_accessible(phone)
        self.assert_accessible(board)


class JoinCodeTests(BrowserTestCase):
    """The QR code scans wherever it is shown: the dashboard and the printed poster."""

    def setUp(self) -> None:
        super().setUp()
        self.live_session = large_session(code=CODE, phase=Phase.WRAPUP)
        self.join_url = f"{self.live_server_url}/join/{CODE}/"
        # What a phone's camera opens: the join page with "in the room" chosen (sessions.qr).
        self.scanned_url = f"{self.join_url}?at=room"

    def test_the_dashboard_qr_code_decodes_and_its_preview_follows_the_reveal(self) -> None:
        page = dashboard_of(self)
        self.assertIn(self.scanned_url, decoded(shoot(page, "dashboard-1440x900")))

        page.get_by_role("button", name="Reveal the results on the board").click()
        expect(page.locator("#presenting")).to_contain_text("the room's demand against")
        expect(page.locator("#presenting .board-preview-frame")).to_contain_text(
            "In high demand, and the research is silent"
        )
        expect(page.get_by_role("button", name="Hide the results")).to_be_visible()
        page.locator("#presenting").screenshot(path=str(ARTEFACTS / "dashboard-preview.png"))
        self.assert_accessible(page)

    def test_the_poster_fits_one_page_of_a4_and_letter_and_its_qr_code_decodes(self) -> None:
        # Paper sizes at the 96 dots per inch browsers print at.
        for paper, width, height in (("A4", 794, 1123), ("Letter", 816, 1056)):
            with self.subTest(paper):
                page = self.new_page({"viewport": {"width": width, "height": height}})
                page.goto(f"{self.live_server_url}/s/{CODE}/poster/")
                self.assert_accessible(page)
                page.emulate_media(media="print")
                self.assertIn(self.scanned_url, decoded(shoot(page, f"poster-{paper}")))
                pdf = page.pdf(format=paper)
                pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
                self.assertEqual(pages, 1, f"the poster takes {pages} pages of {paper}")
                expect(page.locator(".poster [lang=fr]").first).to_have_text(
                    "Participez à la séance"
                )
