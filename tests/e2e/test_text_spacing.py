"""WCAG 1.4.12 Text Spacing on a phone's page and the facilitator's dashboard: with line
height 1.5, paragraph spacing 2, letter spacing 0.12 and word spacing 0.16 times the font
size (the criterion's bookmarklet), nothing scrolls sideways and no text is cut off by a box
that hides its overflow. The style is added as a user's stylesheet would be (bypassing the
page's CSP, as an extension does)."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from sessions.enums import Phase
from tests.e2e.base import PHONE_320, PHONE_390, BrowserTestCase
from tests.factories import ParticipantFactory
from tests.large_session import large_session

pytestmark = pytest.mark.e2e

CODE = "K7HQ4P"
SPACING = """
* { line-height: 1.5 !important; letter-spacing: 0.12em !important;
    word-spacing: 0.16em !important; }
p { margin-bottom: 2em !important; }
"""
CLIPPED = """() => Array.from(document.querySelectorAll('main *')).filter(el => {
  if (!el.offsetParent || el.closest('[data-fit], .table-responsive, .visually-hidden, [aria-hidden="true"]')) return false;
  if (el.clientWidth <= 1 || el.clientHeight <= 1) return false;
  const style = getComputedStyle(el);
  const hides = ['hidden', 'clip'].includes(style.overflowX) || ['hidden', 'clip'].includes(style.overflowY);
  if (!hides || !el.textContent.trim()) return false;
  return el.scrollWidth > el.clientWidth + 2 || el.scrollHeight > el.clientHeight + 2;
}).map(el => [el.outerHTML.slice(0, 100), el.scrollWidth, el.clientWidth, el.scrollHeight, el.clientHeight])"""


class TextSpacingTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.live_session = large_session(code=CODE, phase=Phase.VOTING)

    def spaced(self, page: Page, width: int, where: str) -> None:
        page.add_style_tag(content=SPACING)
        page.wait_for_timeout(300)
        scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
        self.assertLessEqual(scroll_width, width, f"{where}: scrolls sideways")
        self.maxDiff = None
        self.assertEqual(page.evaluate(CLIPPED), [], f"{where}: text cut off")

    def test_a_phone_page_keeps_all_its_text_with_wider_spacing(self) -> None:
        person = ParticipantFactory(live_session=self.live_session)
        for device in (PHONE_390, PHONE_320):
            width = device["viewport"]["width"]
            with self.subTest(width):
                page = self.new_page({**device, "bypass_csp": True})
                host = self.live_server_url.split("//")[1].split(":")[0]
                page.context.add_cookies(
                    [{"name": f"cg_p_{CODE}", "value": person.token, "domain": host, "path": "/"}]
                )
                page.goto(f"{self.live_server_url}/s/{CODE}/")
                expect(page.locator("#connection-status")).to_have_text("Live")
                self.spaced(page, width, f"phone {width}")

    def test_the_dashboard_keeps_all_its_text_with_wider_spacing(self) -> None:
        get_user_model().objects.create_user("ada", password="pw-for-tests-only")
        self.live_session.facilitators.add(get_user_model().objects.get(username="ada"))
        page = self.new_page({"viewport": {"width": 1440, "height": 900}, "bypass_csp": True})
        page.goto(f"{self.live_server_url}/facilitate/{CODE}/")
        page.get_by_label("Username").fill("ada")
        page.get_by_label("Password").fill("pw-for-tests-only")
        page.get_by_role("button", name="Log in").click()
        expect(page.locator("#controls")).to_be_visible()
        self.spaced(page, 1440, "dashboard")
