"""The strategy picker on a phone (issue 25): it opens in place on the session page, without a
page load, from the next need to map and from any need's card; as soon as a strategy is ticked
"Map" is on the screen, at every phone size (390x844, 360x740, 320x640 with 200 % text), with
the bundled taxonomy's 21 strategies; mapping comes back to the session page saying so. English
and French; screenshots go to test-results/."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from sessions.enums import Phase
from sessions.models import Mapping
from taxonomy.datafile import BUNDLED_TAXONOMY_FILE
from taxonomy.loading import load_taxonomy
from taxonomy.models import Strategy, Taxonomy
from tests.e2e.base import PHONE, PHONE_320, PHONE_390, BrowserTestCase
from tests.factories import LiveSessionFactory, NeedFactory, ParticipantFactory

pytestmark = pytest.mark.e2e

CODE = "K7HQ4P"
SHOTS = Path(__file__).resolve().parents[2] / "test-results"
TEXT_200 = "try { localStorage.setItem('cg-text-size', '200'); } catch (e) {}"
WORDS = {
    "en": {"open": "Map this need", "title": "Map a need to strategies", "map": "Map"},
    "fr": {
        "open": "Relier ce besoin",
        "title": "Relier un besoin à des stratégies",
        "map": "Relier",
    },
}


class PickerInPlaceTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        load_taxonomy(BUNDLED_TAXONOMY_FILE)
        taxonomy = Taxonomy.objects.get()
        self.live_session = LiveSessionFactory(
            code=CODE, phase=Phase.MAPPING, title="Plenary", taxonomy=taxonomy
        )
        other = ParticipantFactory(live_session=self.live_session)
        self.needs = [
            NeedFactory(author=other, text="Know why my posts get shadowbanned"),
            NeedFactory(author=other, text="Appeals that a person reads, not a model"),
        ]
        self.assertEqual(Strategy.objects.filter(taxonomy=taxonomy).count(), 21)
        SHOTS.mkdir(exist_ok=True)

    def phone(self, device, language="en", big_text=False) -> tuple[Page, list]:
        person = ParticipantFactory(live_session=self.live_session)
        self.person = person
        page = self.new_page(device, locale=language)
        if big_text:
            page.add_init_script(TEXT_200)
        host = urlsplit(self.live_server_url).hostname
        page.context.add_cookies(
            [
                {"name": f"cg_p_{CODE}", "value": person.token, "domain": host, "path": "/"},
                {"name": "django_language", "value": language, "domain": host, "path": "/"},
            ]
        )
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{self.live_server_url}/s/{CODE}/")
        expect(page.locator("#connection-status")).to_have_attribute("data-state", "live")
        # Set on this page: still there after opening the picker means no page load happened.
        page.evaluate("window.cgSamePage = true")
        return page, errors

    def assert_in_view(self, page: Page, locator, what: str) -> None:
        box = locator.bounding_box()
        height = page.viewport_size["height"]
        self.assertIsNotNone(box, f"{what} is not shown")
        self.assertGreaterEqual(box["y"], 0, f"{what} is above the screen")
        self.assertLessEqual(box["y"] + box["height"], height, f"{what} is below the screen")

    def test_the_picker_opens_in_place_and_map_is_in_view_once_a_strategy_is_ticked(self):
        sizes = [
            (PHONE_390, False, "en"),
            (PHONE, False, "en"),
            (PHONE_320, True, "en"),
            (PHONE_390, False, "fr"),
            (PHONE_320, True, "fr"),
        ]
        for device, big_text, language in sizes:
            width = device["viewport"]["width"]
            words = WORDS[language]
            with self.subTest(width=width, big_text=big_text, language=language):
                page, errors = self.phone(device, language, big_text)
                url = page.url
                page.get_by_text(words["open"]).click()
                title = page.get_by_role("heading", name=words["title"])
                expect(title).to_be_visible()
                self.assertEqual(page.url, url)
                self.assertTrue(page.evaluate("window.cgSamePage === true"), "a page load")
                expect(title).to_be_focused()
                every = page.locator("#map-picker-slot [name=strategies]")
                self.assertEqual(every.count(), 21)
                self.assert_in_view(page, every.first, "the first strategy")
                # Those the room mapped already (earlier sizes) are offered no more.
                boxes = page.locator("#map-picker-slot [name=strategies]:not([disabled])")
                button = page.get_by_role("button", name=words["map"], exact=True)
                # Ticked near the top of the list: "Map" shows at once, the list above it.
                boxes.first.check()
                self.assert_in_view(page, button, f"{words['map']!r} after the first tick")
                boxes.last.scroll_into_view_if_needed()
                boxes.last.check()
                self.assert_in_view(page, boxes.last, "the last strategy")
                self.assert_in_view(page, button, f"{words['map']!r} after the last tick")
                suffix = f"{width}{'-text200' if big_text else ''}-{language}"
                page.screenshot(path=str(SHOTS / f"picker-in-place-{suffix}.png"))
                self.assert_accessible(page)
                button.click()
                expect(page).to_have_url(re.compile(f"/s/{CODE}/$"))
                expect(page.locator("#flash")).to_contain_text(
                    "Mapped to" if language == "en" else "Relié à"
                )
                self.assertEqual(Mapping.objects.filter(author=self.person).count(), 2)
                self.assertEqual([e for e in errors if "Content Security" not in e], [])

    def test_a_needs_card_opens_the_picker_in_place_too(self):
        page, _errors = self.phone(PHONE_390)
        card = page.locator("#needs-list > li.need-card", has_text=self.needs[1].text)
        card.get_by_role("link", name=re.compile("^Map to strategies")).click()
        expect(page.locator("#map-picker-slot blockquote")).to_have_text(self.needs[1].text)
        self.assertTrue(page.evaluate("window.cgSamePage === true"), "a page load")
        self.assert_accessible(page)
