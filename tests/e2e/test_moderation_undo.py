"""A facilitator merges a suggested pair and undoes it from the toast, in a real browser; a
removed participant erases themselves from the calm page (issue 21). Screenshots of each
screen go to SCREENSHOT_DIR (default: /tmp/commonground-shots) to be looked at."""

import os
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from sessions import services
from sessions.enums import Phase
from sessions.models import Need, Participant
from tests.e2e.base import PHONE_320, PHONE_390, BrowserTestCase
from tests.factories import (
    CategoryFactory,
    LiveSessionFactory,
    NeedFactory,
    ParticipantFactory,
    StrategyFactory,
    VoteFactory,
    default_taxonomy,
)

pytestmark = pytest.mark.e2e

CODE = "K7HQ4P"
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp/commonground-shots"))
LAPTOP_1440 = {"viewport": {"width": 1440, "height": 900}}
TEXT_200 = "try { localStorage.setItem('cg-text-size', '200'); } catch (e) {}"


class ModerationUndoTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        SHOTS.mkdir(parents=True, exist_ok=True)
        taxonomy = default_taxonomy()
        StrategyFactory(category=CategoryFactory(taxonomy=taxonomy), name="Folk theorisation")
        self.live_session = LiveSessionFactory(
            code=CODE, phase=Phase.VOTING, title="Plenary", dot_budget=5, dot_cap=3
        )
        user = get_user_model().objects.create_user(
            "ada", password="pw-for-tests-only", first_name="Ada"
        )
        self.live_session.facilitators.add(user)
        self.user = user
        author = ParticipantFactory(live_session=self.live_session)
        self.keep = NeedFactory(author=author, text="Know why my posts are hidden")
        self.duplicate = NeedFactory(author=author, text="Know why my posts get hidden!")
        otter = ParticipantFactory(live_session=self.live_session, pseudonym="Bright Otter")
        VoteFactory(participant=otter, need=self.keep, dots=2)
        VoteFactory(participant=otter, need=self.duplicate, dots=2)
        # Made by factories, not posted: compared as the posting's after-commit refresh would.
        services.refresh_merge_suggestions(live_session=self.live_session)

    def test_a_merge_says_what_happened_to_the_dots_and_is_undone_from_its_toast(self) -> None:
        dashboard = self.new_page(LAPTOP_1440)
        dashboard.goto(f"{self.live_server_url}/facilitate/{CODE}/")
        expect(dashboard).to_have_url(re.compile("/accounts/login/"))
        dashboard.get_by_label("Username").fill("ada")
        dashboard.get_by_label("Password").fill("pw-for-tests-only")
        dashboard.get_by_role("button", name="Log in").click()
        # A click before htmx is up is a plain form post, answered with a page, not a toast.
        expect(dashboard).to_have_url(re.compile(f"/facilitate/{CODE}/$"))
        dashboard.wait_for_load_state("load")

        dashboard.get_by_role("button", name=re.compile("Merge into the first")).click()

        toast = dashboard.locator("#flash .toast-message")
        expect(toast).to_contain_text(
            "Merged “Know why my posts get hidden!” into “Know why my posts are hidden”: "
            "1 dot moved, 1 returned to Bright Otter's budget."
        )
        expect(dashboard.locator(".moderation-log")).to_contain_text(
            "Ada merged “Know why my posts get hidden!” into “Know why my posts are hidden”"
        )
        toast.hover()  # a toast stays while the pointer is on it (it goes after ten seconds)
        dashboard.screenshot(path=str(SHOTS / "dashboard-merge-toast-1440.png"))

        toast.get_by_role("button", name=re.compile("Undo")).click()

        expect(toast).to_contain_text(
            "Merge undone: “Know why my posts get hidden!” is a need of its own again: "
            "1 dot moved back, 1 put back from Bright Otter's budget."
        )
        expect(dashboard.locator(".moderation-log")).to_contain_text("undone")
        self.assertEqual(Need.objects.get(pk=self.duplicate.pk).status, "visible")
        self.assert_accessible(dashboard)
        dashboard.locator(".moderation-log").scroll_into_view_if_needed()
        dashboard.screenshot(path=str(SHOTS / "dashboard-undone-log-1440.png"), full_page=True)

    def test_a_removed_participant_erases_themselves_from_the_calm_page(self) -> None:
        for device, name, init in (
            (PHONE_390, "390", ""),
            (PHONE_320, "320-text200", TEXT_200),
        ):
            with self.subTest(device=name):
                page = self.new_page(device)
                if init:
                    page.add_init_script(init)
                page.goto(f"{self.live_server_url}/join/{CODE}/")
                page.get_by_label("In the room").check()
                page.get_by_label(re.compile("I agree")).check()
                page.get_by_role("button", name="Join").click()
                expect(page.locator("#connection-status")).to_have_text("Live")
                person = Participant.objects.latest("joined_at")
                NeedFactory(author=person, text=f"Zebrafinch appeals {name}")
                services.remove_participant(actor=self.user, participant=person)
                page.reload()
                expect(page.locator("#removed-title")).to_be_visible()
                self.assert_accessible(page)
                page.screenshot(path=str(SHOTS / f"removed-erase-link-{name}.png"), full_page=True)

                page.get_by_role("link", name="Erase me").click()
                self.assert_accessible(page)
                page.screenshot(path=str(SHOTS / f"erase-page-removed-{name}.png"), full_page=True)
                page.get_by_role("button", name="Erase everything I contributed").click()

                # Erased, and still removed: the calm page again, never the join form.
                expect(page.locator("#removed-title")).to_be_visible()
                self.assertFalse(Participant.objects.filter(pk=person.pk).exists())
                self.assertFalse(Need.objects.filter(text__startswith="Zebrafinch").exists())
