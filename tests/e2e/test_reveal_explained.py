"""The wrap-up reveal explains itself (issue 25): it says what "demand" counts (each need
mapped onto a strategy, plus each dot on that mapping), and when the board lists fewer
strategies than the room asked for it says how many more there are ("+3 more"); a phone's
results list every one of them. On the board at both projector sizes, without scrolling, and
on the phones' results at 390x844 and 320x640, in English and in French."""

import pytest
from playwright.sync_api import Page, expect

from sessions.enums import Phase
from sessions.models import LiveSession
from sessions.queries.reveal import reveal
from sessions.queries.visibility import Visibility
from tests.e2e.base import PHONE_320, PHONE_390, BrowserTestCase
from tests.e2e.test_board_screens import SIZES, shoot
from tests.factories import ParticipantFactory
from tests.large_session import large_session

pytestmark = pytest.mark.e2e

CODE = "K7HQ4P"
DEFINITION = {
    "en": "Demand: each need mapped onto a strategy counts 1, and each dot on that mapping 1 more.",
    "fr": "Demande\u00a0: chaque besoin relié à une stratégie compte 1, et chaque pastille sur "
    "cette correspondance 1 de plus.",
}
MORE = {
    "en": ("+1 more strategy the room asked for", "+{n} more strategies the room asked for"),
    "fr": (
        "+1 autre stratégie demandée par la salle",
        "+{n} autres stratégies demandées par la salle",
    ),
}
LOCALES = {"en": "en-GB", "fr": "fr-FR"}


class RevealExplainedTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.live_session = large_session(code=CODE, phase=Phase.WRAPUP, results_revealed=True)
        self.demanded = reveal(Visibility(self.live_session)).demanded

    def more_text(self, language: str, hidden: int) -> str:
        one, other = MORE[language]
        return one if hidden == 1 else other.replace("{n}", str(hidden))

    def assert_fits(self, page: Page, where: str) -> None:
        size = page.evaluate(
            "() => [document.scrollingElement.scrollWidth, document.scrollingElement.scrollHeight,"
            " window.innerWidth, window.innerHeight]"
        )
        self.assertEqual(size[:2], size[2:], f"{where}: the board scrolls ({size})")

    def test_the_board_says_what_demand_counts_and_how_many_more_strategies_there_are(self):
        for language, locale in LOCALES.items():
            for width, height in SIZES:
                name = f"reveal-{language}-{width}x{height}"
                with self.subTest(name):
                    board = self.new_page(
                        {"viewport": {"width": width, "height": height}, "locale": locale}
                    )
                    board.goto(f"{self.live_server_url}/s/{CODE}/board/")
                    expect(board.locator(".reveal-definition")).to_have_text(DEFINITION[language])
                    board.wait_for_timeout(300)  # board.js fits the lists
                    ranks = board.locator(".reveal-strategies .rank")
                    self.assertEqual(ranks.count(), len(self.demanded))
                    shown = board.locator(".reveal-strategies .rank:not([hidden])").count()
                    hidden = len(self.demanded) - shown
                    self.assertGreater(shown, 0)
                    self.assertGreater(hidden, 0, "the large session has more than fit")
                    more = board.locator(".reveal-strategies .fit-more")
                    expect(more).to_be_visible()
                    expect(more).to_have_text(self.more_text(language, hidden))
                    self.assert_on_first_screen(board, more)
                    self.assert_fits(board, name)
                    shoot(board, name)
                    self.assert_accessible(board)

    def test_a_phones_results_say_what_demand_counts_and_list_every_strategy(self) -> None:
        participant = ParticipantFactory(live_session=self.live_session)
        heading = {
            "en": f"All {len(self.demanded)} strategies the room asked for",
            "fr": f"Les {len(self.demanded)} stratégies demandées par la salle",
        }
        for language, locale in LOCALES.items():
            for device, label in ((PHONE_390, "390x844"), (PHONE_320, "320x640")):
                with self.subTest(f"{language} {label}"):
                    phone = self.joined_page(participant, {**device, "locale": locale})
                    results = phone.locator("#room-results")
                    expect(results.locator(".results-definition")).to_have_text(
                        DEFINITION[language]
                    )
                    expect(results).to_contain_text(heading[language])
                    expect(results.locator(".results-strategies > li")).to_have_count(
                        len(self.demanded)
                    )
                    width = phone.evaluate("document.scrollingElement.scrollWidth")
                    self.assertLessEqual(width, device["viewport"]["width"], "scrolls sideways")
                    for part in ("results-definition", "results-strategies"):
                        results.locator(f".{part}").scroll_into_view_if_needed()
                        phone.screenshot(
                            path=f"test-results/reveal-phone-{part}-{language}-{label}.png"
                        )
                    self.assert_accessible(phone)

    def test_the_reveal_without_a_community_still_says_what_demand_counts(self) -> None:
        taxonomy = self.live_session.taxonomy
        taxonomy.community = ""
        taxonomy.save()
        LiveSession.objects.filter(pk=self.live_session.pk).update(results_revealed=True)
        board = self.new_page({"viewport": {"width": 1280, "height": 720}})
        board.goto(f"{self.live_server_url}/s/{CODE}/board/")
        expect(board.locator(".reveal-definition")).to_have_text(DEFINITION["en"])
        self.assert_fits(board, "reveal without a community")
