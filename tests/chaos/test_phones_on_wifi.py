"""Phones on conference Wi-Fi (issue 22): real browsers whose network drops every few seconds
while people post and vote, with the phone's outbox, beside the same run without it.

Each run opens a session of ``WIFI_PHONES`` participants (30 by default), each one a Chromium
context at 390x844 on a real worker (the shipped uvicorn flags, PostgreSQL, the test's own
Redis), and a board at 1280x720. Every phone's network drops for 2 s at random, about every
10 s (the browser's offline mode: requests fail, the live socket's frames stop until it is
back). In the needs phase each phone posts two needs at random moments; the facilitator moves
to voting; each phone places four dots on others' needs. The drops then stop, and each phone
makes its last write in a drop of its own, within two seconds of the others: it takes back a
dot (once its phone shows the dot placed), offline, and is back 2 s later. The run then waits
until every phone and the board show what the database holds.

Counted: the writes made (each tap that sent a write, as the phone's own page saw it: the
submits of its write forms, kept in the tab), and from the database those stored exactly once,
lost, doubled.
From the screens: the seconds from the last reconnection until every phone and the board show
the same state as the database (its needs, each need's dots, the phone's own dots, the board's
ranking and dots left, the sequence number), needs shown twice on a phone, and browser error
pages (a reload that met a drop; without the outbox's service worker the phone shows the
browser's error page, and the person reloads once back online, as the harness does).

The baseline is the same run with the outbox off, a switch for that run only
(``window.CG_OUTBOX_OFF`` set before each page loads): each tap is made once, as a person does,
and what the network loses stays lost. ``WIFI_RUNS`` runs each mode that many times, in turn.
Figures go to CHAOS_FIGURES as JSON lines (docs/reliability.md, "Phones on conference Wi-Fi")."""

import asyncio
import contextlib
import os
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.test import Client
from playwright.async_api import BrowserContext, Page, async_playwright
from playwright.async_api import Error as PlaywrightError

from sessions import queries
from sessions.enums import Phase
from sessions.models import LiveSession, Need, Vote
from tests.chaos.room import CHAOS_TEST, CSRF_SECRET, needs_postgresql, record_figures
from tests.e2e.base import CHROMIUM, CHROMIUM_ARGS
from tests.factories import LiveSessionFactory, ParticipantFactory

pytestmark = [*CHAOS_TEST, needs_postgresql]

PHONES = int(os.environ.get("WIFI_PHONES", "30"))
RUNS = int(os.environ.get("WIFI_RUNS", "1"))
NEEDS_EACH = 2
DOTS_EACH = 4
DROP_SECONDS = 2.0
DROP_EVERY = (6.0, 14.0)  # seconds between drops, uniform: about every 10 s
WAIT_FOR_SCREENS = 60.0  # the bound of the wait for every screen to agree (the aim: 5 s)
PHONE_SIZE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}

PHONE_STATE = """() => {
  const seq = document.getElementById("live-seq");
  const needs = {}, texts = [], mine = {};
  document.querySelectorAll("#needs-list > li.need-card:not(.outbox-card)").forEach((card) => {
    const dots = card.querySelector(".dots-total");
    needs[card.id.slice(5)] = dots ? Number(dots.dataset.dots) : null;
    texts.push(card.querySelector(".need-text").textContent.trim());
  });
  document.querySelectorAll(".vote-control[id^='vote-need-']").forEach((control) => {
    const dots = Number(control.dataset.mine);
    if (dots) mine[control.id.slice(10)] = dots;
  });
  return {
    url: location.href, seq: seq ? Number(seq.dataset.seq) : null, needs, texts, mine,
    waiting: document.querySelectorAll("[data-outbox-mark]:not([data-state=refused])").length,
    refused: document.querySelectorAll("[data-outbox-mark][data-state=refused]").length,
  };
}"""
# Each tap that sends a write, as the page saw it (a submit of a write form), kept in the tab's
# sessionStorage so that it survives reloads: the writes made are counted from the phones
# themselves, whatever the browser automation reported about its clicks.
COUNT_TAPS = """
window.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.matches || !form.matches("form[data-outbox]")) return;
  const data = new FormData(form);
  const taps = JSON.parse(sessionStorage.getItem("chaos-taps") || "[]");
  taps.push({ kind: form.dataset.outbox, item: data.get("item"), action: data.get("action"),
              text: data.get("text") });
  sessionStorage.setItem("chaos-taps", JSON.stringify(taps));
}, true);
"""
BOARD_STATE = """() => {
  const seq = document.getElementById("live-seq");
  const left = document.querySelector("#board-dots .room-dots-number");
  return {
    seq: seq ? Number(seq.dataset.seq) : null,
    left: left ? Number(left.dataset.value) : null,
    ranking: [...document.querySelectorAll("#needs-list li.rank")].map((row) =>
      [row.id.slice(5), Number(row.querySelector("[data-dots]").dataset.dots)]),
  };
}"""


