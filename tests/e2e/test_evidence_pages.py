"""The evidence across workshops with something published, in a browser: the public page, a
strategy's page, and the organiser's preview (published, then with the privacy budget spent)
say what they withhold and never show a 0 % for it; axe finds nothing in English and French,
light and dark; nothing scrolls sideways on a 320 px phone. Screenshots at 1440x900 and
390x844 go to test-results/ to be looked at.

The publications are made in the test process with the noise set aside, so that the pages
show both figures and withheld lines whatever the noise would draw (the noise itself is
tested in tests/taxonomy/test_evidence_privacy.py)."""

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from sessions import services
from sessions.enums import Phase
from taxonomy import privacy
from tests.e2e.base import BrowserTestCase
from tests.factories import (
    GapNoteFactory,
    LiveSessionFactory,
    MappingFactory,
    NeedFactory,
    ParticipantFactory,
    VoteFactory,
    workshop_sample,
)

pytestmark = pytest.mark.e2e

CODE = "EV1D3N"
ARTEFACTS = Path("test-results")
LAPTOP_1440 = {"viewport": {"width": 1440, "height": 900}}
PHONE_390 = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
PHONE_320 = {"viewport": {"width": 320, "height": 640}, "is_mobile": True, "has_touch": True}
WITHHELD = {
    "en": "fewer than five people: not shown",
    "fr": "moins de cinq personnes : non affiché",
}


class EvidencePagesTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.sample = workshop_sample()
        self.strategies = self.sample["strategies"]
        self.live_session = LiveSessionFactory(
            code=CODE, taxonomy=self.sample["taxonomy"], phase=Phase.WRAPUP, title="Montréal"
        )
        people = ParticipantFactory.create_batch(9, live_session=self.live_session)
        # Six people behind folk theorisation (shown), three behind data poisoning and one
        # gap note on legal contestation (withheld), three who only joined.
        folk = [self.map(person, "folk-theorisation") for person in people[:6]]
        for person, mapping in zip(people[:6], folk[1:] + folk[:1], strict=True):
            VoteFactory(participant=person, mapping=mapping, dots=2)
        for person in people[:3]:
            self.map(person, "data-poisoning")
        GapNoteFactory(author=people[3], strategy=self.strategies["legal-contestation"])
        ParticipantFactory.create_batch(3, live_session=self.live_session)
        self.facilitator = get_user_model().objects.create_user("ada", password="pw-tests-only")
        self.live_session.facilitators.add(self.facilitator)
        ARTEFACTS.mkdir(exist_ok=True)

    def map(self, person, slug: str):
        need = NeedFactory(author=person, live_session=self.live_session)
        return MappingFactory(need=need, author=person, strategy=self.strategies[slug])

    def publish(self) -> None:
        exact = privacy.noisy
        privacy.noisy = lambda family, figures: list(figures)
        try:
            services.publish_evidence(live_session=self.live_session, actor=self.facilitator)
        finally:
            privacy.noisy = exact

    def logged_in(self, device: dict, *, language: str = "en", scheme: str = "light"):
        page = self.new_page(device, locale=language, color_scheme=scheme)
        host = self.live_server_url.split("//")[1].split(":")[0]
        page.context.add_cookies(
            [{"name": "django_language", "value": language, "domain": host, "path": "/"}]
        )
        page.goto(f"{self.live_server_url}/accounts/login/")
        page.locator("#id_username").fill("ada")
        page.locator("#id_password").fill("pw-tests-only")
        page.locator("#main form [type=submit]").click()
        page.wait_for_url("**/facilitate/")
        return page

    def paths(self) -> list[str]:
        return [
            "/taxonomy/evidence/",
            self.strategies["data-poisoning"].get_absolute_url(),  # withheld
            self.strategies["folk-theorisation"].get_absolute_url(),  # shown
            f"/facilitate/{CODE}/evidence/",
        ]

    def test_the_pages_say_what_they_withhold_and_are_accessible(self) -> None:
        self.publish()
        for language in ("en", "fr"):
            for scheme in ("light", "dark"):
                with self.subTest(language=language, scheme=scheme):
                    page = self.logged_in(LAPTOP_1440, language=language, scheme=scheme)
                    for path in self.paths():
                        page.goto(f"{self.live_server_url}{path}")
                        self.assert_accessible(page)
                    page.goto(f"{self.live_server_url}/taxonomy/evidence/")
                    withheld = page.locator("tr.evidence-withheld").first
                    expect(withheld).to_contain_text(WITHHELD[language])
                    self.assertNotIn("0%", withheld.inner_text())
                    self.assertNotIn("0 %", withheld.inner_text())

    def test_screenshots_and_a_320_px_phone(self) -> None:
        self.publish()
        for name, device in (("1440x900", LAPTOP_1440), ("390x844", PHONE_390)):
            page = self.logged_in(device)
            for label, path in zip(
                ("evidence", "strategy-withheld", "strategy-shown", "preview-published"),
                self.paths(),
                strict=True,
            ):
                page.goto(f"{self.live_server_url}{path}")
                page.screenshot(
                    path=str(ARTEFACTS / f"evidence-{label}-{name}.png"), full_page=True
                )
        page = self.logged_in(PHONE_320)
        for path in self.paths():
            with self.subTest(path=path):
                page.goto(f"{self.live_server_url}{path}")
                overflow = page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                self.assertLessEqual(overflow, 0, f"{path} scrolls sideways at 320 px")

    def test_the_preview_says_when_the_budget_is_spent(self) -> None:
        self.publish()
        page = self.logged_in(LAPTOP_1440)
        page.goto(f"{self.live_server_url}/facilitate/{CODE}/evidence/")
        page.get_by_role("button", name="Publish again").click()

        expect(page.locator(".evidence-budget [role=status]")).to_contain_text(
            "privacy budget is spent"
        )
        expect(page.get_by_role("button", name="Publish again")).to_have_count(0)
        expect(page.get_by_role("button", name="Take it back")).to_be_visible()
        self.assert_accessible(page)
        page.screenshot(path=str(ARTEFACTS / "evidence-preview-spent-1440x900.png"), full_page=True)
        phone = self.logged_in(PHONE_390, language="fr")
        phone.goto(f"{self.live_server_url}/facilitate/{CODE}/evidence/")
        expect(phone.locator(".evidence-budget [role=status]")).to_contain_text(
            "budget de confidentialité"
        )
        self.assert_accessible(phone)
        phone.screenshot(
            path=str(ARTEFACTS / "evidence-preview-spent-390x844-fr.png"), full_page=True
        )
