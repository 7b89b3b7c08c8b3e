"""A facilitator puts a need in the spotlight from the dashboard; the board shows it at once,
at both projector sizes, without scrolling, and lets it go when the spotlight is cleared."""

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from sessions.enums import Phase
from tests.e2e.base import BrowserTestCase
from tests.factories import LiveSessionFactory, NeedFactory, ParticipantFactory

pytestmark = pytest.mark.e2e

CODE = "SPOT7N"
SIZES = [(1920, 1080), (1280, 720)]
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-results" / "board"
LONG = (
    "Know why my posts about trans healthcare get shadowbanned, and have a way to prove it "
    "to the platform without outing anyone in our group chat"
)


class SpotlightNeedTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.live_session = LiveSessionFactory(code=CODE, phase=Phase.VOTING, title="Plenary")
        user = get_user_model().objects.create_user("ada", password="pw-for-tests-only")
        self.live_session.facilitators.add(user)
        author = ParticipantFactory(live_session=self.live_session, presence="remote")
        NeedFactory(live_session=self.live_session, author=author, text="Tools for old phones")
        self.need = NeedFactory(
            live_session=self.live_session, author=author, text=LONG, context="Instagram"
        )

    def test_the_board_follows_a_need_spotlit_from_the_dashboard_and_its_clearing(self) -> None:
        dashboard = self.facilitator_page("ada", "pw-for-tests-only", f"/facilitate/{CODE}/")
        boards = []
        for width, height in SIZES:
            board = self.new_page({"viewport": {"width": width, "height": height}})
            board.goto(f"{self.live_server_url}/s/{CODE}/board/")
            expect(board.locator("#connection-status")).to_have_text("Live")
            expect(board.locator("#board-spotlight")).to_be_hidden()
            boards.append((board, width, height))

        dashboard.get_by_label("Spotlight a need on the board").select_option(str(self.need.pk))
        dashboard.locator("#controls").get_by_role("button", name="Spotlight").first.click()

        for board, width, height in boards:
            spotlight = board.locator("#board-spotlight")
            expect(spotlight).to_be_visible()
            expect(spotlight).to_contain_text("In the spotlight: a need")
            expect(spotlight).to_contain_text(LONG)
            size = board.evaluate(
                "() => [document.scrollingElement.scrollWidth, document.scrollingElement.scrollHeight,"
                " window.innerWidth, window.innerHeight]"
            )
            self.assertEqual(size[:2], size[2:], f"{width}x{height}: the board scrolls ({size})")
            box = spotlight.bounding_box()
            self.assertLessEqual(box["y"] + box["height"], height)
            ARTEFACTS.mkdir(parents=True, exist_ok=True)
            board.screenshot(path=str(ARTEFACTS / f"spotlight-need-{width}x{height}.png"))
            self.assert_accessible(board)
        expect(dashboard.get_by_label("Spotlight a need on the board")).to_have_value(
            str(self.need.pk)
        )
        self.assert_accessible(dashboard)

        dashboard.get_by_role("button", name="Clear spotlight").click()

        for board, _width, _height in boards:
            expect(board.locator("#board-spotlight")).to_be_hidden()
