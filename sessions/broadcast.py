"""Push server-rendered fragments to the screens of a live session.

Services call ``session_changed`` inside their transaction: it bumps the session's sequence
number and only *schedules* a push for after commit. A session pushes at most once per short
window (LIVE_COALESCE_SECONDS), so a burst of votes becomes one message per audience,
rendered once per audience (board, participants) and interface language, never once per
socket: each screen listens to the group of its audience in its own language. A vote sends
only the new dot totals, not the need's whole card."""

import asyncio
import json
import logging
import threading
import time
from dataclasses import dataclass, field

from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header

from sessions import queries
from sessions.models import LiveSession

logger = logging.getLogger(__name__)

BOARD = "board"
PARTICIPANTS = "participants"
AUDIENCES = (BOARD, PARTICIPANTS)
LIVE_TEMPLATE = "sessions/partials/live.html"
ALL_REGIONS = frozenset({"phase", "spotlight", "counts", "grid", "split", "gaps", "all_needs"})

# Rendering a push (its queries and templates, for every audience and language) costs from a few
# to tens of milliseconds of CPU. Under a storm of votes a fixed short window would spend a
# worker's CPU on renders that nobody can read that fast, and slow the votes down. So the window
# stretches until a session's renders take at most this share of the time (up to
# LIVE_COALESCE_MAX_SECONDS); when renders are cheap it stays at LIVE_COALESCE_SECONDS.
RENDER_TIME_SHARE = 0.25


def group_name(live_session_id: int, audience: str, language: str) -> str:
    return f"live-session-{live_session_id}.{audience}.{language}"


def languages() -> list[str]:
    return [code for code, _ in settings.LANGUAGES]


def screen_language(scope: dict) -> str:
    """The interface language of a WebSocket's screen, chosen as LocaleMiddleware chooses it for
    its pages: the language cookie, then the browser's Accept-Language, then the default."""
    candidates = [scope.get("cookies", {}).get(settings.LANGUAGE_COOKIE_NAME) or ""]
    headers = dict(scope.get("headers", []))
    accept = headers.get(b"accept-language", b"").decode("latin-1")
    candidates += [code for code, _ in parse_accept_lang_header(accept) if code != "*"]
    for code in candidates:
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


@dataclass
class Change:
    regions: set[str] = field(default_factory=set)
    needs_changed: set[int] = field(default_factory=set)
    needs_removed: set[int] = field(default_factory=set)
    # Needs whose dot totals (their own or their mappings') are all that changed: screens get
    # the new numbers, not the whole card again (a vote is the most frequent change by far).
    tallies: set[int] = field(default_factory=set)
    phase_changed: bool = False

    def merge(self, other: "Change") -> None:
        self.regions |= other.regions
        self.needs_removed |= other.needs_removed
        self.needs_changed = (self.needs_changed | other.needs_changed) - self.needs_removed
        self.tallies = (self.tallies | other.tallies) - self.needs_changed - self.needs_removed
        self.phase_changed |= other.phase_changed

    @classmethod
    def everything(cls) -> "Change":
        return cls(regions=set(ALL_REGIONS))


def session_changed(
    live_session_id: int,
    *,
    regions=(),
    needs_changed=(),
    needs_removed=(),
    tallies=(),
    phase_changed: bool = False,
) -> None:
    """Record that the session changed and push the changed regions after commit."""
    LiveSession.objects.filter(pk=live_session_id).update(sequence=F("sequence") + 1)
    change = Change(
        regions=set(regions) | ({"phase"} if phase_changed else set()),
        needs_changed=set(needs_changed) - set(needs_removed),
        needs_removed=set(needs_removed),
        tallies=set(tallies) - set(needs_changed) - set(needs_removed),
        phase_changed=phase_changed,
    )

    def push_after_commit() -> None:
        coalescer.add(live_session_id, change)

    # robust: a channel-layer failure is logged and never turns a saved write into an error.
    transaction.on_commit(push_after_commit, robust=True)


