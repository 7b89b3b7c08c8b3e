"""Every tap answered (issue 14): each refusal, server error and lost connection is said next
to the control and in a polite live region, nothing typed is lost and the control works
again; only an item's author gets its controls; a removed phone is told at once and stays
out; a need waiting for a facilitator stays with its author; the dashboard answers every
action with a toast."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from sessions import services
from sessions.enums import Phase
from sessions.models import LiveSession
from tests.e2e.base import PHONE_390, BrowserTestCase
from tests.factories import LiveSessionFactory, NeedFactory, ParticipantFactory, workshop_sample

pytestmark = pytest.mark.e2e

CODE = "K7HQ4P"


class PhoneAnswerTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.live_session = LiveSessionFactory(
            code=CODE, phase=Phase.NEEDS, title="Plenary", taxonomy=workshop_sample()["taxonomy"]
        )
        self.me = ParticipantFactory(live_session=self.live_session, pseudonym="Bright Otter")
        user = get_user_model().objects.create_user("ada", password="pw-for-tests-only")
        self.live_session.facilitators.add(user)

    def phone(self, participant=None) -> Page:
        page = self.joined_page(participant or self.me, PHONE_390)
        expect(page.locator("#connection-status")).to_have_text("Live")
        return page

    def set_quietly(self, **fields) -> None:
        """Change the session behind the phones' backs (no push): as if the change raced
        the tap."""
        LiveSession.objects.filter(pk=self.live_session.pk).update(**fields)

    def dashboard(self) -> Page:
        page = self.facilitator_page("ada", "pw-for-tests-only", f"/facilitate/{CODE}/")
        page.on("dialog", lambda dialog: dialog.accept())
        # Its regions refresh once its socket opens: act after that, not on a region being
        # replaced under the pointer.
        page.wait_for_load_state("networkidle")
        return page

    def post_need(self, page: Page, text: str):
        page.get_by_label("A need of your community").fill(text)
        page.get_by_role("button", name="Post need").click()

    def assert_answered(self, page: Page, region: str, message) -> None:
        """The message next to the control (inside its region) and in the live region."""
        expect(page.locator(region)).to_contain_text(message)
        expect(page.locator("#tap-status")).to_contain_text(message)
        expect(page.locator("#tap-status")).to_have_attribute("aria-live", "polite")

    def test_every_refusal_of_a_post_is_said_next_to_the_form_and_nothing_typed_is_lost(self):
        page = self.phone()
        form = "#need-form-region"
        field = page.get_by_label("A need of your community")
        button = page.get_by_role("button", name="Post need")

        self.post_need(page, "   ")
        self.assert_answered(page, form, "Your need is empty: write a few words first.")

        page.route(
            "**/needs/",
            lambda route: route.fulfill(status=500, body="<h1>Server Error (500)</h1>"),
        )
        self.post_need(page, "Kept through a server error")
        self.assert_answered(page, form, "Something went wrong on the server")
        expect(field).to_have_value("Kept through a server error")
        expect(button).to_be_enabled()

        page.unroute("**/needs/")
        # No connection, or a server that says "try again" (503): the phone's outbox keeps
        # the need and sends it by itself (tests/e2e/test_phone_outbox.py).

        self.set_quietly(phase=Phase.VOTING)
        button.click()
        self.assert_answered(page, form, "That is not open in the Voting phase.")
        expect(field).to_have_value("Kept through a server error")

        self.set_quietly(phase=Phase.NEEDS, input_locked=True)
        button.click()
        self.assert_answered(page, form, "The facilitators have paused input for a moment.")
        self.set_quietly(input_locked=False)
        self.assert_accessible(page)

        # Post until the limit answers (the limit's window may turn over once on the way).
        for n in range(2 * services.NEEDS_PER_MINUTE + 1):
            with page.expect_response("**/needs/") as answer:
                self.post_need(page, f"Need {n}")
            if answer.value.status == 429:
                break
        self.assert_answered(page, form, re.compile(r"Please wait \d+ seconds and try again"))
        expect(field).to_have_value(f"Need {n}")
        page.screenshot(path="test-results/phone-too-fast-390x844.png")

    def test_a_vote_past_the_budget_or_the_cap_is_said_next_to_its_control(self):
        self.set_quietly(phase=Phase.VOTING, dot_budget=2, dot_cap=1)
        author = ParticipantFactory(live_session=self.live_session)
        first = NeedFactory(author=author, text="First need")
        second = NeedFactory(author=author, text="Second need")
        third = NeedFactory(author=author, text="Third need")
        page = self.phone()
        # The same participant on a second device spends dots behind this page's back.
        other_device = self.phone()

        def add_dot(on, need):
            on.locator(f"#mine-need-{need.pk}").get_by_role("button", name="Add a dot").click()

        add_dot(other_device, first)
        expect(other_device.locator("#dot-budget")).to_contain_text("1 dot left")
        add_dot(page, first)
        self.assert_answered(page, f"#mine-need-{first.pk}", "At most 1 dots can go on one item.")

        add_dot(other_device, second)
        expect(other_device.locator("#dot-budget")).to_contain_text("0 dots left")
        add_dot(page, third)
        self.assert_answered(page, f"#mine-need-{third.pk}", "used all")
        page.screenshot(path="test-results/phone-over-budget-390x844.png")
        expect(page.locator("#dot-budget")).to_contain_text("0 dots left")
        self.assert_accessible(page)

    def test_only_the_author_gets_the_controls_of_what_they_wrote(self):
        author = self.phone()
        reader = self.phone(ParticipantFactory(live_session=self.live_session))
        self.post_need(author, "Mine to change")
        expect(reader.locator("#needs-list")).to_contain_text("Mine to change")

        card = author.locator("#needs-list .need-card", has_text="Mine to change")
        expect(card.get_by_role("link", name=re.compile("^Edit"))).to_be_visible()
        expect(card.get_by_role("button", name=re.compile("^Delete"))).to_be_visible()
        # Nothing to edit, delete or remove on the reader's phone, pushed or on reload.
        controls = "a[href*='/edit/'], form[action*='/delete/']"
        expect(reader.locator(f"#needs-list {controls}")).to_have_count(0)
        reader.reload()
        expect(reader.locator("#needs-list")).to_contain_text("Mine to change")
        expect(reader.locator(f"#needs-list {controls}")).to_have_count(0)

        author.on("dialog", lambda dialog: dialog.accept())
        card.get_by_role("button", name=re.compile("^Delete")).click()
        # Gone from both phones; the author is told where it was.
        expect(author.locator("#needs-list .need-card", has_text="Mine to change")).to_have_count(0)
        expect(author.locator("#needs-list")).to_contain_text("Deleted: “Mine to change”.")
        expect(reader.locator("#needs-list")).not_to_contain_text("Mine to change")

    def test_a_removed_phone_is_told_at_once_and_stays_out_until_the_removal_is_undone(self):
        page = self.phone()
        dashboard = self.dashboard()

        dashboard.get_by_role("button", name="Remove Bright Otter").click()
        expect(dashboard.locator("#flash")).to_contain_text("Bright Otter is removed")

        notice = page.get_by_role("heading", name="You are no longer taking part in this session")
        expect(notice).to_be_visible()
        expect(page.get_by_role("button", name="Post need")).to_have_count(0)
        page.screenshot(path="test-results/phone-removed-390x844.png")
        self.assert_accessible(page)
        page.reload()
        expect(notice).to_be_visible()
        page.goto(f"{self.live_server_url}/join/{CODE}/")
        expect(notice).to_be_visible()
        expect(page.get_by_role("button", name="Join")).to_have_count(0)

        dashboard.locator("#flash").get_by_role("button", name=re.compile("^Undo")).click()
        expect(dashboard.locator("#flash")).to_contain_text("Bright Otter is back")
        page.goto(f"{self.live_server_url}/s/{CODE}/")
        expect(page.get_by_role("button", name="Post need")).to_be_visible()

    def test_a_need_waiting_for_a_facilitator_stays_with_its_author(self):
        self.set_quietly(premoderation=True)
        author = self.phone()
        reader = self.phone(ParticipantFactory(live_session=self.live_session))
        dashboard = self.dashboard()

        self.post_need(author, "Waits for approval")
        waiting = author.locator("#my-pending")
        expect(waiting).to_contain_text("Waits for approval")
        expect(waiting).to_contain_text("waiting for a facilitator")
        expect(waiting.get_by_role("link", name=re.compile("^Edit"))).to_be_visible()
        author.screenshot(path="test-results/phone-pending-390x844.png", full_page=True)
        self.assert_accessible(author)
        author.wait_for_timeout(500)  # the push of the post has come and gone
        expect(waiting).to_contain_text("Waits for approval")
        expect(reader.locator("#main")).not_to_contain_text("Waits for approval")

        dashboard.get_by_role("button", name=re.compile("^Approve")).click()
        expect(dashboard.locator("#flash")).to_contain_text("Approved: “Waits for approval”.")
        expect(author.locator("#needs-list")).to_contain_text("Waits for approval")
        expect(waiting).to_be_hidden()
        expect(reader.locator("#needs-list")).to_contain_text("Waits for approval")
        mine = author.locator("#needs-list .need-card", has_text="Waits for approval")
        expect(mine.get_by_role("button", name=re.compile("^Delete"))).to_be_visible()

    def test_the_dashboard_answers_a_merge_a_failed_merge_and_a_removal_with_a_toast(self):
        keep = NeedFactory(author=self.me, text="Safe streaming")
        duplicate = NeedFactory(author=self.me, text="Safer streams")
        elsewhere = NeedFactory(author=self.me, text="Stream safely")
        dashboard = self.dashboard()
        toast = dashboard.locator("#flash")

        # The form never offers a need against itself; a merge fails when another facilitator
        # merged the duplicate away between the page's load and the tap.
        dashboard.get_by_label("Keep").select_option(str(keep.pk))
        dashboard.get_by_label("Merge this duplicate into it").select_option(str(duplicate.pk))
        other = get_user_model().objects.create_user("grace", password="pw-for-tests-only")
        services.merge_needs(actor=other, keep=elsewhere, duplicate=duplicate)
        dashboard.get_by_role("button", name="Merge", exact=True).click()
        expect(toast).to_contain_text(
            "“Safer streams” was just merged into “Stream safely” by another facilitator."
        )
        expect(toast.locator(".alert-warning")).to_be_visible()

        dashboard.get_by_label("Keep").select_option(str(keep.pk))
        dashboard.get_by_label("Merge this duplicate into it").select_option(str(elsewhere.pk))
        dashboard.get_by_role("button", name="Merge", exact=True).click()
        expect(toast).to_contain_text("Merged “Stream safely” into “Safe streaming”")
        expect(dashboard.locator(".moderation-log")).to_contain_text(
            "ada merged “Stream safely” into “Safe streaming”"
        )

        dashboard.get_by_role("button", name="Remove Bright Otter").click()
        expect(toast).to_contain_text(
            "Bright Otter is removed: what they wrote and their dots are hidden."
        )
        expect(dashboard.locator(".moderation-log")).to_contain_text("ada removed Bright Otter")
        dashboard.screenshot(path="test-results/dashboard-removal-toast.png")
        self.assert_accessible(dashboard)
        dashboard.get_by_role("button", name=re.compile("^Undo the removal")).click()
        expect(toast).to_contain_text("Bright Otter is back")
        expect(dashboard.locator(".moderation-log")).to_contain_text("ada restored Bright Otter")

        dashboard.get_by_role("button", name="Next phase →").click()
        expect(toast).to_contain_text("Moved to the Mapping phase.")
        dashboard.context.set_offline(True)
        dashboard.get_by_role("button", name="Next phase →").click()
        expect(toast).to_contain_text("No connection: nothing was sent")
        dashboard.context.set_offline(False)
