"""A room for the chaos tests: a live session with participants who post needs to real workers
as phones do (a form with its submission id, retried with the same id after a "try again"),
and a board that stays connected as the projector's browser does (reconnects after a close,
resumes with its last sequence number).

Each test tallies what it asked and what it got back, and checks that no write is lost or
doubled: every need posted (once or several times) is in the database exactly once."""

import asyncio
import json
import os
import re
import time
import uuid
from dataclasses import dataclass, field

import httpx
import pytest
import websockets
from channels.db import database_sync_to_async
from django.conf import settings

from sessions.enums import Phase
from sessions.models import LiveSession, Need
from tests.factories import LiveSessionFactory, ParticipantFactory

# Every chaos test: marked (pytest -m chaos), asynchronous, and its data visible to workers.
CHAOS_TEST = [pytest.mark.chaos, pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]
# Workers in production run on PostgreSQL; SQLite (the one-laptop default, one process) refuses
# concurrent writers ("database is locked"), which is not what these tests are about.
needs_postgresql = pytest.mark.skipif(
    settings.DATABASE_VENDOR != "postgresql",
    reason="needs PostgreSQL (DATABASE_URL), as in CI",
)
# Workers behind the test's database proxy wait at most this long for a pooled connection.
PROXIED_POOL_TIMEOUT = 2
CSRF_SECRET = "c" * 32  # the csrftoken cookie and header of every phone
SEQ = re.compile(r'id="live-seq" data-seq="(\d+)"')
# A request is "answered" when it gets an HTTP status within this bound.
ANSWER_WITHIN_SECONDS = 10.0


@dataclass
class Answer:
    status: int | None  # None: no HTTP answer (connection refused or reset, timeout)
    seconds: float
    started: float = 0.0  # time.monotonic() when the request was sent
    retry_after: str | None = None  # the Retry-After header, if any

    @property
    def answered_at(self) -> float:
        return self.started + self.seconds


@dataclass
class Post:
    text: str
    submission_id: str
    token: str
    answers: list[Answer] = field(default_factory=list)

    @property
    def acknowledged(self) -> bool:
        return any(answer.status == 302 for answer in self.answers)


class Room:
    def __init__(self, code: str, tokens: list[str]) -> None:
        self.code = code
        self.tokens = tokens
        self.posts: list[Post] = []
        # One client for every phone (a client costs the test's CPU, not the server's); each
        # request names its phone's cookies itself, which the client's own jar does not override.
        self.http = httpx.AsyncClient(
            timeout=ANSWER_WITHIN_SECONDS, limits=httpx.Limits(max_connections=None)
        )

    async def close(self) -> None:
        await self.http.aclose()

    @classmethod
    async def open(cls, participants: int = 30) -> "Room":
        @database_sync_to_async
        def create():
            session = LiveSessionFactory(phase=Phase.NEEDS)
            people = ParticipantFactory.create_batch(participants, live_session=session)
            return session.code, [person.token for person in people]

        return cls(*await create())

    def new_post(self, label: str) -> Post:
        # One participant per post: the per-person posting limit is not what is tested.
        token = self.tokens[len(self.posts) % len(self.tokens)]
        post = Post(text=f"{label} {len(self.posts)}", submission_id=uuid.uuid4().hex, token=token)
        self.posts.append(post)
        return post

    async def send(self, base_url: str, post: Post) -> Answer:
        """POST the need form once, as a phone without JavaScript does."""
        cookies = f"cg_p_{self.code}={post.token}; csrftoken={CSRF_SECRET}"
        started = time.monotonic()
        status = retry_after = None
        try:
            response = await self.http.post(
                f"{base_url}/s/{self.code}/needs/",
                data={"text": post.text, "submission_id": post.submission_id},
                headers={"Cookie": cookies, "X-CSRFToken": CSRF_SECRET},
            )
            status, retry_after = response.status_code, response.headers.get("Retry-After")
        except httpx.TransportError:
            pass
        answer = Answer(status, time.monotonic() - started, started, retry_after)
        post.answers.append(answer)
        return answer

    async def post_needs(self, base_url: str, label: str, count: int) -> list[Answer]:
        """``count`` needs at once, from ``count`` participants."""
        posts = [self.new_post(label) for _ in range(count)]
        return await asyncio.gather(*(self.send(base_url, post) for post in posts))

    async def retry_unacknowledged(self, base_url: str) -> None:
        """What phones do once the server is back: send again what got no 302, with the same
        submission id. One acknowledged post is sent again too (an answer lost on the way)."""
        again = [post for post in self.posts if not post.acknowledged]
        again += [post for post in self.posts if post.acknowledged][:1]
        for post in again:
            await self.send(base_url, post)

    async def post_until_the_board_shows_it(
        self, base_url: str, board: "Board", label: str, timeout: float = 10
    ) -> float:
        """Post a need every 0.3 s until ``board`` shows one of them: live pushes are flowing.
        Returns the seconds that took (a push made while the layer was still reconnecting is
        lost, as any push during an outage is: test_board_catches_up.py)."""
        started = time.monotonic()
        posted: list[Post] = []
        while True:
            assert time.monotonic() - started < timeout, "no live push reached the board"
            post = self.new_post(label)
            posted.append(post)
            assert (await self.send(base_url, post)).status == 302
            next_post_at = time.monotonic() + 0.3
            while time.monotonic() < next_post_at:
                if any(board.saw(f"{earlier.text}<") for earlier in posted):
                    return time.monotonic() - started
                await asyncio.sleep(0.02)

    async def saved_texts(self) -> list[str]:
        @database_sync_to_async
        def texts():
            return list(
                Need.objects.filter(live_session__code=self.code).values_list("text", flat=True)
            )

        return await texts()

    async def sequence(self) -> int:
        return await database_sync_to_async(
            lambda: LiveSession.objects.get(code=self.code).sequence
        )()

    async def lost_and_doubled(self) -> tuple[list[str], list[str]]:
        """Needs posted but not saved, and needs saved more than once."""
        saved = await self.saved_texts()
        lost = [post.text for post in self.posts if post.text not in saved]
        doubled = sorted({text for text in saved if saved.count(text) > 1})
        return lost, doubled

    async def record(
        self, fault: str, during: list[Answer], recovered_s: float, **more
    ) -> tuple[list[str], list[str]]:
        """Record the figures of a fault (record_figures): the requests tried and answered
        during it, the needs lost and doubled in the end, the seconds it took to recover.
        Returns the needs lost and doubled."""
        lost, doubled = await self.lost_and_doubled()
        record_figures(
            fault,
            tried=len(during),
            answered=sum(answer.status is not None for answer in during),
            lost=len(lost),
            doubled=len(doubled),
            recovered_s=round(recovered_s, 2),
            **more,
        )
        return lost, doubled

    async def get(self, url: str) -> Answer:
        """GET a page as a visitor without cookies."""
        started = time.monotonic()
        status = retry_after = None
        try:
            response = await self.http.get(url, headers={"Cookie": ""})
            status, retry_after = response.status_code, response.headers.get("Retry-After")
        except httpx.TransportError:
            pass
        return Answer(status, time.monotonic() - started, started, retry_after)


