"""What one writes on a phone, and takes back (issue 25): the author's Delete shows at once for
a need and for a gap note, and stays when the room's push lands; a deletion is said in words
where the item was, with no console error; at 320x640 with 200 % text every error of the gap
form is in view above the sticky button, in the app's own words, and every label wraps between
words. English and French; screenshots go to test-results/."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from sessions.enums import Phase
from sessions.models import GapNote, LiveSession, Need
from tests.e2e.base import PHONE_320, PHONE_390, BrowserTestCase
from tests.factories import LiveSessionFactory, NeedFactory, ParticipantFactory, workshop_sample

pytestmark = pytest.mark.e2e

CODE = "K7HQ4P"
SHOTS = Path(__file__).resolve().parents[2] / "test-results"
TEXT_200 = "try { localStorage.setItem('cg-text-size', '200'); } catch (e) {}"
WORDS = {
    "en": {
        "need_label": "A need of your community",
        "post": "Post need",
        "delete": "Delete",
        "gap_label": "Describe the gap",
        "add_gap": "Add gap note",
        "other": "Other",
        "deleted": "Deleted: “{}”.",
        "empty_gap": "Your gap note is empty: write a few words first.",
        "gap_too_long": "At most 500 characters: yours has 501.",
        "need_too_long": "At most 280 characters: yours has 300.",
    },
    "fr": {
        "need_label": "Un besoin de votre communauté",
        "post": "Publier le besoin",
        "delete": "Supprimer",
        "gap_label": "Décrivez la lacune",
        "add_gap": "Ajouter la lacune",
        "other": "Autre",
        "deleted": "Supprimé : “{}”.",
        "empty_gap": "Votre note de lacune est vide : écrivez d’abord quelques mots.",
        "gap_too_long": "500 caractères au plus : la vôtre en a 501.",
        "need_too_long": "280 caractères au plus : la vôtre en a 300.",
    },
}


class PhoneFormTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.live_session = LiveSessionFactory(
            code=CODE, phase=Phase.NEEDS, title="Plenary", taxonomy=workshop_sample()["taxonomy"]
        )
        self.other = ParticipantFactory(live_session=self.live_session)
        NeedFactory(author=self.other, text="Appeals that a person reads, not a model")
        SHOTS.mkdir(exist_ok=True)

    def phone(self, device, language="en", big_text=False) -> tuple[Page, list]:
        person = ParticipantFactory(live_session=self.live_session)
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
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("dialog", lambda dialog: dialog.accept())
        page.goto(f"{self.live_server_url}/s/{CODE}/")
        expect(page.locator("#connection-status")).to_have_attribute("data-state", "live")
        return page, errors

    def set_phase(self, phase) -> None:
        LiveSession.objects.filter(pk=self.live_session.pk).update(phase=phase)

    def test_a_deleted_need_and_gap_note_are_said_where_they_were_with_no_console_error(self):
        for language in ("en", "fr"):
            words = WORDS[language]
            with self.subTest(language=language, item="need"):
                self.set_phase(Phase.NEEDS)
                page, errors = self.phone(PHONE_390, language)
                text = f"Know why my posts get hidden ({language})"
                page.get_by_label(words["need_label"]).fill(text)
                page.get_by_role("button", name=words["post"]).click()
                card = page.locator("#needs-list > li.need-card", has_text=text)
                delete = card.get_by_role("button", name=re.compile(f"^{words['delete']}"))
                expect(delete).to_be_visible()
                page.wait_for_timeout(1500)  # the room's push has landed: the control stays
                expect(delete).to_be_visible()
                delete.click()
                note = page.locator("#needs-list .withdrawn-note")
                expect(note).to_have_text(words["deleted"].format(text))
                expect(card).to_be_hidden()
                page.wait_for_timeout(1500)
                expect(note).to_be_visible()  # still said once the push took the card away
                self.assertFalse(Need.objects.filter(text=text).exists())
                page.screenshot(path=str(SHOTS / f"deleted-need-390-{language}.png"))
                self.assertEqual(errors, [])
                self.assert_accessible(page)
            with self.subTest(language=language, item="gap note"):
                self.set_phase(Phase.GAPS)
                page, errors = self.phone(PHONE_390, language)
                text = f"No study asks sex workers ({language})"
                page.get_by_label(words["other"], exact=True).check()
                page.get_by_label(words["gap_label"]).fill(text)
                page.get_by_role("button", name=words["add_gap"]).click()
                item = page.locator("#gaps li.gap-note", has_text=text)
                delete = item.get_by_role("button", name=re.compile(f"^{words['delete']}"))
                expect(delete).to_be_visible()
                page.wait_for_timeout(1500)
                expect(delete).to_be_visible()
                delete.click()
                note = page.locator("#gaps .withdrawn-note")
                expect(note).to_have_text(words["deleted"].format(text))
                page.wait_for_timeout(1500)  # the push redrew the gaps: the words stay
                expect(note).to_be_visible()
                expect(item).to_have_count(0)
                self.assertFalse(GapNote.objects.filter(text=text).exists())
                page.screenshot(path=str(SHOTS / f"deleted-gap-390-{language}.png"))
                self.assertEqual(errors, [])
                self.assert_accessible(page)

    def assert_above_the_button(self, page: Page, region: str, message: str, button) -> None:
        error = page.locator(f"{region} .invalid-feedback", has_text=message).first
        expect(error).to_be_visible()
        page.wait_for_timeout(300)  # brought into view once htmx has settled
        box, bar = error.bounding_box(), button.bounding_box()
        self.assertGreaterEqual(box["y"], 0, f"{message!r} is above the screen")
        self.assertLessEqual(
            box["y"] + box["height"], bar["y"], f"{message!r} is under the sticky button"
        )

    def test_gap_errors_show_above_the_sticky_button_in_the_apps_words_at_200_percent(self):
        self.set_phase(Phase.GAPS)
        for language in ("en", "fr"):
            words = WORDS[language]
            with self.subTest(language=language):
                page, _errors = self.phone(PHONE_320, language, big_text=True)
                expect(page.locator("html")).to_have_class(re.compile(r"\btext-200\b"))
                button = page.get_by_role("button", name=words["add_gap"])
                # Every choice's label wraps between words, never inside one.
                broken = page.evaluate(
                    """() => [...document.querySelectorAll('#gap-form-region label')]
                      .filter(label => {
                        const style = getComputedStyle(label);
                        const canvas = document.createElement('canvas').getContext('2d');
                        canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
                        const widest = Math.max(...label.textContent.trim().split(/\\s+/)
                          .map(word => canvas.measureText(word).width));
                        return label.getBoundingClientRect().width + 0.5 < widest;
                      }).map(label => label.textContent.trim())"""
                )
                self.assertEqual(broken, [], "labels broken inside a word")
                overflow = page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                self.assertLessEqual(overflow, 1, "the page scrolls sideways")
                page.get_by_label(words["other"], exact=True).check()
                page.get_by_label(words["gap_label"]).fill("   ")
                button.click()
                self.assert_above_the_button(page, "#gap-form-region", words["empty_gap"], button)
                page.screenshot(path=str(SHOTS / f"gap-empty-320-text200-{language}.png"))
                # Longer than the field takes (a paste the browser did not cut): the server's
                # limit, in view too.
                field = page.get_by_label(words["gap_label"])
                field.evaluate("e => e.removeAttribute('maxlength')")
                field.fill("x" * 501)
                button.click()
                self.assert_above_the_button(
                    page, "#gap-form-region", words["gap_too_long"], button
                )
                page.screenshot(path=str(SHOTS / f"gap-too-long-320-text200-{language}.png"))
                self.assert_accessible(page)

    def test_a_need_too_long_is_said_above_the_sticky_button_at_200_percent(self):
        for language in ("en", "fr"):
            words = WORDS[language]
            with self.subTest(language=language):
                page, _errors = self.phone(PHONE_320, language, big_text=True)
                field = page.get_by_label(words["need_label"])
                field.evaluate("e => e.removeAttribute('maxlength')")
                field.fill("x" * 300)
                button = page.get_by_role("button", name=words["post"])
                button.click()
                self.assert_above_the_button(
                    page, "#need-form-region", words["need_too_long"], button
                )
                page.screenshot(path=str(SHOTS / f"need-too-long-320-text200-{language}.png"))
                self.assert_accessible(page)


class DashboardUndoTests(BrowserTestCase):
    """A facilitator's hide and its undo are each confirmed in words in the toast, with no
    console error (the dashboard's inline-style CSP reports on load are another part of issue
    25 and are left out)."""

    def test_a_hide_and_its_undo_are_confirmed_with_no_console_error(self):
        from django.contrib.auth import get_user_model

        live_session = LiveSessionFactory(
            code=CODE, phase=Phase.NEEDS, title="Plenary", taxonomy=workshop_sample()["taxonomy"]
        )
        user = get_user_model().objects.create_user("ada", password="pw-for-tests-only")
        live_session.facilitators.add(user)
        need = NeedFactory(
            author=ParticipantFactory(live_session=live_session), text="Safer streams"
        )
        page = self.facilitator_page("ada", "pw-for-tests-only", f"/facilitate/{CODE}/")
        page.wait_for_load_state("networkidle")
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

        page.get_by_role("button", name=re.compile("^Hide.*Safer streams")).first.click()
        toast = page.locator("#flash .toast-message")
        expect(toast).to_contain_text("Hidden: “Safer streams”.")
        toast.hover()
        toast.get_by_role("button", name=re.compile("^Undo")).click()
        expect(toast).to_contain_text("Shown again: “Safer streams”.")
        need.refresh_from_db()
        self.assertEqual(need.status, "visible")
        page.screenshot(path=str(SHOTS / "dashboard-undo-hide-1280.png"))
        self.assertEqual([e for e in errors if "Content Security Policy" not in e], [])