def gather(live_session: LiveSession, change: Change, audiences=AUDIENCES) -> dict:
    """What an update shows to ``audiences``, read once for all of them and every language
    (the data depends on neither; only the rendering does). The board's regions (counts,
    grid, split, spotlight) are read only when the board is among them."""
    data: dict = {}
    board = BOARD in audiences
    regions = change.regions
    if "all_needs" in regions:
        data["need_page"] = queries.needs_page(live_session)
    elif change.needs_changed:
        visible = queries.needs(live_session, ids=change.needs_changed)
        data["needs_upserted"] = visible
        # A changed need that is no longer visible (hidden, pending) leaves the screens.
        data["needs_removed"] = sorted(
            change.needs_removed | (change.needs_changed - {need.pk for need in visible})
        )
    if "all_needs" not in regions and change.needs_removed:
        data.setdefault("needs_removed", sorted(change.needs_removed))
    if change.tallies and "all_needs" not in regions:
        data["tallies"] = queries.needs(live_session, ids=change.tallies)
    if "counts" in regions and board:
        data["counts"] = queries.participant_counts(live_session)
    if "grid" in regions and board:
        data["grid"] = queries.grid(live_session)
    if "split" in regions and board:
        data["split"] = queries.approach_split(live_session)
    if "gaps" in regions:
        data["gap_groups"] = queries.gap_notes(live_session)
    if "spotlight" in regions and board:
        data["spotlight"] = queries.spotlight(live_session)
    return data


def render_update(
    live_session: LiveSession, change: Change, audience: str, data: dict | None = None
) -> str:
    """The HTML message for one audience: out-of-band fragments plus the sequence marker.
    ``data`` is what ``gather`` read for this change (read here if not given)."""
    if data is None:
        data = gather(live_session, change, audiences=(audience,))
    context = {"live_session": live_session, "change": change, "audience": audience, **data}
    return render_to_string(f"{LIVE_TEMPLATE}#{audience}-update", context)


def render_messages(live_session_id: int, change: Change) -> list[tuple[str, dict]]:
    """Render the update once per audience and language; returns (group, message) pairs."""
    live_session = LiveSession.objects.filter(pk=live_session_id).select_related("taxonomy").first()
    if live_session is None:
        return []
    data = gather(live_session, change)
    messages = []
    for language in languages():
        with translation.override(language):
            for audience in AUDIENCES:
                html = render_update(live_session, change, audience, data)
                messages.append(
                    (
                        group_name(live_session_id, audience, language),
                        {"type": "live.update", "html": html, "seq": live_session.sequence},
                    )
                )
    return messages


def push(live_session_id: int, change: Change) -> None:
    layer = get_channel_layer()
    for group, message in render_messages(live_session_id, change):
        async_to_sync(layer.group_send)(group, message)


def _layer_is_in_process() -> bool:
    # The in-memory layer's queues belong to the server's event loop and are not thread-safe,
    # so it is only ever sent to from that loop's context, at once. It serves one process
    # (development, tests), where there is no fan-out cost to save.
    return isinstance(get_channel_layer(), InMemoryChannelLayer)


