"""The accessibility statement is one tap from the footer of a phone's page, in English and
French, readable at 390x844 and at 320x640 with 200 % text (its wide table scrolls inside its
own box, the page does not), and axe-core finds nothing on it (issue 25)."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.base import LAPTOP, PHONE_320, PHONE_390, BrowserTestCase
from tests.e2e.test_phone_first_screen import TEXT_200
from tests.factories import LiveSessionFactory

pytestmark = pytest.mark.e2e

SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "accessibility"
LINK = {"en": "Accessibility statement", "fr": "Déclaration d’accessibilité"}
LOCALES = {"en": "en-GB", "fr": "fr-FR"}


class AccessibilityStatementPageTests(BrowserTestCase):
    def test_the_footer_leads_to_the_statement_on_a_phone_in_both_languages(self) -> None:
        live_session = LiveSessionFactory(code="K7HQ4P")
        SHOTS.mkdir(parents=True, exist_ok=True)
        for language, locale in LOCALES.items():
            for device, label, big_text in (
                (PHONE_390, "390x844", False),
                (PHONE_320, "320x640", True),
                (LAPTOP, "1280x800", False),
            ):
                with self.subTest(f"{language} {label}"):
                    page = self.new_page({**device, "locale": locale})
                    if big_text:
                        page.add_init_script(TEXT_200)
                    page.goto(f"{self.live_server_url}/join/{live_session.code}/")
                    page.locator("footer").get_by_role("link", name=LINK[language]).click()
                    expect(page.get_by_role("heading", level=1)).to_have_text(LINK[language])
                    page.wait_for_load_state("load")  # measured with its stylesheet applied
                    expect(page.locator("#sc-2\\.1\\.4")).to_contain_text("Character Key Shortcuts")
                    width = page.evaluate("document.scrollingElement.scrollWidth")
                    self.assertLessEqual(width, device["viewport"]["width"], "scrolls sideways")
                    page.screenshot(path=str(SHOTS / f"statement-{language}-{label}.png"))
                    self.assert_accessible(page)
