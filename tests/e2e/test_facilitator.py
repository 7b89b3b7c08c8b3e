"""A facilitator runs the room from a laptop while a phone and the board follow live."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from sessions.enums import Phase
from sessions.models import Need, Participant
from tests.e2e.base import PROJECTOR, BrowserTestCase
from tests.factories import (
    CategoryFactory,
    LiveSessionFactory,
    NeedFactory,
    ParticipantFactory,
    StrategyFactory,
    default_taxonomy,
)

pytestmark = pytest.mark.e2e

CODE = "K7HQ4P"


class FacilitatorTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        taxonomy = default_taxonomy()
        category = CategoryFactory(taxonomy=taxonomy, goal="Making harms visible")
        StrategyFactory(category=category, name="Folk theorisation")
        self.live_session = LiveSessionFactory(code=CODE, phase=Phase.LOBBY, title="Plenary")
        user = get_user_model().objects.create_user("ada", password="pw-for-tests-only")
        self.live_session.facilitators.add(user)
        NeedFactory(
            live_session=self.live_session,
            author=ParticipantFactory(live_session=self.live_session, presence="remote"),
            text="Tools that work on old phones",
        )

    def log_in(self):
        return self.facilitator_page("ada", "pw-for-tests-only", f"/facilitate/{CODE}/")

    def test_facilitator_advances_phases_and_starts_a_timer_while_screens_follow(self) -> None:
        dashboard = self.log_in()
        self.assert_accessible(dashboard)
        board = self.new_page(PROJECTOR)
        board.goto(f"{self.live_server_url}/s/{CODE}/board/")
        expect(board.locator("#connection-status")).to_have_text("Live")
        phone = self.new_page()
        phone.goto(f"{self.live_server_url}/join/{CODE}/")
        phone.get_by_label("In the room").check()
        phone.get_by_label(re.compile("I agree")).check()
        phone.get_by_role("button", name="Join").click()
        expect(phone.locator("#connection-status")).to_have_text("Live")
        expect(phone.locator("#phase-title")).to_contain_text("Lobby")

        dashboard.get_by_role("button", name="Next phase →").click()
        expect(phone.locator("#phase-title")).to_contain_text("Needs")
        expect(board.locator("#phase-title")).to_contain_text("Needs")
        expect(dashboard.locator("#controls")).to_contain_text("Phase: Needs")

        # The keyboard shortcut listed on the page moves on too.
        dashboard.locator("body").press("n")
        expect(board.locator("#phase-title")).to_contain_text("Mapping")
        expect(phone.locator("#phase-title")).to_contain_text("Mapping")

        dashboard.get_by_label("min", exact=True).fill("3")  # minutes and seconds (issue 25)
        dashboard.get_by_role("button", name="Start timer").click()
        expect(dashboard.locator("#controls .timer")).to_be_visible()
        expect(board.locator("#phase-banner .timer")).to_have_text(re.compile(r"^[23]:\d\d$"))
        expect(phone.locator("#phase-banner .timer")).to_have_text(re.compile(r"^[23]:\d\d$"))

        dashboard.get_by_label("Announcement to every screen").fill("Coffee in five minutes")
        dashboard.get_by_role("button", name="Announce").click()
        expect(board.locator(".announcement")).to_contain_text("Coffee in five minutes")
        expect(phone.locator(".announcement")).to_contain_text("Coffee in five minutes")

        dashboard.locator("#moderation").get_by_role(
            "button", name=re.compile("Spotlight")
        ).first.click()
        expect(board.locator("#board-spotlight")).to_contain_text("Tools that work on old phones")
        expect(dashboard.get_by_role("button", name="Clear spotlight")).to_be_visible()

        dashboard.get_by_role("button", name=re.compile("^Hide")).first.click()
        expect(board.locator("#needs-list")).not_to_contain_text("Tools that work on old phones")
        # The log says it in words, with names, not internal ids (issue 14).
        expect(dashboard.locator("#moderation")).to_contain_text(
            "ada hid “Tools that work on old phones”"
        )
        self.assert_accessible(dashboard)
        self.assert_accessible(board)

    def test_a_second_facilitators_dashboard_follows_within_a_second(self) -> None:
        first = self.log_in()
        second = self.log_in()
        expect(second.locator("#controls")).to_contain_text("Phase: Lobby")

        first.get_by_role("button", name="Next phase →").click()

        expect(second.locator("#controls")).to_contain_text("Phase: Needs", timeout=2_000)

    def test_a_costly_region_is_not_asked_for_back_to_back_while_the_room_changes(self) -> None:
        """A plenary changes the session several times a second. The moderation list of a
        large session takes the server a while to draw: a dashboard must leave it time
        (static/js/facilitator.js), not ask for it again the moment each answer lands."""
        people = Participant.objects.bulk_create(
            Participant(
                live_session=self.live_session,
                token_hash=f"bulk-{index}",
                public_id=f"bulk{index:08d}",
                pseudonym=f"Quiet Heron {index}",
                agreed_at=self.live_session.created,
            )
            for index in range(100)
        )
        Need.objects.bulk_create(
            NeedFactory.build(live_session=self.live_session, author=person)
            for person in people + people
        )
        actor, watcher = self.log_in(), self.log_in()
        watcher.wait_for_timeout(1_000)  # its socket open, its first refresh done
        asked = []
        watcher.on(
            "requestfinished", lambda r: asked.append(r) if "region=moderation" in r.url else None
        )

        for click in range(7):
            actor.get_by_role("button", name=re.compile("^(Lock|Unlock) input")).click()
            shown = expect(actor.locator("#controls"))
            if click % 2 == 0:
                shown.to_contain_text("Input locked")
            else:
                shown.not_to_contain_text("Input locked")
        # The watcher still ends where the room is (its regions are late, never lost).
        expect(watcher.locator("#controls")).to_contain_text("Input locked", timeout=10_000)
        watcher.wait_for_timeout(2_000)

        spans = sorted(
            (r.timing["startTime"], r.timing["startTime"] + r.timing["responseEnd"]) for r in asked
        )
        assert len(spans) >= 2, spans
        assert max(end - start for start, end in spans) >= 80, "the region was not costly"
        for (start, end), (next_start, _) in zip(spans, spans[1:], strict=False):
            took = end - start
            # COST_RATIO is 4: the next ask waits at least three times the answer's time
            # after it (here two, for the clocks' slack).
            assert next_start - end >= 2 * took, spans

    def test_the_merge_form_never_offers_a_need_against_itself(self) -> None:
        other = NeedFactory(
            live_session=self.live_session,
            author=ParticipantFactory(live_session=self.live_session),
            text="Tools for old phones",
        )
        dashboard = self.log_in()
        merges = []
        dashboard.on(
            "request", lambda request: merges.append(request) if "/merge/" in request.url else None
        )
        keep, duplicate = dashboard.locator("#merge-keep"), dashboard.locator("#merge-duplicate")
        expect(keep).to_have_value("")
        expect(duplicate).to_have_value("")

        # Merge at once: the browser asks for a need, nothing is sent.
        dashboard.get_by_role("button", name="Merge", exact=True).click()
        dashboard.wait_for_timeout(300)
        self.assertEqual(merges, [])

        keep.select_option(str(other.pk))
        expect(duplicate.locator(f'option[value="{other.pk}"]')).to_be_disabled()
        duplicate.select_option(label="#" + str(other.pk - 1) + " Tools that work on old phones")
        expect(keep.locator(f'option[value="{other.pk - 1}"]')).to_be_disabled()
        dashboard.set_viewport_size({"width": 1440, "height": 900})
        dashboard.locator("#merge-title").scroll_into_view_if_needed()
        dashboard.screenshot(path="/tmp/newcomer-merge-form.png")
        dashboard.get_by_role("button", name="Merge", exact=True).click()
        expect(dashboard.locator("#flash")).to_contain_text(
            "Merged “Tools that work on old phones” into “Tools for old phones”."
        )
        self.assert_accessible(dashboard)
