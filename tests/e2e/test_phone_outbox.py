"""The phone on conference Wi-Fi (issue 22): every write a participant makes while the network
is down is kept on the phone, said in words where it will show, kept through a reload on a
dead network (the service worker shows the page as last seen), and sent by itself once the
network is back: stored once, shown once, the words updated. A write the server refuses when
it is sent again is shown next to it with its reason and the text to copy. In English and in
French, without a service worker too (a laptop serving phones over plain HTTP).

Phones at 390x844; the network is cut with the browser's offline mode."""

import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from sessions.enums import Phase
from sessions.models import ClientWrite, GapNote, LiveSession, Mapping, Need, Vote
from tests.e2e.base import LOCAL_HOSTS, PHONE_320, PHONE_390, PROJECTOR, BrowserTestCase
from tests.factories import (
    GapNoteFactory,
    LiveSessionFactory,
    MappingFactory,
    NeedFactory,
    ParticipantFactory,
    VoteFactory,
    workshop_sample,
)

pytestmark = pytest.mark.e2e

CODE = "K7HQ4P"
SHOTS = Path(__file__).resolve().parents[2] / "test-results"
WAITING = re.compile("Waiting to send")


class OutboxTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        sample = workshop_sample()
        self.strategies = list(sample["strategies"].values())
        self.live_session = LiveSessionFactory(
            code=CODE, phase=Phase.NEEDS, title="Plenary", taxonomy=sample["taxonomy"]
        )
        self.me = ParticipantFactory(live_session=self.live_session, pseudonym="Bright Otter")
        self.other = ParticipantFactory(live_session=self.live_session, pseudonym="Calm Heron")

    # --- helpers ---------------------------------------------------------------------------

    def new_page(self, device=None, **options) -> Page:
        """As the base class's, but requests to other hosts are watched, not routed: with
        request interception on, Chromium sends navigations past the service worker."""
        context = self.browser.new_context(**{**(device or PHONE_390), **options})
        context.set_default_timeout(10_000)
        context.on("request", self._watch_host)
        self._contexts.append(context)
        return context.new_page()

    def _watch_host(self, request) -> None:
        host = urlsplit(request.url).hostname or ""
        if not (request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS):
            self.foreign_requests.append(request.url)

    def set_phase(self, phase: str, **fields) -> None:
        LiveSession.objects.filter(pk=self.live_session.pk).update(phase=phase, **fields)

    def phone(self, device=None, *, worker: bool = True, path: str = "") -> Page:
        """A joined phone, live, with its service worker running and this page kept."""
        options = {**PHONE_390, **(device or {})}
        if not worker:
            options["service_workers"] = "block"
        page = self.joined_page(self.me, options, path=path)
        expect(page.locator("#connection-status")).to_have_attribute("data-state", "live")
        if worker:
            self.wait_for_worker(page)
        return page

    def wait_for_worker(self, page: Page) -> None:
        """The worker controls the page and keeps it: a reload offline can show it."""
        kept = """async () => !!navigator.serviceWorker.controller
            && !!(await caches.match(location.pathname + location.search))"""
        deadline = time.monotonic() + 20
        while not page.evaluate(kept):
            self.assertLess(time.monotonic(), deadline, "the service worker did not keep the page")
            page.wait_for_timeout(200)

    def offline(self, page: Page) -> None:
        page.context.set_offline(True)
        page.wait_for_function("navigator.onLine === false")

    def online(self, page: Page) -> None:
        page.context.set_offline(False)

    def reload_offline(self, page: Page) -> None:
        """A reload on a dead network: the page as last seen, not the browser's error page."""
        page.reload()
        expect(page.locator("#live-root, .narrow").first).to_be_visible()
        expect(page.locator("#outbox-strings")).to_have_count(1)

    def assert_waiting(self, page: Page, count: int, where: str) -> None:
        expect(page.locator(where).get_by_text(WAITING).first).to_be_visible()
        words = "1 waiting to send" if count == 1 else f"{count} waiting to send"
        expect(page.locator("#outbox-count")).to_have_text(words)

    def assert_all_sent(self, page: Page) -> None:
        expect(page.locator("#outbox-bar")).to_be_hidden(timeout=15_000)
        expect(page.locator("[data-outbox-mark]")).to_have_count(0)
        expect(page.locator("[data-queued]")).to_have_count(0)
        # Nothing left in the phone's store either, not even a write htmx sent and was
        # answered for (its form replaced by the answer).
        kept = f"CGOutboxStore.list('{CODE}').then((items) => items.length)"
        deadline = time.monotonic() + 5
        while page.evaluate(kept):
            self.assertLess(time.monotonic(), deadline, "writes still kept after all was sent")
            page.wait_for_timeout(100)

    # --- each kind of write ------------------------------------------------------------------

    def test_a_need_posted_offline_is_kept_through_a_reload_and_posted_once(self) -> None:
        phone = self.phone()

        self.offline(phone)
        phone.get_by_label("A need of your community").fill("Safer streams for trans creators")
        phone.get_by_role("button", name="Post need").click()

        self.assert_waiting(phone, 1, "#needs-list .outbox-card")
        expect(phone.locator("#needs-list .outbox-card")).to_contain_text(
            "Safer streams for trans creators"
        )
        expect(phone.locator("#tap-status")).to_contain_text("kept on this phone")
        expect(phone.get_by_label("A need of your community")).to_have_value("")
        self.reload_offline(phone)
        self.assert_waiting(phone, 1, "#needs-list .outbox-card")

        self.online(phone)

        self.assert_all_sent(phone)
        cards = phone.locator("#needs-list .need-card", has_text="Safer streams for trans")
        expect(cards).to_have_count(1)
        expect(cards).not_to_have_class(re.compile("outbox-card"))
        expect(phone.locator("#tap-status")).to_contain_text("Sent: New need")
        self.assertEqual(Need.objects.filter(text="Safer streams for trans creators").count(), 1)

    def test_an_edit_made_offline_is_kept_through_a_reload_and_made_once(self) -> None:
        need = NeedFactory(author=self.me, text="Before the drop")
        phone = self.phone()
        phone.get_by_role("link", name=re.compile("Edit")).click()
        expect(phone.get_by_role("heading", name="Edit your need")).to_be_visible()

        self.offline(phone)
        phone.get_by_label("A need of your community").fill("After the drop")
        phone.get_by_role("button", name="Save").click()

        self.assert_waiting(phone, 1, ".narrow")
        self.reload_offline(phone)
        self.assert_waiting(phone, 1, ".narrow")
        expect(phone.locator("[data-outbox-mark]")).to_contain_text("After the drop")

        self.online(phone)

        expect(phone).to_have_url(re.compile(f"/s/{CODE}/$"), timeout=15_000)
        expect(phone.locator(f"#need-{need.pk} .need-text")).to_contain_text("After the drop")
        expect(phone.locator("#flash")).to_contain_text("Your need is updated.")
        self.assert_all_sent(phone)
        need.refresh_from_db()
        self.assertEqual(need.text, "After the drop")
        self.assertEqual(ClientWrite.objects.filter(kind="edit_need").count(), 1)

    def test_a_need_deleted_offline_is_deleted_once_the_network_is_back(self) -> None:
        need = NeedFactory(author=self.me, text="Mine to withdraw")
        phone = self.phone()
        phone.on("dialog", lambda dialog: dialog.accept())

        self.offline(phone)
        phone.locator(f"#need-{need.pk}").get_by_role("button", name=re.compile("Delete")).click()

        self.assert_waiting(phone, 1, f"#need-{need.pk}")
        expect(phone.locator(f"#need-{need.pk}")).to_contain_text("Delete your need")
        self.reload_offline(phone)
        self.assert_waiting(phone, 1, f"#need-{need.pk}")

        self.online(phone)

        self.assert_all_sent(phone)
        expect(phone.locator(f"#need-{need.pk}")).to_have_count(0)
        self.assertFalse(Need.objects.filter(pk=need.pk).exists())

    def test_a_mapping_made_offline_is_kept_through_a_reload_and_made_once(self) -> None:
        need = NeedFactory(author=self.other, text="Appeals a person reads")
        self.set_phase(Phase.MAPPING)
        phone = self.phone()
        phone.get_by_role("link", name=re.compile("Map this need")).click()
        expect(phone.get_by_role("heading", name="Map a need to strategies")).to_be_visible()
        strategy = self.strategies[0]

        self.offline(phone)
        phone.locator(f"#strategy-{strategy.pk}").check()
        phone.get_by_role("button", name="Map", exact=True).click()

        # The picker opened in place (issue 25): the kept mapping waits on the need's card.
        self.assert_waiting(phone, 1, f"#need-{need.pk}")
        expect(phone.locator("[data-outbox-mark]")).to_contain_text(strategy.name)
        self.reload_offline(phone)
        self.assert_waiting(phone, 1, f"#need-{need.pk}")

        self.online(phone)

        expect(phone).to_have_url(re.compile(f"/s/{CODE}/$"), timeout=15_000)
        expect(phone.locator("#flash")).to_contain_text(f"Mapped to {strategy.name}")
        expect(phone.locator(f"#need-{need.pk} .need-mapping")).to_have_count(1)
        self.assert_all_sent(phone)
        self.assertEqual(Mapping.objects.filter(need=need).count(), 1)

    def test_a_mapping_removed_offline_is_removed_once_the_network_is_back(self) -> None:
        mapping = MappingFactory(
            need=NeedFactory(author=self.me), author=self.me, strategy=self.strategies[1]
        )
        self.set_phase(Phase.MAPPING)
        phone = self.phone()
        phone.on("dialog", lambda dialog: dialog.accept())

        self.offline(phone)
        phone.locator(f"#mapping-{mapping.pk}").get_by_role("button", name="Remove").click()

        self.assert_waiting(phone, 1, f"#mapping-{mapping.pk}")
        self.reload_offline(phone)
        self.assert_waiting(phone, 1, f"#mapping-{mapping.pk}")

        self.online(phone)

        self.assert_all_sent(phone)
        expect(phone.locator(f"#mapping-{mapping.pk}")).to_have_count(0)
        self.assertFalse(Mapping.objects.filter(pk=mapping.pk).exists())

    def test_dots_placed_and_taken_back_offline_are_each_sent_once_in_order(self) -> None:
        first = NeedFactory(author=self.other, text="Know why posts are hidden")
        second = NeedFactory(author=self.other, text="Dating apps that do not out us")
        self.set_phase(Phase.VOTING, dot_budget=5, dot_cap=3)
        VoteFactory(participant=self.me, need=second, dots=1)
        phone = self.phone()
        adds = phone.locator(f"#vote-need-{first.pk}").get_by_role("button", name="Add a dot")

        self.offline(phone)
        adds.click()
        adds.click()
        phone.locator(f"#vote-need-{second.pk}").get_by_role(
            "button", name="Take a dot back"
        ).click()

        self.assert_waiting(phone, 3, f"#vote-need-{first.pk}")
        expect(phone.locator(f"#vote-need-{first.pk} [data-outbox-mark]")).to_have_count(2)
        expect(phone.locator(f"#vote-need-{second.pk} [data-outbox-mark]")).to_contain_text(
            "A dot taken back from"
        )
        self.reload_offline(phone)
        self.assert_waiting(phone, 3, f"#vote-need-{first.pk}")

        self.online(phone)

        self.assert_all_sent(phone)
        expect(phone.locator(f"#vote-need-{first.pk} .my-dots")).to_have_text("Your dots: 2")
        expect(phone.locator(f"#vote-need-{second.pk} .my-dots")).to_have_text("Your dots: 0")
        expect(phone.locator("#dot-budget")).to_contain_text("3 dots left")
        self.assertEqual(Vote.objects.get(participant=self.me).dots, 2)
        self.assertEqual(Vote.objects.get(participant=self.me).need, first)
        self.assertEqual(ClientWrite.objects.filter(participant=self.me).count(), 3)

    def test_a_gap_note_made_offline_is_kept_through_a_reload_and_noted_once(self) -> None:
        self.set_phase(Phase.GAPS)
        phone = self.phone()
        strategy = self.strategies[2]

        self.offline(phone)
        phone.get_by_label("Where is the gap?").select_option(label=strategy.name)
        phone.get_by_label("Safety").check()
        phone.get_by_label("Describe the gap").fill("No research with trans sex workers")
        phone.get_by_role("button", name="Add gap note").click()

        self.assert_waiting(phone, 1, "#gaps .outbox-card")
        expect(phone.locator("#gaps .outbox-card")).to_contain_text("No research with trans")
        self.reload_offline(phone)
        self.assert_waiting(phone, 1, "#gaps .outbox-card")

        self.online(phone)

        self.assert_all_sent(phone)
        expect(phone.locator("#gaps .gap-note", has_text="No research with trans")).to_have_count(1)
        self.assertEqual(GapNote.objects.filter(text__startswith="No research with").count(), 1)

    def test_a_gap_note_deleted_offline_is_deleted_once_the_network_is_back(self) -> None:
        self.set_phase(Phase.GAPS)
        note = GapNoteFactory(author=self.me, strategy=self.strategies[0], text="Mine to delete")
        phone = self.phone()

        self.offline(phone)
        phone.locator(f"#gap-{note.pk}").get_by_role("button", name=re.compile("Delete")).click()

        self.assert_waiting(phone, 1, f"#gap-{note.pk}")
        self.reload_offline(phone)
        self.assert_waiting(phone, 1, f"#gap-{note.pk}")

        self.online(phone)

        self.assert_all_sent(phone)
        expect(phone.locator(f"#gap-{note.pk}")).to_have_count(0)
        self.assertFalse(GapNote.objects.filter(pk=note.pk).exists())

    # --- refused on replay, cancelled, without a worker, in French -------------------------

    def test_a_dot_refused_when_sent_again_shows_its_reason_and_is_kept_to_copy(self) -> None:
        first = NeedFactory(author=self.other, text="Know why posts are hidden")
        second = NeedFactory(author=self.other, text="Dating apps that do not out us")
        self.set_phase(Phase.VOTING, dot_budget=1, dot_cap=1)
        phone = self.phone()

        self.offline(phone)
        for need in (first, second):
            phone.locator(f"#vote-need-{need.pk}").get_by_role("button", name="Add a dot").click()
        self.assert_waiting(phone, 2, f"#vote-need-{first.pk}")
        self.online(phone)

        refused = phone.locator(f"#vote-need-{second.pk} [data-outbox-mark]")
        expect(refused).to_contain_text("Not sent", timeout=15_000)
        expect(refused).to_contain_text("You have used all 1 of your dots.")
        expect(refused.locator(".outbox-copy")).to_contain_text("A dot on “Dating apps")
        expect(refused.get_by_role("button", name=re.compile("Copy the text"))).to_be_visible()
        expect(phone.locator("#outbox-count")).to_have_text("1 not sent")
        expect(phone.locator("#tap-status")).to_contain_text("Not sent: A dot on")
        self.assertEqual(Vote.objects.filter(participant=self.me).count(), 1)
        self.assert_accessible(phone)

        refused.get_by_role("button", name=re.compile("Dismiss")).click()
        expect(phone.locator("[data-outbox-mark]")).to_have_count(0)
        expect(phone.locator("#outbox-bar")).to_be_hidden()

    def test_a_need_refused_because_the_phase_moved_on_keeps_its_text_to_copy(self) -> None:
        phone = self.phone()

        self.offline(phone)
        phone.get_by_label("A need of your community").fill("Words I do not want to lose")
        phone.get_by_role("button", name="Post need").click()
        self.assert_waiting(phone, 1, "#needs-list .outbox-card")
        self.set_phase(Phase.VOTING)
        self.online(phone)

        refused = phone.locator("[data-outbox-mark][data-state=refused]")
        expect(refused).to_contain_text("That is not open in the Voting phase.", timeout=15_000)
        expect(refused.locator(".outbox-copy")).to_have_text("Words I do not want to lose")
        expect(phone.locator("#outbox-count")).to_have_text("1 not sent")
        self.assertFalse(Need.objects.filter(text="Words I do not want to lose").exists())

    def test_a_waiting_write_can_be_cancelled_and_is_never_sent(self) -> None:
        need = NeedFactory(author=self.other)
        self.set_phase(Phase.VOTING)
        phone = self.phone()

        self.offline(phone)
        phone.locator(f"#vote-need-{need.pk}").get_by_role("button", name="Add a dot").click()
        mark = phone.locator(f"#vote-need-{need.pk} [data-outbox-mark]")
        mark.get_by_role("button", name=re.compile("Cancel")).click()
        expect(mark).to_have_count(0)
        expect(phone.locator("#outbox-bar")).to_be_hidden()
        expect(phone.locator("#tap-status")).to_contain_text("Cancelled: A dot on")
        self.online(phone)

        expect(phone.locator("#connection-status")).to_have_attribute("data-state", "live")
        phone.wait_for_timeout(1500)
        self.assertFalse(Vote.objects.exists())

    def test_without_a_service_worker_the_outbox_still_keeps_and_sends(self) -> None:
        """A laptop serving phones over plain HTTP: no service worker, the outbox alone."""
        need = NeedFactory(author=self.other, text="Appeals a person reads")
        self.set_phase(Phase.MAPPING)
        phone = self.phone(worker=False)
        self.assertFalse(phone.evaluate("!!navigator.serviceWorker.controller"))

        self.offline(phone)
        phone.locator("summary", has_text="Post a need").click()
        phone.get_by_label("A need of your community").fill("Kept without a worker")
        phone.get_by_role("button", name="Post need").click()
        self.assert_waiting(phone, 1, "#needs-list .outbox-card")
        self.online(phone)
        self.assert_all_sent(phone)

        phone.get_by_role("link", name=re.compile("Map this need")).click()
        self.offline(phone)
        phone.locator(f"#strategy-{self.strategies[0].pk}").check()
        phone.get_by_role("button", name="Map", exact=True).click()
        self.assert_waiting(phone, 1, f"#need-{need.pk}")
        self.online(phone)

        expect(phone).to_have_url(re.compile(f"/s/{CODE}/$"), timeout=15_000)
        expect(phone.locator("#flash")).to_contain_text("Mapped to", timeout=15_000)
        self.assertEqual(Need.objects.filter(text="Kept without a worker").count(), 1)
        self.assertEqual(Mapping.objects.filter(need=need).count(), 1)

    def test_in_french_the_outbox_speaks_french(self) -> None:
        phone = self.phone({"locale": "fr-CA"})

        self.offline(phone)
        phone.get_by_label("Un besoin de votre communauté").fill("Des flux plus sûrs")
        phone.get_by_role("button", name="Publier le besoin").click()

        expect(phone.locator("#needs-list .outbox-card")).to_contain_text("En attente d’envoi")
        expect(phone.locator("#outbox-count")).to_have_text("1 en attente d’envoi")
        expect(phone.locator("#tap-status")).to_contain_text("gardé sur ce téléphone")
        self.assert_accessible(phone)
        self.reload_offline(phone)
        expect(phone.locator("#outbox-count")).to_have_text("1 en attente d’envoi")
        self.set_phase(Phase.VOTING)
        self.online(phone)

        refused = phone.locator("[data-outbox-mark][data-state=refused]")
        expect(refused).to_contain_text("Non envoyé", timeout=15_000)
        expect(refused).to_contain_text("Vote")  # the phase, named in French by the server
        expect(phone.locator("#outbox-count")).to_have_text("1 non envoyé")
        expect(refused.get_by_role("button", name=re.compile("Copier le texte"))).to_be_visible()

    def test_the_page_with_writes_waiting_is_accessible(self) -> None:
        need = NeedFactory(author=self.me, text="Mine")
        phone = self.phone()
        phone.on("dialog", lambda dialog: dialog.accept())

        self.offline(phone)
        phone.get_by_label("A need of your community").fill("Waiting while offline")
        phone.get_by_role("button", name="Post need").click()
        phone.locator(f"#need-{need.pk}").get_by_role("button", name=re.compile("Delete")).click()

        self.assert_waiting(phone, 2, "#needs-list")
        self.assert_accessible(phone)

    # --- every screen converges -------------------------------------------------------------

    def test_what_was_kept_appears_once_on_every_screen_once_sent(self) -> None:
        board = self.new_page(PROJECTOR)
        board.goto(f"{self.live_server_url}/s/{CODE}/board/")
        expect(board.locator("#connection-status")).to_have_text("Live")
        neighbour = self.joined_page(self.other, PHONE_390)
        phone = self.phone()

        self.offline(phone)
        for text in ("First while offline", "Second while offline"):
            phone.get_by_label("A need of your community").fill(text)
            phone.get_by_role("button", name="Post need").click()
        self.assert_waiting(phone, 2, "#needs-list")
        self.online(phone)

        self.assert_all_sent(phone)
        for screen in (phone, neighbour, board):
            for text in ("First while offline", "Second while offline"):
                expect(screen.locator("#needs-list li", has_text=text)).to_have_count(1)
        texts = phone.locator("#needs-list .need-text").all_inner_texts()
        self.assertLess(texts.index("First while offline"), texts.index("Second while offline"))
        self.assertEqual(Need.objects.filter(text__endswith="while offline").count(), 2)

    def test_the_board_and_the_dashboard_get_no_service_worker(self) -> None:
        self.phone()  # a participant's worker exists for the session...
        board = self.new_page(PROJECTOR)
        board.goto(f"{self.live_server_url}/s/{CODE}/board/")
        expect(board.locator("#connection-status")).to_have_text("Live")
        board.wait_for_timeout(2500)

        self.assertEqual(board.evaluate("navigator.serviceWorker.getRegistrations()"), [])
        self.assertFalse(board.evaluate("!!navigator.serviceWorker.controller"))

    def test_a_server_that_says_try_again_is_waited_out_and_the_need_posted_once(self) -> None:
        phone = self.phone()
        busy = {"error": "The server cannot reach its database for a moment."}
        phone.route(
            "**/needs/",
            lambda route: route.fulfill(status=503, content_type="application/json", json=busy),
        )

        phone.get_by_label("A need of your community").fill("Sent once the server is back")
        phone.get_by_role("button", name="Post need").click()

        expect(phone.locator("#need-form-region [data-queued]")).to_contain_text(
            "cannot reach its database for a moment. Kept on this phone"
        )
        self.assert_waiting(phone, 1, "#needs-list .outbox-card")
        phone.unroute("**/needs/")

        self.assert_all_sent(phone)
        self.assertEqual(Need.objects.filter(text="Sent once the server is back").count(), 1)

    def test_no_connection_is_no_longer_said_once_the_network_is_back(self) -> None:
        NeedFactory.create_batch(61, author=self.other)
        phone = self.phone()
        older = phone.get_by_role("link", name="Show older needs")

        self.offline(phone)
        older.click()
        note = phone.locator("[data-tap-answer]", has_text="No connection")
        expect(note).to_have_count(1)
        self.online(phone)

        expect(note).to_have_count(0)

    # --- looked at by a person: waiting, sent, refused, at 390x844 and 320 px with 200 % text

    def test_screenshots_of_waiting_sent_and_refused(self) -> None:
        NeedFactory(author=self.other, text="Know why our posts about queer health vanish")
        NeedFactory(author=self.other, text="Dating apps that do not out us")
        for device, big in ((PHONE_390, False), (PHONE_320, True)):
            size = "390x844" if not big else "320-text200"
            with self.subTest(size=size):
                self.set_phase(Phase.NEEDS)
                phone = self.phone(device)
                if big:
                    phone.evaluate("localStorage.setItem('cg-text-size', '200')")
                    phone.reload()
                    self.wait_for_worker(phone)
                self.offline(phone)
                phone.get_by_label("A need of your community").fill("Captions on every video")
                phone.get_by_role("button", name="Post need").click()
                self.assert_waiting(phone, 1, "#needs-list .outbox-card")
                phone.screenshot(path=str(SHOTS / f"outbox-waiting-{size}.png"))
                phone.locator("#needs-list .outbox-card").scroll_into_view_if_needed()
                phone.screenshot(path=str(SHOTS / f"outbox-waiting-card-{size}.png"))
                self.online(phone)
                self.assert_all_sent(phone)
                phone.locator(
                    "#needs-list .need-card", has_text="Captions"
                ).scroll_into_view_if_needed()
                phone.screenshot(path=str(SHOTS / f"outbox-sent-{size}.png"))

                self.set_phase(Phase.VOTING, dot_budget=1, dot_cap=1)
                Vote.objects.filter(participant=self.me).delete()
                phone.reload()
                expect(phone.locator("#dot-budget")).to_contain_text("1 dot left")
                self.offline(phone)
                for card in phone.locator("#needs-list .vote-add").all()[:2]:
                    card.click()
                phone.screenshot(path=str(SHOTS / f"outbox-dots-waiting-{size}.png"))
                self.online(phone)
                refused = phone.locator("[data-outbox-mark][data-state=refused]")
                expect(refused).to_contain_text("Not sent", timeout=15_000)
                refused.scroll_into_view_if_needed()
                phone.screenshot(path=str(SHOTS / f"outbox-refused-{size}.png"))
                self.assert_accessible(phone)
                refused.get_by_role("button", name=re.compile("Dismiss")).click()
                Need.objects.filter(text="Captions on every video").delete()

    def test_background_sync_sends_what_a_closed_page_kept(self) -> None:
        """Where the browser has Background Sync (Chromium), the service worker sends what
        waits once the network is back, with no page of the session open."""
        phone = self.phone()
        self.offline(phone)
        phone.get_by_label("A need of your community").fill("Sent with the page closed")
        phone.get_by_role("button", name="Post need").click()
        self.assert_waiting(phone, 1, "#needs-list .outbox-card")
        tags = phone.evaluate("navigator.serviceWorker.ready.then((r) => r.sync.getTags())")
        self.assertEqual(tags, [f"commonground-outbox-{CODE}"])
        context = phone.context
        phone.close()

        context.set_offline(False)

        deadline = time.monotonic() + 30
        while not Need.objects.filter(text="Sent with the page closed").exists():
            self.assertLess(time.monotonic(), deadline, "the service worker sent nothing")
            time.sleep(0.25)
        self.assertEqual(Need.objects.filter(text="Sent with the page closed").count(), 1)

    def test_an_answer_lost_on_the_way_back_is_sent_again_and_stored_once(self) -> None:
        """The server stored the dot, the phone never heard: sent again with its key, it is
        answered as done, and the phone shows the one dot."""
        need = NeedFactory(author=self.other)
        self.set_phase(Phase.VOTING)
        phone = self.phone()

        def lose_the_answer(route) -> None:
            route.fetch()  # the server gets it and answers...
            route.abort()  # ...and the answer is lost

        phone.route("**/vote/", lose_the_answer, times=1)
        phone.locator(f"#vote-need-{need.pk}").get_by_role("button", name="Add a dot").click()

        self.assert_all_sent(phone)
        expect(phone.locator(f"#vote-need-{need.pk} .my-dots")).to_have_text("Your dots: 1")
        self.assertEqual(Vote.objects.get(participant=self.me).dots, 1)
        self.assertEqual(ClientWrite.objects.filter(participant=self.me).count(), 1)

    def test_a_write_in_flight_when_the_page_goes_away_is_sent_by_the_next_page(self) -> None:
        need = NeedFactory(author=self.other)
        self.set_phase(Phase.VOTING)
        phone = self.phone()
        held = []
        phone.route("**/vote/", lambda route: held.append(route))
        phone.locator(f"#vote-need-{need.pk}").get_by_role("button", name="Add a dot").click()
        deadline = time.monotonic() + 10
        while not held:
            self.assertLess(time.monotonic(), deadline)
            phone.wait_for_timeout(50)
        phone.unroute("**/vote/")

        phone.reload()  # a phase change, the person leaving: the request never arrives

        self.assert_all_sent(phone)
        expect(phone.locator(f"#vote-need-{need.pk} .my-dots")).to_have_text("Your dots: 1")
        self.assertEqual(Vote.objects.get(participant=self.me).dots, 1)

    def test_a_write_answered_online_leaves_nothing_kept(self) -> None:
        """Online, each dot is answered in place (its control replaced by the answer): the copy
        kept while it was on its way goes, so nothing is sent twice on the next load."""
        needs = NeedFactory.create_batch(3, author=self.other)
        self.set_phase(Phase.VOTING)
        phone = self.phone()

        for need in needs:
            phone.locator(f"#vote-need-{need.pk}").get_by_role("button", name="Add a dot").click()
            expect(phone.locator(f"#vote-need-{need.pk} .my-dots")).to_have_text("Your dots: 1")

        self.assert_all_sent(phone)

    def test_a_phone_whose_socket_went_silent_catches_up_after_a_drop(self) -> None:
        """A socket that looks open but delivers nothing (a push lost on the way, a connection
        dead without a close): back from a drop the phone asks for the whole state, gets no
        answer, replaces the socket, and shows what it missed."""
        neighbour = self.joined_page(self.other, PHONE_390)
        expect(neighbour.locator("#connection-status")).to_have_attribute("data-state", "live")
        silent = {"on": True}
        sockets = []

        def through(ws) -> None:
            server = ws.connect_to_server()
            sockets.append(ws)
            # The first socket swallows what the server sends; the next ones pass it on.
            first = len(sockets) == 1
            server.on_message(lambda message: None if first and silent["on"] else ws.send(message))

        phone = self.new_page(PHONE_390)
        phone.route_web_socket(re.compile(r".*/ws/.*"), through)
        code, host = CODE, urlsplit(self.live_server_url).hostname
        phone.context.add_cookies(
            [{"name": f"cg_p_{code}", "value": self.me.token, "domain": host, "path": "/"}]
        )
        phone.goto(f"{self.live_server_url}/s/{code}/")
        expect(phone.locator("#connection-status")).to_have_attribute("data-state", "live")
        neighbour.get_by_label("A need of your community").fill("Missed by a silent socket")
        neighbour.get_by_role("button", name="Post need").click()
        expect(neighbour.locator("#needs-list")).to_contain_text("Missed by a silent socket")
        phone.wait_for_timeout(1000)
        expect(phone.locator("#needs-list")).not_to_contain_text("Missed by a silent socket")

        self.offline(phone)
        self.online(phone)

        expect(phone.locator("#needs-list")).to_contain_text(
            "Missed by a silent socket", timeout=20_000
        )
        self.assertGreaterEqual(len(sockets), 2)
