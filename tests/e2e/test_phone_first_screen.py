"""The phone in one hand (issue 14): each phase's action on the first screen at 390x844 and,
with 200 % text, at 320x640 (the prompt folded, the form's button kept in view); through the
door in two taps from the QR link;
one-tap dots with the budget in view; the shared board sized for a phone.

Screenshots of every phase at both sizes go to test-results/ (looked at by a person, not by
the test)."""

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from sessions.enums import Phase
from sessions.models import LiveSession, Mapping
from tests.e2e.base import PHONE_320, PHONE_390, BrowserTestCase
from tests.factories import (
    LiveSessionFactory,
    MappingFactory,
    NeedFactory,
    ParticipantFactory,
    workshop_sample,
)

pytestmark = pytest.mark.e2e

CODE = "K7HQ4P"
SHOTS = Path(__file__).resolve().parents[2] / "test-results"
# Large text as the page's own control sets it (static/js/theme.js reads it before painting).
TEXT_200 = "try { localStorage.setItem('cg-text-size', '200'); } catch (e) {}"


class PhoneFirstScreenTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        sample = workshop_sample()
        self.live_session = LiveSessionFactory(
            code=CODE,
            taxonomy=sample["taxonomy"],
            title="Montréal workshop",
            question="What does your community need from research on algorithmic harm?",
        )
        self.me = ParticipantFactory(live_session=self.live_session, pseudonym="Bright Otter")
        others = [ParticipantFactory(live_session=self.live_session) for _ in range(3)]
        strategies = list(sample["strategies"].values())
        texts = [
            "Know why our posts about queer health are hidden",
            "Appeals that a person reads, not a model",
            "Safer ways to post without being outed",
            "Ads that do not follow us after we search for trans care",
            "Dating apps that do not leak who we are",
            "Captions and alt text on every workshop video",
            "Ways to refuse face recognition at protests",
            "Moderation that understands our slang",
            "Recommendation feeds we can reset",
        ]
        for index, text in enumerate(texts):
            need = NeedFactory(author=others[index % 3], text=text)
            MappingFactory(
                need=need, strategy=strategies[index % len(strategies)], author=others[0]
            )
        self.mine = NeedFactory(author=self.me, text="Search results that do not bury our sites")
        SHOTS.mkdir(exist_ok=True)

    def set_phase(self, phase: str, **fields) -> None:
        LiveSession.objects.filter(pk=self.live_session.pk).update(phase=phase, **fields)

    def phone(self, device: dict, big_text: bool = False) -> Page:
        page = self.new_page(device)
        if big_text:
            page.add_init_script(TEXT_200)
        host = self.live_server_url.split("//")[1].split(":")[0]
        page.context.add_cookies(
            [{"name": f"cg_p_{CODE}", "value": self.me.token, "domain": host, "path": "/"}]
        )
        page.goto(f"{self.live_server_url}/s/{CODE}/")
        expect(page.locator("#connection-status")).to_have_text("Live")
        return page

    def action_of(self, page: Page, phase: str) -> list:
        """What a person acts with in ``phase``: all of it must show on the first screen."""
        if phase == Phase.NEEDS:
            return [
                page.get_by_label("A need of your community"),
                page.get_by_role("button", name="Post need"),
            ]
        if phase == Phase.MAPPING:
            return [page.locator(".next-to-map-link")]
        if phase == Phase.VOTING:
            return [page.locator("#dot-budget"), page.locator("#needs-list .vote-add").first]
        return [
            page.get_by_label("Where is the gap?"),
            page.get_by_role("button", name="Add gap note"),
        ]

    def test_each_phases_action_is_on_the_first_screen_of_a_phone(self) -> None:
        for phase in (Phase.NEEDS, Phase.MAPPING, Phase.VOTING, Phase.GAPS):
            self.set_phase(phase)
            with self.subTest(phase=phase, size="390x844"):
                page = self.phone(PHONE_390)
                page.screenshot(path=str(SHOTS / f"phone-{phase}-390x844.png"))
                for locator in self.action_of(page, phase):
                    self.assert_on_first_screen(page, locator)
                # Room enough: the prompt is whole, with nothing to open.
                expect(page.locator(".prompt-toggle")).to_have_count(0)
                self.assert_accessible(page)
            with self.subTest(phase=phase, size="320 px, 200 % text"):
                page = self.phone(PHONE_320, big_text=True)
                expect(page.locator("html")).to_have_class(re.compile(r"\btext-200\b"))
                page.screenshot(path=str(SHOTS / f"phone-{phase}-320-text200.png"))
                for locator in self.action_of(page, phase):
                    self.assert_on_first_screen(page, locator)
                overflow = page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                self.assertLessEqual(overflow, 1, f"{phase}: the page scrolls sideways")
                self.assert_accessible(page)
                self.assert_the_folded_prompt_opens(page)

    def assert_the_folded_prompt_opens(self, page: Page) -> None:
        prompt = page.locator(".phase-prompt")
        hidden_lines = "e => e.scrollHeight - e.clientHeight"
        self.assertGreater(prompt.evaluate(hidden_lines), 1, "the long prompt is not folded")
        page.get_by_role("button", name="Show all").click()
        expect(page.get_by_role("button", name="Show less")).to_have_attribute(
            "aria-expanded", "true"
        )
        self.assertLessEqual(prompt.evaluate(hidden_lines), 1, "the opened prompt is cut")
        self.assert_accessible(page)

    def test_the_picker_starts_on_the_first_screen_and_keeps_map_in_view(self) -> None:
        self.set_phase(Phase.MAPPING)
        for device, big_text in ((PHONE_390, False), (PHONE_320, True)):
            with self.subTest(width=device["viewport"]["width"], big_text=big_text):
                page = self.phone(device, big_text=big_text)
                page.locator(".next-to-map-link").click()
                expect(page.get_by_role("heading", name="Map a need to strategies")).to_be_visible()
                first = page.locator(".picker-option").first
                # Opened in place (issue 25): the page is brought to the picker, no scrolling.
                self.assert_on_first_screen_after_scroll(page, first.get_by_role("checkbox"))
                self.assert_accessible(page)
                # A strategy far down the list: once ticked, "Map" is on screen where it is.
                last = page.get_by_role("checkbox").last
                last.check()
                page.screenshot(path=str(SHOTS / f"phone-picker-{device['viewport']['width']}.png"))
                self.assert_on_first_screen_after_scroll(page, last)
                button = page.get_by_role("button", name="Map", exact=True)
                self.assert_on_first_screen_after_scroll(page, button)
                button.click()
                expect(page).to_have_url(re.compile(f"/s/{CODE}/$"))
                expect(page.locator("#flash")).to_contain_text("Mapped to")
                mine = Mapping.objects.filter(author=self.me)
                self.assertTrue(mine.exists(), "the mapping was not saved")
                mine.delete()

    def test_the_header_folds_into_a_menu_that_a_keyboard_opens(self) -> None:
        page = self.phone(PHONE_390)
        nav = page.get_by_role("navigation", name="Main")
        expect(nav).to_be_hidden()
        menu = page.get_by_role("button", name="Menu")
        expect(menu).to_have_attribute("aria-expanded", "false")
        menu.focus()
        page.keyboard.press("Enter")
        expect(nav).to_be_visible()
        expect(menu).to_have_attribute("aria-expanded", "true")
        expect(page.get_by_role("button", name="Larger text")).to_be_visible()
        self.assert_accessible(page)
        page.get_by_role("link", name="Taxonomy").focus()
        page.keyboard.press("Escape")
        expect(nav).to_be_hidden()
        expect(menu).to_be_focused()

    def test_a_tap_on_a_need_gives_it_a_dot_and_the_budget_stays_in_view(self) -> None:
        self.set_phase(Phase.VOTING, dot_budget=2, dot_cap=2)
        page = self.phone(PHONE_390)
        cards = page.locator("#needs-list .need-card")
        first, second = cards.nth(0), cards.nth(1)
        # Dots on mappings are folded under their need: one "Add a dot" per need on screen.
        expect(page.locator("#needs-list .vote-add:visible")).to_have_count(cards.count())
        first.get_by_role("button", name="Add a dot").click()
        expect(page.locator("#dot-budget")).to_contain_text("1 dot left")
        expect(first.get_by_role("button", name="Take a dot back")).to_be_visible()
        second.get_by_role("button", name="Add a dot").click()
        expect(page.locator("#dot-budget")).to_contain_text("0 dots left")
        # Budget spent: every "Add a dot" is disabled and says why.
        for button in page.locator("#needs-list .vote-add:visible").all():
            expect(button).to_be_disabled()
        expect(cards.nth(2)).to_contain_text("No dots left: take one back to move it.")
        # The budget stays in view down the list.
        cards.last.scroll_into_view_if_needed()
        self.assert_on_first_screen_after_scroll(page, page.locator("#dot-budget"))
        first.get_by_role("button", name="Take a dot back").click()
        expect(page.locator("#dot-budget")).to_contain_text("1 dot left")
        expect(cards.nth(2).get_by_role("button", name="Add a dot")).to_be_enabled()
        # A need's mappings: open the fold to put a dot on one of them.
        first.locator(".mapping-votes summary").click()
        first.locator(".mapping-vote").first.get_by_role("button", name="Add a dot").click()
        expect(page.locator("#dot-budget")).to_contain_text("0 dots left")
        self.assert_accessible(page)

    def assert_on_first_screen_after_scroll(self, page: Page, locator) -> None:
        box = locator.bounding_box()
        self.assertGreaterEqual(box["y"], 0)
        self.assertLessEqual(box["y"] + box["height"], page.viewport_size["height"])

    def test_joining_from_the_qr_link_takes_two_taps(self) -> None:
        page = self.new_page(PHONE_390)
        page.goto(f"{self.live_server_url}/join/{CODE}/?at=room")
        expect(page.get_by_label("In the room")).to_be_checked()
        self.assert_on_first_screen(page, page.get_by_role("button", name="Join"))
        page.screenshot(path=str(SHOTS / "phone-join-390x844.png"))
        self.assert_accessible(page)

        page.get_by_label(re.compile("I agree")).tap()  # 1
        page.get_by_role("button", name="Join").tap()  # 2

        expect(page).to_have_url(re.compile(f"/s/{CODE}/$"))
        expect(page.get_by_label("A need of your community")).to_be_visible()

    def test_a_mistyped_code_is_told_apart_from_an_unknown_one(self) -> None:
        page = self.new_page(PHONE_390)
        page.goto(f"{self.live_server_url}/join/")
        page.get_by_label("Session code").fill("K7HQ4")
        page.get_by_role("button", name="Continue").click()
        expect(page.locator("#main")).to_contain_text("six letters and digits")
        page.get_by_label("Session code").fill("K7HQ4Q")
        page.get_by_role("button", name="Continue").click()
        expect(page.locator("#main")).to_contain_text("No session has the code K7HQ4Q")
        page.goto(f"{self.live_server_url}/join/ZZZZZZ/")
        expect(page.locator("#main")).to_contain_text("No session has the code ZZZZZZ")
        self.assert_accessible(page)

    def test_see_the_shared_board_opens_a_board_for_a_phone(self) -> None:
        self.set_phase(Phase.VOTING)
        page = self.phone(PHONE_390)
        page.get_by_role("link", name="See the shared board").click()
        expect(page).to_have_url(re.compile(f"/s/{CODE}/board/phone/$"))
        expect(page.locator("#connection-status")).to_have_text("Live")
        expect(page.locator(".qr-code")).to_have_count(0)
        expect(page.locator("#board-grid")).to_be_visible()
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        self.assertLessEqual(overflow, 1)
        page.screenshot(path=str(SHOTS / "phone-board-390x844.png"))
        self.assert_accessible(page)

    def test_the_home_page_leads_to_the_facilitators_area(self) -> None:
        get_user_model().objects.create_user("ada", password="pw-for-tests-only")
        page = self.new_page(PHONE_390)
        page.goto(f"{self.live_server_url}/")
        page.get_by_role("link", name="Run a session").click()
        expect(page).to_have_url(re.compile("/accounts/login/"))
