"""A participant on a phone goes through every phase while the projector board follows live."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from sessions.enums import Phase
from sessions.models import LiveSession
from tests.e2e.base import PROJECTOR, BrowserTestCase
from tests.factories import (
    CategoryFactory,
    LiveSessionFactory,
    MappingFactory,
    NeedFactory,
    ParticipantFactory,
    StrategyFactory,
    default_taxonomy,
)

pytestmark = pytest.mark.e2e

CODE = "K7HQ4P"


class LiveSessionFlowTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        taxonomy = default_taxonomy()
        for index, goal in enumerate(
            [
                "Making harms visible",
                "Preventing data misuse",
                "Changing behaviour",
                "Better outcomes",
            ]
        ):
            category = CategoryFactory(taxonomy=taxonomy, goal=goal, position=index)
            StrategyFactory(
                category=category, name=f"Platform strategy {index}", approach="platform"
            )
            StrategyFactory(category=category, name=f"Model strategy {index}", approach="model")
        self.live_session = LiveSessionFactory(
            code=CODE, phase=Phase.NEEDS, title="Montréal workshop"
        )
        get_user_model().objects.create_superuser("facilitator", password="pw-for-tests-only")

    def move_to(self, admin, phase: str) -> None:
        """Run the admin's phase action, as a facilitator does until the dashboard lands."""
        admin.goto(f"{self.live_server_url}/admin/live_sessions/livesession/")
        admin.locator("input.action-select").first.check()
        admin.locator("select[name=action]").select_option(f"move_to_{phase}")
        admin.get_by_role("button", name="Go").click()
        expect(admin.locator(".messagelist, #result_list")).to_be_visible()

    def test_phone_participant_goes_through_every_phase_and_the_board_follows(self) -> None:
        admin = self.new_page(PROJECTOR)
        admin.goto(f"{self.live_server_url}/admin/login/")
        admin.get_by_label("Username").fill("facilitator")
        admin.get_by_label("Password").fill("pw-for-tests-only")
        admin.get_by_role("button", name="Log in").click()

        board = self.new_page(PROJECTOR)
        board.goto(f"{self.live_server_url}/s/{CODE}/board/")
        expect(board.locator("#connection-status")).to_have_text("Live")
        expect(board.locator(".board-join .qr-code")).to_be_visible()
        self.assert_accessible(board)

        phone = self.new_page()
        phone.goto(f"{self.live_server_url}/join/")
        self.assert_accessible(phone)
        phone.get_by_label("Session code").fill("k7hq4p")
        phone.get_by_role("button", name="Continue").click()
        expect(phone).to_have_url(re.compile(f"/join/{CODE}/$"))
        self.assert_accessible(phone)
        phone.get_by_label("In the room").check()
        phone.get_by_label(re.compile("I agree to the community agreement")).check()
        phone.get_by_role("button", name="Join").click()
        expect(phone).to_have_url(re.compile(f"/s/{CODE}/$"))
        expect(phone.locator("#connection-status")).to_have_text("Live")
        self.assert_accessible(phone)
        expect(board.locator("#board-counts")).to_contain_text("1 in the room")

        # Needs: the need appears on the board and in the phone's list, without reloading.
        phone.get_by_label("A need of your community").fill("Know why our posts disappear")
        phone.get_by_label(re.compile("Community or platform")).fill("TikTok")
        phone.get_by_role("button", name="Post need").click()
        expect(phone.locator("#flash")).to_contain_text("Posted")
        expect(phone.locator("#needs-list")).to_contain_text("Know why our posts disappear")
        expect(board.locator("#needs-list")).to_contain_text("Know why our posts disappear")
        expect(phone.get_by_label("A need of your community")).to_have_value("")
        # Only the author sees the controls for their own need.
        expect(
            phone.locator("#needs-list .need-actions").get_by_role("link", name=re.compile("Edit"))
        ).to_be_visible()

        # Mapping: the phone follows the phase change by itself.
        self.move_to(admin, "mapping")
        expect(phone.locator("#phase-title")).to_contain_text("Mapping")
        expect(board.locator("#phase-title")).to_contain_text("Mapping")
        phone.get_by_role("link", name=re.compile("Map to strategies")).click()
        self.assert_accessible(phone)
        phone.get_by_label("Find a strategy").fill("model strategy 1")
        phone.get_by_label(re.compile("Model strategy 1")).check()
        phone.get_by_label("Why (optional)").fill("Recommenders are models")
        phone.get_by_role("button", name="Map").click()
        expect(phone.locator("#needs-list")).to_contain_text("Model strategy 1")
        expect(board.locator("#board-grid")).to_contain_text("1 need")
        expect(board.locator("#board-split")).to_contain_text("100%")

        # Voting: dots, with the remaining budget always visible.
        self.move_to(admin, "voting")
        expect(phone.locator("#dot-budget")).to_contain_text("5 dots left")
        phone.locator("#needs-list .need-card").first.get_by_role(
            "button", name="Add a dot"
        ).first.click()
        expect(phone.locator("#dot-budget")).to_contain_text("4 dots left")
        expect(board.locator("#needs-list .dots-total").first).to_have_attribute("data-dots", "1")
        # The vote's push carries only the new totals; the phone's card shows them too.
        expect(phone.locator("#needs-list .need-card .dots-total").first).to_have_text("1 dot")
        self.assert_accessible(phone)

        # Gaps: annotate a strategy; the board lists it under its kind. The form is on the
        # participant page itself, the phase's action first (issue 14): no link to follow.
        self.move_to(admin, "gaps")
        phone.get_by_label("Where is the gap?").select_option(label="Model strategy 1")
        phone.get_by_label("Safety").check()
        phone.get_by_label("Describe the gap").fill("No research with trans communities")
        phone.get_by_role("button", name="Add gap note").click()
        expect(phone.locator("#gaps")).to_contain_text("No research with trans communities")
        expect(board.locator("#gaps")).to_contain_text("No research with trans communities")
        expect(board.locator("#gaps")).to_contain_text("Safety")
        self.assert_accessible(board)

    def test_erasing_oneself_removes_ones_needs_from_the_board(self) -> None:
        board = self.new_page(PROJECTOR)
        board.goto(f"{self.live_server_url}/s/{CODE}/board/")
        expect(board.locator("#connection-status")).to_have_text("Live")
        phone = self.new_page()
        phone.goto(f"{self.live_server_url}/join/{CODE}/")
        phone.get_by_label("Joining remotely").check()
        phone.get_by_label(re.compile("I agree")).check()
        phone.get_by_role("button", name="Join").click()
        expect(board.locator("#board-counts")).to_contain_text("1 remote")
        phone.get_by_label("A need of your community").fill("Delete me later")
        phone.get_by_role("button", name="Post need").click()
        expect(board.locator("#needs-list")).to_contain_text("Delete me later")

        phone.get_by_role("link", name="Erase me from this session").click()
        self.assert_accessible(phone)
        phone.get_by_role("button", name="Erase everything I contributed").click()

        expect(phone.locator(".messages")).to_contain_text("You have been erased")
        expect(board.locator("#needs-list")).not_to_contain_text("Delete me later")
        expect(board.locator("#board-counts")).to_contain_text("0 remote")

    def test_board_without_websocket_falls_back_to_polling(self) -> None:
        board = self.new_page(PROJECTOR)
        # Refuse the socket, as a proxy without WebSocket support would.
        board.route(re.compile(r".*/ws/.*"), lambda route: route.abort())
        board.add_init_script("window.WebSocket = undefined;")
        board.goto(f"{self.live_server_url}/s/{CODE}/board/")
        phone = self.new_page()
        phone.goto(f"{self.live_server_url}/join/{CODE}/")
        phone.get_by_label("In the room").check()
        phone.get_by_label(re.compile("I agree")).check()
        phone.get_by_role("button", name="Join").click()
        phone.get_by_label("A need of your community").fill("Seen by polling")
        phone.get_by_role("button", name="Post need").click()

        expect(board.locator("#needs-list")).to_contain_text("Seen by polling", timeout=15_000)
        expect(board.locator("#connection-status")).to_contain_text("Reconnecting")

    def page_of(self, participant):
        """A phone already joined as ``participant`` (its device cookie set)."""
        page = self.new_page()
        host = self.live_server_url.split("//")[1].split(":")[0]
        page.context.add_cookies(
            [{"name": f"cg_p_{CODE}", "value": participant.token, "domain": host, "path": "/"}]
        )
        page.goto(f"{self.live_server_url}/s/{CODE}/")
        expect(page.locator("#connection-status")).to_have_text("Live")
        return page

    def test_a_vote_answered_after_its_card_was_replaced_still_updates_the_phone(self) -> None:
        """A card is replaced by a live update (here: its author withdraws a mapping) while a
        vote on it is on its way: the vote's answer must still reach the phone's budget and
        its own dot count, which live outside the card or moved into the new one."""
        LiveSession.objects.filter(pk=self.live_session.pk).update(phase=Phase.VOTING)
        author = ParticipantFactory(live_session=self.live_session)
        need = NeedFactory(author=author, text="Appeals that a person reads")
        strategies = list(self.live_session.taxonomy.strategies.all()[:2])
        withdrawn = MappingFactory(need=need, strategy=strategies[0])
        MappingFactory(need=need, strategy=strategies[1])
        voter = self.page_of(ParticipantFactory(live_session=self.live_session))
        author_page = self.page_of(author)
        author_page.on("dialog", lambda dialog: dialog.accept())
        held = []
        voter.route("**/vote/", lambda route: held.append(route))

        voter.locator(f"#mine-need-{need.pk}").get_by_role("button", name="Add a dot").click()
        for _ in range(100):
            if held:
                break
            voter.wait_for_timeout(50)
        author_page.locator(f"#mapping-{withdrawn.pk}").get_by_role(
            "button", name=re.compile("^Remove mapping")
        ).click()
        expect(voter.locator(f"#mapping-{withdrawn.pk}")).to_have_count(0)
        held[0].continue_()

        expect(voter.locator("#dot-budget")).to_contain_text("4 dots left")
        expect(voter.locator(f"#mine-need-{need.pk}")).to_contain_text("Your dots: 1")
