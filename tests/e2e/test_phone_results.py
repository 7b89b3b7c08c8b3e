"""At wrap-up every phone shows what the room mapped, in its own language, and follows the
reveal live when the facilitators reveal it on the board (issue 17)."""

import re

import pytest
from playwright.sync_api import expect

from sessions.enums import Phase
from sessions.models import LiveSession
from tests.e2e.base import PHONE_390, BrowserTestCase
from tests.e2e.test_board_screens import dashboard_of
from tests.factories import ParticipantFactory
from tests.large_session import large_session

pytestmark = pytest.mark.e2e
CODE = "K7HQ4P"
ARTEFACTS = "test-results"


class PhoneResultsTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.live_session = large_session(code=CODE, phase=Phase.WRAPUP)
        self.participant = ParticipantFactory(live_session=self.live_session)

    def test_the_phone_shows_the_results_and_the_reveal_arrives_live(self) -> None:
        dashboard = dashboard_of(self)
        phone = self.joined_page(self.participant, PHONE_390)
        results = phone.locator("#room-results")
        expect(results).to_contain_text("What the room mapped")
        expect(results).to_contain_text("The needs with the most dots")
        expect(results).to_contain_text("Where the room's demand landed")
        expect(phone.locator("#connection-status")).to_have_text("Live")
        self.assert_on_first_screen(phone, results.locator("h2"))
        self.assert_accessible(phone)

        dashboard.get_by_role("button", name="Reveal the results on the board").click()

        expect(results).to_contain_text("In high demand, and the research on")
        phone.screenshot(path=f"{ARTEFACTS}/phone-results-390x844.png", full_page=True)
        self.assert_accessible(phone)

    def test_the_results_in_french_and_at_their_link_after_the_session(self) -> None:
        LiveSession.objects.filter(pk=self.live_session.pk).update(results_revealed=True)
        phone = self.joined_page(self.participant, {**PHONE_390, "locale": "fr-CA"})

        expect(phone.locator("#room-results")).to_contain_text("Ce que la salle a cartographié")
        expect(phone.locator("#room-results")).to_contain_text("Très demandé, et la recherche")
        phone.screenshot(path=f"{ARTEFACTS}/phone-results-fr-390x844.png", full_page=True)
        link = phone.get_by_role("link", name="la page des résultats")
        link.click()
        expect(phone).to_have_url(re.compile(f"/s/{CODE}/results/$"))
        expect(phone.locator("#room-results")).to_contain_text("Ce que la salle a cartographié")
        self.assert_accessible(phone)

        stranger = self.new_page(PHONE_390)  # no cookie: the link alone
        stranger.goto(f"{self.live_server_url}/s/{CODE}/results/")
        expect(stranger.locator("#room-results")).to_contain_text("What the room mapped")