class Coalescer:
    """Pushes a session's changes at most once per window, merging what arrives in between.

    The first change after a quiet window goes out at once; changes arriving while a window
    is open are merged and go out together when it ends. The window is LIVE_COALESCE_SECONDS,
    stretched when renders are costly (RENDER_TIME_SHARE). So a single vote is not delayed,
    and a burst costs one render and one message per audience per window. Pushes of one session
    are sent in order, one at a time, so a screen never receives an older render after a
    newer one. The pushes run on one event loop in a daemon thread of each worker process, so
    the channel layer keeps one connection pool for them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[int, Change] = {}
        self._last_push: dict[int, float] = {}
        self._send_locks: dict[int, asyncio.Lock] = {}
        self._render_seconds: dict[int, float] = {}  # smoothed, per session
        self._loop: asyncio.AbstractEventLoop | None = None

    def add(self, live_session_id: int, change: Change) -> None:
        window = getattr(settings, "LIVE_COALESCE_SECONDS", 0.05)
        if window <= 0 or _layer_is_in_process():
            push(live_session_id, change)
            return
        with self._lock:
            if live_session_id in self._pending:
                self._pending[live_session_id].merge(change)
                return
            self._pending[live_session_id] = change
            last = self._last_push.get(live_session_id)
            window = self.window(live_session_id, window)
            wait = 0.0 if last is None else max(0.0, last + window - time.monotonic())
        asyncio.run_coroutine_threadsafe(
            self._push_after(live_session_id, wait), self._ensure_loop()
        )

    def window(self, live_session_id: int, base: float) -> float:
        """The session's coalescing window: ``base``, or longer if its renders are slow."""
        limit = max(base, getattr(settings, "LIVE_COALESCE_MAX_SECONDS", 1.0))
        render = self._render_seconds.get(live_session_id, 0.0)
        return min(limit, max(base, render / RENDER_TIME_SHARE))

    def _record_render(self, live_session_id: int, seconds: float) -> None:
        # Smoothed, so one costly render (a cold cache) does not hold the session back for
        # long, and lastingly costly ones (grid and split on every vote) do stretch the window.
        with self._lock:
            previous = self._render_seconds.get(live_session_id, seconds)
            self._render_seconds[live_session_id] = (previous + seconds) / 2

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._loop.is_closed():
                self._loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=self._loop.run_forever, name="live-updates", daemon=True
                )
                thread.start()
            return self._loop

    async def _push_after(self, live_session_id: int, wait: float) -> None:
        if wait:
            await asyncio.sleep(wait)
        # Runs on the coalescer's own loop only, so the dict needs no thread lock.
        send_lock = self._send_locks.setdefault(live_session_id, asyncio.Lock())
        async with send_lock:
            with self._lock:
                change = self._pending.pop(live_session_id, None)
                now = time.monotonic()
                self._last_push[live_session_id] = now
                if len(self._last_push) > 1000:  # forget sessions quiet for a minute
                    for key, at in list(self._last_push.items()):
                        if now - at > 60 and key not in self._pending:
                            del self._last_push[key]
                            self._send_locks.pop(key, None)
                            self._render_seconds.pop(key, None)
            if change is None:
                return
            try:
                messages, render_seconds = await sync_to_async(
                    _render_in_worker, thread_sensitive=False
                )(live_session_id, change)
                self._record_render(live_session_id, render_seconds)
                layer = get_channel_layer()
                for group, message in messages:
                    await layer.group_send(group, message)
            except Exception:
                # Screens catch up on their next reconnect or poll; the write itself is saved.
                logger.exception("live update for session %s was not pushed", live_session_id)


def _render_in_worker(live_session_id: int, change: Change) -> tuple[list[tuple[str, dict]], float]:
    """The messages, and the CPU time their render took in this thread: what a push costs the
    worker, not inflated by how busy its event loop is delivering to screens."""
    started = time.thread_time()
    try:
        return render_messages(live_session_id, change), time.thread_time() - started
    finally:
        connection.close()


coalescer = Coalescer()


def error_fragment(message: str) -> str:
    return render_to_string(f"{LIVE_TEMPLATE}#live-error", {"message": message})


def parse_client_message(text: str | None) -> dict:
    """Validate a message from a screen: ``{"type": "resume", "since": <int>}`` only."""
    if text is None:
        raise ValueError("binary messages are not accepted")
    if len(text) > 2048:
        raise ValueError("message too long")
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):  # RecursionError: "[[[[...]]]]"
        raise ValueError("not JSON") from None
    if not isinstance(data, dict) or data.get("type") != "resume":
        raise ValueError("unknown message type")
    since = data.get("since")
    if not isinstance(since, int) or isinstance(since, bool) or since < 0:
        raise ValueError("since must be a non-negative integer")
    return {"type": "resume", "since": since}