class Board:
    """The projector: one socket at a time to one of ``urls``, reopened (to the next URL, as the
    proxy in front of the workers would) after a close, resuming from the last sequence seen."""

    def __init__(self, urls: list[str], code: str) -> None:
        self.urls = urls
        self.code = code
        self.seq = -1
        self.messages: list[str] = []
        self.closes: list[int | None] = []
        self.connected = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> "Board":
        self._task = asyncio.ensure_future(self._run())
        await asyncio.wait_for(self.connected.wait(), timeout=10)
        return self

    async def __aexit__(self, *exc) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        attempt = 0
        while True:
            base = self.urls[attempt % len(self.urls)]
            attempt += 1
            try:
                async with websockets.connect(
                    base.replace("http://", "ws://") + f"/ws/s/{self.code}/board/",
                    origin=base,
                    open_timeout=5,
                ) as socket:
                    await socket.send(json.dumps({"type": "resume", "since": max(self.seq, 0)}))
                    self.connected.set()
                    async for message in socket:
                        self.messages.append(message)
                        if found := SEQ.search(message):
                            self.seq = int(found.group(1))
                    self.closes.append(socket.close_code)
            except (OSError, TimeoutError, websockets.WebSocketException) as exc:
                code = getattr(getattr(exc, "rcvd", None), "code", None)
                self.closes.append(code)
            self.connected.clear()
            await asyncio.sleep(0.2)  # htmx waits a little more; the tests keep it short

    def saw(self, text: str) -> bool:
        return any(text in message for message in self.messages)

    async def wait_for(self, condition, timeout: float) -> float:
        """Seconds until ``condition()`` holds; fails after ``timeout``."""
        started = time.monotonic()
        while not condition():
            assert time.monotonic() - started < timeout, "the board did not catch up"
            await asyncio.sleep(0.05)
        return time.monotonic() - started


async def board_answer(
    base_url: str, code: str, language: str = "en", wait: float = 5
) -> str | int | None:
    """What a board opening its socket now gets first within ``wait`` seconds: a message (its
    snapshot), or the close code (None: the handshake was refused, failed or not answered)."""
    try:
        async with websockets.connect(
            base_url.replace("http://", "ws://") + f"/ws/s/{code}/board/",
            origin=base_url,
            additional_headers={"Cookie": f"django_language={language}"},
            open_timeout=wait,
        ) as socket:
            await socket.send(json.dumps({"type": "resume", "since": 10**6}))
            return await asyncio.wait_for(socket.recv(), timeout=wait)
    except websockets.ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
    except (OSError, TimeoutError, websockets.WebSocketException):
        return None


def record_figures(fault: str, **figures) -> None:
    """Print the figures (pytest -s shows them) and, if CHAOS_FIGURES names a file, append them
    there as one JSON line: docs/reliability.md is written from them."""
    line = json.dumps({"fault": fault, **figures})
    print(line)
    if path := os.environ.get("CHAOS_FIGURES"):
        with open(path, "a", encoding="utf-8") as out:
            out.write(line + "\n")
