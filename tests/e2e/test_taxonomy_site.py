"""The public taxonomy site in a phone browser: browsing, references, live search, no-JS
search, accessibility in light and dark mode, and a 320 px wide screen."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.base import BrowserTestCase
from tests.factories import workshop_sample

pytestmark = pytest.mark.e2e

SEARCH_LABEL = "Search strategies, cases and references"


class TaxonomySiteTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.sample = workshop_sample()
        self.errors: list[str] = []

    def watched_page(self, **options):
        """A phone page whose console errors (a CSP violation, a script error) fail the test."""
        page = self.new_page(**options)
        page.on(
            "console", lambda message: message.type == "error" and self.errors.append(message.text)
        )
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        return page

    def tearDown(self) -> None:
        self.assertEqual(self.errors, [], "the browser reported errors")
        super().tearDown()

    def url(self, path: str) -> str:
        return f"{self.live_server_url}{path}"

    def page_paths(self) -> list[str]:
        return [
            "/taxonomy/",
            self.sample["categories"]["opt-out"].get_absolute_url(),
            self.sample["strategies"]["data-leverage"].get_absolute_url(),
            self.sample["cases"]["twitter-image-cropping"].get_absolute_url(),
            "/taxonomy/cases/",
            "/taxonomy/references/",
            "/taxonomy/search/?q=data",
        ]

    def test_browse_from_home_to_a_strategy_and_its_reference(self) -> None:
        page = self.watched_page()
        page.goto(self.url("/"))
        self.assert_accessible(page)

        page.get_by_role("link", name="Browse the taxonomy").click()
        expect(page).to_have_url(self.url("/taxonomy/"))
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Taxonomy of Collective Action in Algorithmic Systems"
        )
        expect(page.get_by_role("rowheader", name="Model-based")).to_be_visible()
        self.assert_accessible(page)

        page.get_by_role("link", name="Auditing, Challenging, and Contesting").click()
        expect(page).to_have_url(self.url("/taxonomy/c/auditing/"))
        expect(page.get_by_text("Making harms visible")).to_be_visible()
        self.assert_accessible(page)

        page.get_by_role("link", name="Folk theorisation").click()
        expect(page).to_have_url(self.url("/taxonomy/s/folk-theorisation/"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Folk theorisation")
        breadcrumb = page.get_by_role("navigation", name="Breadcrumb")
        crumb = breadcrumb.get_by_role("link", name="Auditing, Challenging, and Contesting")
        expect(crumb).to_be_visible()
        # DOI links go to doi.org; they are checked, never followed (no request leaves the host).
        doi = page.get_by_role("link", name="https://doi.org/10.1145/3476046")
        expect(doi).to_have_attribute("href", "https://doi.org/10.1145/3476046")
        self.assert_accessible(page)

        page.get_by_role("link", name="Reference 13 in the bibliography").click()
        expect(page).to_have_url(self.url("/taxonomy/references/#ref-13"))
        entry = page.locator("#ref-13")
        expect(entry).to_contain_text("Algorithmic folk theories and identity")
        expect(entry).to_be_in_viewport()
        expect(entry.get_by_role("link", name="https://doi.org/10.1145/3476046")).to_have_attribute(
            "href", "https://doi.org/10.1145/3476046"
        )
        self.assert_accessible(page)

        page.locator("#ref-4").get_by_role("link", name="Twitter image cropping").click()
        expect(page).to_have_url(self.url("/taxonomy/cases/twitter-image-cropping/"))
        expect(page.get_by_text("Black Twitter users")).to_be_visible()
        self.assert_accessible(page)

        page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Cases").click()
        expect(page.get_by_role("link", name="Decline Now")).to_be_visible()
        self.assert_accessible(page)

    def test_live_search_shows_results_without_reloading_the_page(self) -> None:
        page = self.watched_page()
        page.goto(self.url("/taxonomy/search/"))
        page.evaluate("window.sameDocument = true")

        page.get_by_label(SEARCH_LABEL).press_sequentially("drivers")

        status = page.get_by_role("status")
        expect(status).to_have_text("1 result for “drivers”")
        results = page.locator("#search-results")
        expect(results.get_by_role("link", name="Decline Now")).to_be_visible()
        assert page.evaluate("window.sameDocument") is True, "the page reloaded"
        expect(page).to_have_url(re.compile(r"/taxonomy/search/\?q=drivers$"))
        self.assert_accessible(page)

        page.get_by_label(SEARCH_LABEL).fill("data poisoning")
        expect(status).to_have_text("1 result for “data poisoning”")
        expect(results.get_by_role("link", name="Data poisoning")).to_be_visible()
        expect(results.get_by_role("link", name="Decline Now")).to_have_count(0)
        assert page.evaluate("window.sameDocument") is True
        self.assert_accessible(page)

    def test_search_form_works_without_javascript(self) -> None:
        page = self.new_page(java_script_enabled=False)
        page.goto(self.url("/taxonomy/search/"))

        page.get_by_label(SEARCH_LABEL).fill("Schölkopf")
        page.get_by_role("button", name="Search").click()

        expect(page).to_have_url(re.compile(r"/taxonomy/search/\?q=Sch%C3%B6lkopf$"))
        expect(page.locator("#search-status")).to_have_text("1 result for “Schölkopf”")
        expect(page.get_by_role("link", name="Reference 12 in the bibliography")).to_be_attached()

    def test_pages_are_accessible_in_dark_mode(self) -> None:
        page = self.new_page(color_scheme="dark")
        for path in self.page_paths():
            with self.subTest(path=path):
                page.goto(self.url(path))
                expect(page.locator("html")).to_have_attribute("data-bs-theme", "dark")
                self.assert_accessible(page)

    def test_pages_fit_a_320_px_screen(self) -> None:
        page = self.new_page(
            {"viewport": {"width": 320, "height": 640}, "is_mobile": True, "has_touch": True}
        )
        for path in ["/", *self.page_paths()]:
            with self.subTest(path=path):
                page.goto(self.url(path))
                overflow = page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                self.assertLessEqual(overflow, 0, f"{path} scrolls sideways at 320 px")


class CommunityWordsTests(BrowserTestCase):
    """The bundled taxonomy in French, searched with the community's own words."""

    def setUp(self) -> None:
        super().setUp()
        from taxonomy.datafile import BUNDLED_TAXONOMY_FILE
        from taxonomy.loading import load_taxonomy

        load_taxonomy(BUNDLED_TAXONOMY_FILE)

    def french_page(self, device=None):
        from tests.e2e.base import PHONE_390

        page = self.new_page(device or PHONE_390, locale="fr")
        host = self.live_server_url.split("//")[1].split(":")[0]
        page.context.add_cookies(
            [{"name": "django_language", "value": "fr", "domain": host, "path": "/"}]
        )
        return page

    def test_a_french_reader_finds_folk_theorisation_by_typing_shadowban(self) -> None:
        page = self.french_page()
        page.goto(f"{self.live_server_url}/taxonomy/")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Taxonomie de l’action collective dans les systèmes algorithmiques"
        )
        expect(page.locator(".lead-text")).to_contain_text("Les façons dont des personnes")
        page.screenshot(path="/tmp/newcomer-taxonomy-fr-390.png")

        page.get_by_role("searchbox").first.fill("shadowban")
        page.get_by_role("searchbox").first.press("Enter")
        results = page.locator("main")
        expect(results).to_contain_text("Théorisation populaire")
        expect(results).to_contain_text("Audit algorithmique au quotidien")
        page.screenshot(path="/tmp/newcomer-search-shadowban-fr-390.png", full_page=True)
        self.assert_accessible(page)