@dataclass
class Phone:
    index: int
    participant: int
    token: str
    context: BrowserContext = None
    page: Page = None
    needs_made: list[str] = field(default_factory=list)
    adds: Counter = field(default_factory=Counter)  # need id: taps on "Add a dot"
    removes: Counter = field(default_factory=Counter)  # need id: taps on "Take a dot back"
    drops: int = 0
    error_pages: int = 0
    taps_missed: int = 0
    missed_why: Counter = field(default_factory=Counter)
    chosen: list[int] = field(default_factory=list)
    reconnected_at: float = 0.0


@database_sync_to_async
def _open_session(phones: int) -> tuple[str, list[tuple[int, str]], str]:
    session = LiveSessionFactory(phase=Phase.NEEDS, dot_budget=5, dot_cap=3)
    people = ParticipantFactory.create_batch(phones, live_session=session)
    user = get_user_model().objects.create_user(f"fac-{uuid.uuid4().hex[:8]}", password="x")
    session.facilitators.add(user)
    client = Client()
    client.force_login(user)  # a session row the worker reads: the facilitator's cookie
    return session.code, [(p.pk, p.token) for p in people], client.cookies["sessionid"].value


async def _set_phase(url: str, code: str, sessionid: str, phase: str) -> None:
    async with httpx.AsyncClient(timeout=20) as client:
        response = await client.post(
            f"{url}/facilitate/{code}/control/",
            data={"command": "phase-set", "phase": phase},
            headers={
                "Cookie": f"sessionid={sessionid}; csrftoken={CSRF_SECRET}",
                "X-CSRFToken": CSRF_SECRET,
                "HX-Request": "true",
            },
        )
    assert response.status_code == 200, response.text[:500]


@database_sync_to_async
def _database_state(code: str, people: list[int]) -> dict:
    session = LiveSession.objects.get(code=code)
    needs = queries.needs(session)
    ranking = queries.need_ranking(session)
    mine = {pk: {} for pk in people}
    for vote in Vote.objects.filter(live_session=session, need__isnull=False):
        mine[vote.participant_id][str(vote.need_id)] = vote.dots
    return {
        "seq": session.sequence,
        "needs": {str(need.pk): need.dot_total for need in needs},
        "authors": {need.pk: need.author_id for need in needs},
        "ranking": [[str(row.item.pk), row.item.dot_total] for row in ranking.needs],
        "left": ranking.dots_left,
        "mine": mine,
    }


@database_sync_to_async
def _stored(code: str, phones: list[Phone]) -> dict:
    """What each write made became in the database."""
    made = stored = lost = doubled = 0
    which = []  # the first writes not stored exactly once, to look into
    for phone in phones:
        for text in phone.needs_made:
            count = Need.objects.filter(live_session__code=code, text=text).count()
            made += 1
            stored += count == 1
            lost += count == 0
            doubled += count > 1
            if count != 1:
                which.append([phone.index, text[-6:], count])
        held = dict(
            Vote.objects.filter(participant_id=phone.participant).values_list("need_id", "dots")
        )
        for need_id in set(phone.adds) | set(phone.removes):
            adds, removes = phone.adds[need_id], phone.removes[need_id]
            actual = held.get(need_id, 0)
            made += adds + removes
            # The baseline's phones never send a tap twice: a dot too many is a take-back lost.
            # With the outbox, a dot too many would be a doubled add (each tap has its key).
            wrong = abs(actual - (adds - removes))
            stored += adds + removes - wrong
            if actual > adds:
                doubled += actual - adds
                wrong -= actual - adds
            lost += wrong
            if actual != adds - removes:
                which.append([phone.index, need_id, adds, removes, actual])
    return {
        "made": made,
        "stored_once": stored,
        "lost": lost,
        "doubled": doubled,
        "not_once": which[:8],
    }


