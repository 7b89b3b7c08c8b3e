"""The door as its people see it (issue 21): a phone joins through the proof of work (solved in
the background, a hurried tap waits for it and says so, a refused one is said next to Join with
nothing lost), with axe clean and no CSP violation; the facilitator closes the door from the
dashboard's door panel and the board and the join page say so, the board still fitting both
projectors. Screenshots go to test-results/door/."""

import base64
import json
import re
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from sessions import services
from sessions.enums import Phase
from sessions.models import LiveSession, Participant
from tests.e2e.base import PHONE_320, PHONE_390, BrowserTestCase
from tests.e2e.test_phone_first_screen import TEXT_200
from tests.factories import LiveSessionFactory

pytestmark = pytest.mark.e2e

CODE = "K7HQ4P"
SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "door"
READY = "This phone is ready to join."
WAITING = "Joining as soon as this phone’s check is done…"
CSP_WORDS = ("Content Security Policy", "Refused to")


class JoinChallengeTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.live_session = LiveSessionFactory(code=CODE, phase=Phase.LOBBY, title="Plenary")
        self.join_url = f"{self.live_server_url}/join/{CODE}/?at=room"
        SHOTS.mkdir(parents=True, exist_ok=True)

    def phone(self, device=PHONE_390, *, throttle: float = 4, big_text: bool = False) -> Page:
        """A phone, its CPU slowed 4x as a mid-range one's (CDP), its console watched."""
        page = self.new_page(device)
        if big_text:
            page.add_init_script(TEXT_200)
        page.errors = []
        page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        if throttle:
            cdp = page.context.new_cdp_session(page)
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": throttle})
        return page

    def assert_no_csp_violation(self, page: Page) -> None:
        violations = [e for e in page.errors if any(word in e for word in CSP_WORDS)]
        self.assertEqual(violations, [], "the check broke the page's Content Security Policy")

    def test_a_phone_joins_through_the_check_with_axe_clean(self) -> None:
        phone = self.phone()
        challenges: list[str] = []
        phone.on("request", lambda r: "/challenge/" in r.url and challenges.append(r.url))
        started = time.monotonic()

        phone.goto(self.join_url)
        expect(phone.locator("#join-check")).to_have_text(READY, timeout=30_000)
        ready_after = time.monotonic() - started
        self.assert_accessible(phone)
        phone.screenshot(path=str(SHOTS / "join-390x844.png"), full_page=True)
        # The answer goes with the form, in the widget's hidden field.
        payload = phone.locator('input[name="altcha"]').input_value()
        self.assertEqual(
            json.loads(base64.b64decode(payload))["challenge"]["parameters"]["data"],
            {"session": CODE},
        )
        phone.get_by_label(re.compile("I agree")).check()
        phone.get_by_role("button", name="Join").click()

        expect(phone).to_have_url(re.compile(f"/s/{CODE}/$"))
        self.assertEqual(Participant.objects.count(), 1)
        self.assertEqual(len(challenges), 1, "one challenge per join page")
        self.assertLess(ready_after, 20, "the check held the phone at the door")
        self.assert_no_csp_violation(phone)

    def test_a_hurried_tap_waits_for_the_check_says_so_and_joins(self) -> None:
        phone = self.phone(throttle=0)

        held = []  # a slow network: the challenge arrives only once the tap has been seen
        phone.route("**/challenge/", lambda route: held.append(route))
        phone.goto(self.join_url)
        phone.get_by_label(re.compile("I agree")).check()
        phone.get_by_role("button", name="Join").click()

        expect(phone.locator("#join-check")).to_have_text(WAITING)
        phone.screenshot(path=str(SHOTS / "join-waiting-390x844.png"))
        self.assertEqual(len(held), 1, "the page asked for its challenge once")
        held[0].continue_()
        expect(phone).to_have_url(re.compile(f"/s/{CODE}/$"), timeout=30_000)
        self.assertEqual(Participant.objects.count(), 1)

    def test_a_refused_check_is_said_next_to_join_and_nothing_chosen_is_lost(self) -> None:
        phone = self.phone(throttle=0)
        sent: list[str] = []

        def spoil_the_first_answer(route):
            fields = dict(parse_qsl(route.request.post_data or ""))
            sent.append(fields.get("altcha", ""))
            if len(sent) == 1:
                fields["altcha"] = base64.b64encode(b'{"challenge": {}}').decode()
            route.continue_(post_data=urlencode(fields))

        phone.route(
            f"**/join/{CODE}/",
            lambda route: (
                spoil_the_first_answer(route)
                if route.request.method == "POST"
                else route.continue_()
            ),
        )
        phone.goto(f"{self.live_server_url}/join/{CODE}/")
        phone.get_by_label("Joining remotely").check()
        phone.get_by_text("Show a name instead of a pseudonym").click()
        phone.get_by_label("Name to show (optional)").fill("Ada")
        phone.get_by_label(re.compile("I agree")).check()
        expect(phone.locator("#join-check")).to_have_text(READY, timeout=30_000)
        phone.get_by_role("button", name="Join").click()

        answer = phone.locator("#join-answer")
        expect(answer).to_contain_text("This phone’s check did not work out.")
        expect(answer).to_be_focused()  # the page opens where the person tapped
        expect(phone.get_by_role("button", name="Join")).to_have_attribute(
            "aria-describedby", "join-answer"
        )
        expect(phone.get_by_label("Joining remotely")).to_be_checked()
        expect(phone.get_by_label("Name to show (optional)")).to_have_value("Ada")
        expect(phone.get_by_label(re.compile("I agree"))).to_be_checked()
        self.assert_accessible(phone)
        phone.screenshot(path=str(SHOTS / "join-refused-390x844.png"), full_page=True)
        # A new check ran by itself: one more tap joins.
        expect(phone.locator("#join-check")).to_have_text(READY, timeout=30_000)
        phone.get_by_role("button", name="Join").click()
        expect(phone).to_have_url(re.compile(f"/s/{CODE}/$"))
        self.assertEqual(Participant.objects.get().display_name, "Ada")
        self.assertNotEqual(sent[0], sent[1], "the second join carried a new answer")

    def test_the_join_page_at_320_px_with_200_percent_text(self) -> None:
        phone = self.phone(PHONE_320, big_text=True)

        phone.goto(self.join_url)
        expect(phone.locator("html")).to_have_class(re.compile(r"\btext-200\b"))
        expect(phone.locator("#join-check")).to_have_text(READY, timeout=30_000)

        overflow = phone.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        self.assertLessEqual(overflow, 1, "the join page scrolls sideways at 200 % text")
        self.assert_accessible(phone)
        phone.screenshot(path=str(SHOTS / "join-320-text200.png"), full_page=True)
        phone.get_by_label(re.compile("I agree")).check()
        phone.get_by_role("button", name="Join").click()
        expect(phone).to_have_url(re.compile(f"/s/{CODE}/$"))

    def test_the_facilitator_closes_the_door_and_the_board_and_the_join_page_say_so(self) -> None:
        user = get_user_model().objects.create_user("ada", password="pw-for-tests-only")
        self.live_session.facilitators.add(user)
        for _ in range(7):
            services.join_session(live_session=self.live_session, presence="room", agreed=True)
        dashboard = self.facilitator_page("ada", "pw-for-tests-only", f"/facilitate/{CODE}/")
        dashboard.set_viewport_size({"width": 1440, "height": 900})
        boards = {}
        for width, height in ((1920, 1080), (1280, 720)):
            board = self.new_page({"viewport": {"width": width, "height": height}})
            board.goto(f"{self.live_server_url}/s/{CODE}/board/")
            expect(board.locator("#connection-status")).to_have_text("Live")
            expect(board.locator(".qr svg")).to_be_visible()
            boards[(width, height)] = board

        panel = dashboard.locator("#door")
        expect(panel).to_contain_text("Joins in the last minute")
        expect(panel.locator(".door-stats dd").first).to_have_text("7")
        sweep = panel.get_by_role(
            "button",
            name="Remove the 7 who joined in the last 2 minutes and contributed nothing",
        )
        expect(sweep).to_be_visible()
        self.assert_accessible(dashboard)
        self.assert_on_first_screen(dashboard, panel.get_by_role("button", name="Close the door"))
        panel.screenshot(path=str(SHOTS / "dashboard-door-open-1440x900.png"))
        panel.get_by_role("button", name="Close the door").click()

        expect(dashboard.locator("#flash")).to_contain_text("The door is closed")
        expect(panel.get_by_role("button", name="Open the door")).to_be_visible()
        dashboard.evaluate("window.scrollTo(0, 0)")
        dashboard.screenshot(path=str(SHOTS / "dashboard-door-closed-1440x900.png"))
        panel.screenshot(path=str(SHOTS / "dashboard-door-panel-closed-1440x900.png"))
        self.assert_accessible(dashboard)
        for (width, height), board in boards.items():
            with self.subTest(f"board {width}x{height}"):
                expect(board.locator("#board-door")).to_contain_text("Joining is closed for now")
                expect(board.locator(".qr svg")).to_be_hidden()
                board.wait_for_timeout(300)  # board.js fits the lists
                size = board.evaluate(
                    "() => [document.scrollingElement.scrollWidth,"
                    " document.scrollingElement.scrollHeight, innerWidth, innerHeight]"
                )
                self.assertEqual(size[:2], size[2:], f"the board scrolls at {width}x{height}")
                self.assert_accessible(board)
                board.screenshot(path=str(SHOTS / f"board-door-closed-{width}x{height}.png"))
        # Another phase's screen, where the join block is small; and projector mode.
        LiveSession.objects.filter(pk=self.live_session.pk).update(phase=Phase.NEEDS)
        for width, height in ((1920, 1080), (1280, 720)):
            for projector in ("", "?projector=1"):
                with self.subTest(f"needs {width}x{height}{projector}"):
                    board = self.new_page({"viewport": {"width": width, "height": height}})
                    board.goto(f"{self.live_server_url}/s/{CODE}/board/{projector}")
                    expect(board.locator("#board-door")).to_contain_text("Joining is closed")
                    board.wait_for_timeout(300)
                    size = board.evaluate(
                        "() => [document.scrollingElement.scrollWidth,"
                        " document.scrollingElement.scrollHeight, innerWidth, innerHeight]"
                    )
                    self.assertEqual(size[:2], size[2:], f"the board scrolls at {width}x{height}")
                    self.assert_accessible(board)
                    name = f"board-door-closed-needs-{width}x{height}{'-projector' if projector else ''}"
                    board.screenshot(path=str(SHOTS / f"{name}.png"))
        LiveSession.objects.filter(pk=self.live_session.pk).update(phase=Phase.LOBBY)
        phone = self.phone(throttle=0)
        phone.goto(self.join_url)
        expect(phone.get_by_role("heading", name="The door is closed for now")).to_be_visible()
        self.assert_accessible(phone)
        phone.screenshot(path=str(SHOTS / "join-door-closed-390x844.png"))

        # Open again: the board shows the QR code again, live.
        panel.get_by_role("button", name="Open the door").click()
        expect(boards[(1920, 1080)].locator(".qr svg")).to_be_visible()
        self.assertFalse(LiveSession.objects.get(pk=self.live_session.pk).door_closed)
