"""A facilitator gives the session's texts in French beside the English ones, in the settings
form; a phone in French shows the French title, question and prompt at 390x844 and at 320x640
with 200 % text, a phone in English the English ones, the board in French the French ones
(issue 25). Screenshots in test-results/session-texts/."""

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from sessions.enums import Phase
from sessions.models import LiveSession
from tests.e2e.base import LAPTOP, PHONE_320, PHONE_390, PROJECTOR, BrowserTestCase
from tests.e2e.test_phone_first_screen import TEXT_200
from tests.factories import LiveSessionFactory, ParticipantFactory

pytestmark = pytest.mark.e2e

CODE = "K7HQ4P"
SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "session-texts"
FRENCH_TITLE = "Combler l’écart"
FRENCH_QUESTION = "De quoi nos communautés ont-elles besoin de la recherche ?"
FRENCH_PROMPT = "Publiez un besoin de votre communauté, en une phrase."


class SessionTextsInFrenchTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.live_session = LiveSessionFactory(
            code=CODE,
            phase=Phase.NEEDS,
            title="Closing the gap",
            question="What do our communities need from research?",
        )
        user = get_user_model().objects.create_user("ada", password="pw-for-tests-only")
        self.live_session.facilitators.add(user)
        SHOTS.mkdir(parents=True, exist_ok=True)

    def test_the_facilitator_gives_french_texts_and_each_reader_sees_their_own(self) -> None:
        settings = self.facilitator_page(
            "ada", "pw-for-tests-only", f"/facilitate/{CODE}/settings/"
        )
        settings.get_by_label("Title in French (optional)").fill(FRENCH_TITLE)
        settings.get_by_label("Question in French (optional)").fill(FRENCH_QUESTION)
        settings.get_by_label("Prompt for the Needs phase", exact=True).fill(
            "Post one need of your community, in one sentence."
        )
        settings.get_by_label("Prompt for the Needs phase, in French (optional)").fill(
            FRENCH_PROMPT
        )
        settings.get_by_label("Title in French (optional)").scroll_into_view_if_needed()
        settings.screenshot(path=str(SHOTS / "settings-1280x800.png"))
        self.assert_accessible(settings)
        settings.get_by_role("button", name="Save").click()
        expect(settings.get_by_role("heading", level=1)).to_have_text("Closing the gap")
        saved = LiveSession.objects.get(pk=self.live_session.pk)
        self.assertEqual(
            (saved.title_fr, saved.question_fr, saved.prompts_fr),
            (FRENCH_TITLE, FRENCH_QUESTION, {"needs": FRENCH_PROMPT}),
        )

        person = ParticipantFactory(live_session=self.live_session)
        for device, label, big_text in (
            (PHONE_390, "390x844", False),
            (PHONE_320, "320x640", True),
        ):
            with self.subTest(label):
                page = self.new_page({**device, "locale": "fr-FR"})
                if big_text:
                    page.add_init_script(TEXT_200)
                page.context.add_cookies(
                    [
                        {
                            "name": f"cg_p_{CODE}",
                            "value": person.token,
                            "domain": self.live_server_url.split("//")[1].split(":")[0],
                            "path": "/",
                        }
                    ]
                )
                page.goto(f"{self.live_server_url}/s/{CODE}/")
                expect(page.locator(".session-title")).to_have_text(FRENCH_TITLE)
                expect(page.locator(".phase-prompt").first).to_have_text(FRENCH_PROMPT)
                expect(page.locator(".session-question")).to_have_text(FRENCH_QUESTION)
                width = page.evaluate("document.scrollingElement.scrollWidth")
                self.assertLessEqual(width, device["viewport"]["width"], "scrolls sideways")
                page.screenshot(path=str(SHOTS / f"phone-fr-{label}.png"))
                self.assert_accessible(page)

        english = self.joined_page(person, {**PHONE_390, "locale": "en-GB"})
        expect(english.locator(".session-title")).to_have_text("Closing the gap")
        expect(english.locator(".phase-prompt").first).to_have_text(
            "Post one need of your community, in one sentence."
        )

        board = self.new_page({**PROJECTOR, "locale": "fr-FR"})
        board.goto(f"{self.live_server_url}/s/{CODE}/board/")
        expect(board.locator(".board-title")).to_have_text(FRENCH_TITLE)
        expect(board.locator(".session-question")).to_have_text(FRENCH_QUESTION)
        expect(board.locator(".phase-prompt").first).to_have_text(FRENCH_PROMPT)
        board.screenshot(path=str(SHOTS / "board-fr-1920x1080.png"))

    def test_without_a_french_version_a_french_reader_sees_the_text_as_given(self) -> None:
        person = ParticipantFactory(live_session=self.live_session)
        page = self.joined_page(person, {**PHONE_390, "locale": "fr-FR"})
        expect(page.locator(".session-title")).to_have_text("Closing the gap")
        expect(page.locator(".session-question")).to_have_text(
            "What do our communities need from research?"
        )
        board = self.new_page({**LAPTOP, "locale": "fr-FR"})
        board.goto(f"{self.live_server_url}/s/{CODE}/board/")
        expect(board.locator(".board-title")).to_have_text("Closing the gap")