class WifiRun:
    def __init__(self, browser, url: str, outbox: bool, rng: random.Random) -> None:
        self.browser, self.url, self.outbox, self.rng = browser, url, outbox, rng
        self.stop_drops = asyncio.Event()

    async def open(self) -> None:
        self.code, people, self.facilitator = await _open_session(PHONES)
        self.phones = [Phone(i, pk, token) for i, (pk, token) in enumerate(people)]
        host = httpx.URL(self.url).host
        self.board_context = await self.browser.new_context(viewport={"width": 1280, "height": 720})
        self.board = await self.board_context.new_page()
        await self.board.goto(f"{self.url}/s/{self.code}/board/")
        for phone in self.phones:
            phone.context = await self.browser.new_context(**PHONE_SIZE)
            phone.context.set_default_timeout(30_000)
            if not self.outbox:
                await phone.context.add_init_script("window.CG_OUTBOX_OFF = true;")
            await phone.context.add_init_script(COUNT_TAPS)
            await phone.context.add_cookies(
                [{"name": f"cg_p_{self.code}", "value": phone.token, "domain": host, "path": "/"}]
            )
            phone.page = await phone.context.new_page()
        # The room arrives a few phones at a time (as a plenary does over a minute), on a
        # machine whose two cores the browsers share with the server.
        arriving = asyncio.Semaphore(4)
        await asyncio.gather(*(self._load(phone, arriving) for phone in self.phones))
        await self.board.wait_for_selector("#connection-status[data-state=live]")

    async def _load(self, phone: Phone, arriving: asyncio.Semaphore) -> None:
        async with arriving:
            await phone.page.goto(f"{self.url}/s/{self.code}/", timeout=90_000)
            await phone.page.wait_for_selector(
                "#connection-status[data-state=live]", timeout=90_000
            )

    async def close(self) -> None:
        for phone in self.phones:
            await phone.context.close()
        await self.board_context.close()

    # --- the network -------------------------------------------------------------------------

    async def _drop(self, phone: Phone) -> None:
        await phone.context.set_offline(True)
        phone.drops += 1
        await asyncio.sleep(DROP_SECONDS)
        await phone.context.set_offline(False)
        phone.reconnected_at = time.monotonic()
        # A reload that met the drop (a phase change reloads the page): the browser's error
        # page, which a person reloads once the network is back.
        if phone.page.url.startswith("chrome-error:"):
            phone.error_pages += 1
            await self._reload(phone)

    async def _reload(self, phone: Phone) -> None:
        """The person reloads the page; on a machine this busy it may take a while."""
        # Still the error page if it fails: reloaded again before the screens are compared.
        with contextlib.suppress(PlaywrightError):
            await phone.page.goto(f"{self.url}/s/{self.code}/", timeout=90_000)

    async def _drops(self, phone: Phone) -> None:
        while not self.stop_drops.is_set():
            try:
                await asyncio.wait_for(self.stop_drops.wait(), self.rng.uniform(*DROP_EVERY))
                return
            except TimeoutError:
                await self._drop(phone)

    # --- the people --------------------------------------------------------------------------

    async def _post_needs(self, phone: Phone) -> None:
        for number in range(NEEDS_EACH):
            await asyncio.sleep(self.rng.uniform(2, 9))
            text = f"Phone {phone.index:02d} need {number} {uuid.uuid4().hex[:6]}"
            await phone.page.get_by_label("A need of your community").fill(text)
            await self._tap(phone, phone.page.get_by_role("button", name="Post need"))

    async def _to_voting(self, phone: Phone) -> None:
        """Wait for the voting page; a phone holding unsent words gets the notice instead of
        a reload, and the person taps it."""
        deadline = time.monotonic() + 120
        while not await phone.page.locator("#dot-budget").count():
            if time.monotonic() > deadline:
                state = await phone.page.evaluate(
                    "() => [location.href, document.body.dataset.mode,"
                    " (document.getElementById('connection-status') || {}).textContent]"
                )
                raise AssertionError(f"phone {phone.index} never showed voting: {state}")
            notice = phone.page.locator("#phase-changed-notice:not([hidden]) a")
            if await notice.count():
                await self._tap(phone, notice)
            await asyncio.sleep(0.5)

    async def _tap(self, phone: Phone, locator, timeout: float = 20_000) -> bool:
        """Tap; False if the page never offered it (it was reloading, or never showed it)."""
        try:
            await locator.click(timeout=timeout)
        except PlaywrightError as exc:
            phone.taps_missed += 1
            phone.missed_why[str(exc).splitlines()[0][:80]] += 1
            return False
        return True

    async def _vote(self, phone: Phone, authors: dict[int, int]) -> None:
        await self._to_voting(phone)
        others = sorted(pk for pk, author in authors.items() if author != phone.participant)
        phone.chosen = self.rng.sample(others, DOTS_EACH)
        for need_id in phone.chosen:
            await asyncio.sleep(self.rng.uniform(1.5, 5))
            await self._tap(phone, phone.page.locator(f"#vote-need-{need_id} .vote-add"))

    async def _count_taps(self, phone: Phone) -> None:
        """The writes the phone's page saw made (COUNT_TAPS)."""
        taps = await phone.page.evaluate("JSON.parse(sessionStorage.getItem('chaos-taps') || '[]')")
        for tap in taps:
            if tap["kind"] == "post":
                phone.needs_made.append(tap["text"])
            elif tap["kind"] == "vote":
                counts = phone.adds if tap["action"] == "add" else phone.removes
                counts[int(tap["item"])] += 1

    async def _until_sent(self, within: float = 30) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            waiting = await asyncio.gather(
                *(
                    phone.page.locator("[data-outbox-mark]:not([data-state=refused])").count()
                    for phone in self.phones
                ),
                return_exceptions=True,
            )
            if all(count == 0 for count in waiting):
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(1)

    async def _last_write_in_a_drop(self, phone: Phone) -> None:
        """The last write, made in a drop: a dot taken back (once the phone shows the dot
        placed; never, if the dot was lost), the network back 2 s later."""
        await asyncio.sleep(self.rng.uniform(0, 2))
        take_back = phone.page.locator(f"#vote-need-{phone.chosen[0]} .vote-remove")
        try:
            await take_back.wait_for(timeout=10_000)
        except PlaywrightError:
            take_back = None
        await phone.context.set_offline(True)
        phone.drops += 1
        if take_back is not None:
            await self._tap(phone, take_back, timeout=10_000)
        await asyncio.sleep(DROP_SECONDS)
        await phone.context.set_offline(False)
        phone.reconnected_at = time.monotonic()

    # --- the run -----------------------------------------------------------------------------

    async def run(self) -> dict:
        load_before = os.getloadavg()[0]
        drops = [asyncio.create_task(self._drops(phone)) for phone in self.phones]
        await asyncio.gather(*(self._post_needs(phone) for phone in self.phones))
        # The facilitator moves on once the room's phones have sent what they wrote (a write
        # sent after the phase closed is refused, and said so on its phone: not what this run
        # measures; tests/e2e/test_phone_outbox.py shows it).
        await self._until_sent()
        await _set_phase(self.url, self.code, self.facilitator, Phase.VOTING)
        authors = (await _database_state(self.code, []))["authors"]
        await asyncio.gather(*(self._vote(phone, authors) for phone in self.phones))
        self.stop_drops.set()
        await asyncio.gather(*drops)
        await asyncio.gather(*(self._last_write_in_a_drop(phone) for phone in self.phones))
        for phone in self.phones:
            if phone.page.url.startswith("chrome-error:"):
                phone.error_pages += 1
                await self._reload(phone)
        await asyncio.gather(*(self._count_taps(phone) for phone in self.phones))
        last_reconnection = max(phone.reconnected_at for phone in self.phones)
        converged_s, duplicates, refused, apart = await self._wait_for_screens(last_reconnection)
        kept = await asyncio.gather(
            *(
                phone.page.evaluate(
                    "(code) => window.CGOutboxStore ? CGOutboxStore.list(code).then("
                    "(items) => items.map((i) => i.kind + ':' + i.state)) : []",
                    self.code,
                )
                for phone in self.phones
            ),
            return_exceptions=True,
        )
        return {
            "outbox": "on" if self.outbox else "off",
            "phones": PHONES,
            "drops": sum(phone.drops for phone in self.phones),
            **(await _stored(self.code, self.phones)),
            "converged_s": converged_s,
            "needs_shown_twice": duplicates,
            "refused_shown": refused,
            "screens_apart": apart,
            "still_kept": [[i, k] for i, k in enumerate(kept) if k][:8],
            "error_pages": sum(phone.error_pages for phone in self.phones),
            "taps_missed": sum(phone.taps_missed for phone in self.phones),
            "missed_why": dict(sum((phone.missed_why for phone in self.phones), Counter())),
            # The machine is shared: its load (1-minute average) as the run began and ended.
            "load": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        }

    async def _wait_for_screens(self, since: float) -> tuple[float | None, int, int, list]:
        """Seconds from ``since`` until every screen shows the database's state (None if not
        within WAIT_FOR_SCREENS); then, at that moment: the needs any phone showed twice, the
        writes shown as refused, and the screens that did not agree (with what differed)."""
        people = [phone.participant for phone in self.phones]
        while True:
            expected = await _database_state(self.code, people)
            phones = await asyncio.gather(
                *(phone.page.evaluate(PHONE_STATE) for phone in self.phones),
                return_exceptions=True,
            )
            board = await self.board.evaluate(BOARD_STATE)
            apart = []
            if board != {k: expected[k] for k in ("seq", "left", "ranking")}:
                apart.append(["board", board["seq"], expected["seq"]])
            for phone, state in zip(self.phones, phones, strict=True):
                if isinstance(state, BaseException):
                    apart.append([phone.index, str(state)[:80]])
                    continue
                differs = [
                    name
                    for name, ok in (
                        ("seq", state["seq"] == expected["seq"]),
                        ("needs", state["needs"] == expected["needs"]),
                        ("mine", state["mine"] == expected["mine"][phone.participant]),
                        ("waiting", state["waiting"] == 0),
                    )
                    if not ok
                ]
                if differs:
                    wrong = {
                        need: [state["needs"].get(need), expected["needs"].get(need)]
                        for need in set(state["needs"]) | set(expected["needs"])
                        if state["needs"].get(need) != expected["needs"].get(need)
                    }
                    apart.append(
                        [phone.index, state["url"][-30:], differs, list(wrong.items())[:3]]
                    )
            now = time.monotonic()
            if not apart or now - since > WAIT_FOR_SCREENS:
                shown = [state for state in phones if not isinstance(state, BaseException)]
                duplicates = sum(len(state["texts"]) - len(set(state["texts"])) for state in shown)
                refused = sum(state["refused"] for state in shown)
                converged = round(now - since, 2) if not apart else None
                return converged, duplicates, refused, apart[:5]
            await asyncio.sleep(0.25)


async def test_phones_on_conference_wifi_store_every_write_once_and_converge(
    owned_redis, start_worker
):
    worker = await start_worker(REDIS_URL=owned_redis.url)
    results = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            for number in range(RUNS):
                for outbox in (False, True):
                    run = WifiRun(browser, worker.url, outbox, random.Random(1000 * number + 7))
                    await run.open()
                    try:
                        figures = {"run": number + 1, **(await run.run())}
                    finally:
                        await run.close()
                    record_figures("phones on wifi", **figures)
                    results.append(figures)
        finally:
            await browser.close()

    for figures in (f for f in results if f["outbox"] == "on"):
        assert figures["stored_once"] == figures["made"], figures
        assert figures["lost"] == figures["doubled"] == figures["needs_shown_twice"] == 0
        assert figures["refused_shown"] == 0, figures
        assert figures["converged_s"] is not None, figures
