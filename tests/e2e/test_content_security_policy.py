"""No page a person opens breaks its Content-Security-Policy: the facilitator's dashboard in
every phase (before and after the reveal), the board, a phone's home and the export page. A
violation is caught twice over: the browser's securitypolicyviolation event, recorded from
before the page's first script runs, and the console's error about a refused style or script."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from sessions.enums import Phase
from sessions.models import LiveSession
from tests.e2e.base import LAPTOP, PHONE_390, PROJECTOR, BrowserTestCase
from tests.factories import ParticipantFactory
from tests.large_session import large_session

pytestmark = pytest.mark.e2e

CODE = "K7HQ4P"
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline")
    + " " + (event.sourceFile || "") + ":" + event.lineNumber + " " + (event.sample || ""));
});
"""


class ContentSecurityPolicyTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.live_session = large_session(code=CODE, phase=Phase.LOBBY)
        self.user = get_user_model().objects.create_user("ada", password="pw-for-tests-only")
        self.live_session.facilitators.add(self.user)

    def watched(self, device: dict) -> Page:
        page = self.new_page(device)
        page.add_init_script(RECORD_VIOLATIONS)
        page.console_errors = []
        page.on(
            "console",
            lambda message: (
                message.type == "error"
                and "Content Security Policy" in message.text
                and page.console_errors.append(message.text)
            ),
        )
        return page

    def violations(self, page: Page) -> list[str]:
        page.wait_for_timeout(400)  # a late script or a swap has time to break the policy
        return page.evaluate("window.__cspViolations") + page.console_errors

    def log_in(self, page: Page, path: str) -> None:
        page.goto(f"{self.live_server_url}{path}")
        page.get_by_label("Username").fill("ada")
        page.get_by_label("Password").fill("pw-for-tests-only")
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(re.compile(f"{re.escape(path)}$"))

    def test_the_dashboard_in_every_phase_breaks_no_policy(self) -> None:
        page = self.watched({"viewport": {"width": 1440, "height": 900}})
        self.log_in(page, f"/facilitate/{CODE}/")
        screens = [(phase.value, False) for phase in Phase] + [(Phase.WRAPUP.value, True)]
        for phase, revealed in screens:
            with self.subTest(phase=phase, revealed=revealed):
                LiveSession.objects.filter(pk=self.live_session.pk).update(
                    phase=phase, results_revealed=revealed
                )
                page.reload()
                expect(page.locator("#controls")).to_be_visible()
                self.assertEqual(self.violations(page), [], f"dashboard at {phase}")

        with self.subTest("a busy dashboard"):
            self.make_busy()
            page.reload()
            expect(page.locator("#controls")).to_be_visible()
            self.assertEqual(self.violations(page), [], "a busy dashboard")

    def make_busy(self) -> None:
        """Everything the dashboard can show at once: a running timer, a need in the
        spotlight, an announcement, a need waiting for moderation, a merge suggestion."""
        from datetime import timedelta

        from django.utils import timezone

        from sessions.enums import ContributionStatus
        from sessions.models import MergeSuggestion, Need
        from tests.factories import NeedFactory

        first, second = Need.objects.filter(live_session=self.live_session).order_by("pk")[:2]
        LiveSession.objects.filter(pk=self.live_session.pk).update(
            phase=Phase.NEEDS,
            premoderation=True,
            phase_ends_at=timezone.now() + timedelta(minutes=5),
            spotlight_need=first,
            announcement="Coffee at four",
        )
        NeedFactory(
            author=ParticipantFactory(live_session=self.live_session),
            text="Waiting for a facilitator",
            status=ContributionStatus.PENDING,
        )
        MergeSuggestion.objects.create(
            live_session=self.live_session, need=first, other=second, score=90
        )

    def test_the_board_a_phone_and_the_export_page_break_no_policy(self) -> None:
        LiveSession.objects.filter(pk=self.live_session.pk).update(
            phase=Phase.WRAPUP, results_revealed=True
        )
        board = self.watched(PROJECTOR)
        board.goto(f"{self.live_server_url}/s/{CODE}/board/")
        expect(board.locator("#connection-status")).to_have_text("Live")
        self.assertEqual(self.violations(board), [], "the board")

        phone = self.watched(PHONE_390)
        person = ParticipantFactory(live_session=self.live_session)
        host = self.live_server_url.split("//")[1].split(":")[0]
        phone.context.add_cookies(
            [{"name": f"cg_p_{CODE}", "value": person.token, "domain": host, "path": "/"}]
        )
        phone.goto(f"{self.live_server_url}/s/{CODE}/")
        expect(phone.locator("#connection-status")).to_have_text("Live")
        self.assertEqual(self.violations(phone), [], "a phone's home")

        exports = self.watched(LAPTOP)
        self.log_in(exports, f"/facilitate/{CODE}/export/")
        self.assertEqual(self.violations(exports), [], "the export page")
