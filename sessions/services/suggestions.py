"""Merge suggestions: pairs of needs that look like the same need, kept up to date as needs
are posted and edited, and dismissed by a facilitator who decides they are not duplicates.

Needs are compared with the session's taxonomy's bilingual glossary (sessions/similarity.py),
so a need and its French version are suggested too. Only needs changed since they were last
compared (each need's own mark, ``Need.compared_at``) are compared, each against the session's
other needs, at most BATCH per refresh, so a refresh
stays fast however many needs the session holds (bench/merge_suggestions.py,
docs/performance.md). The others' features are kept by each worker between refreshes
(``need_indexes``): a refresh lists the session's needs with their last change and reads the
text of those changed since, not every need's.

A refresh follows the commit of each service that posts, edits or corrects a need, or shows
one again (moderation, a restored participant, an undone merge or correction):
``refresh_after_commit``, never on a look, so the dashboard only reads. A merge needs none: the
merged need leaves the suggestions as the dashboard reads them (sessions.queries). A
session whose needs were written without the services (an import) catches up BATCH needs per
later refresh.

A session is refreshed at most once per MERGE_SUGGESTIONS_SECONDS in each worker. The first
write after a quiet spell refreshes it in its own request, after its commit and before its
live event, so that the dashboard redrawn for that event shows what it found. The writes that
follow within the window leave it to one refresh in a thread of the worker when the window
ends, which compares what they posted in one go: when a room posts together, every post
compared its own need with all the others while the next posts waited for it (a dozen waiting
at any moment under 200 writers: docs/performance.md). The dashboard shows what that refresh
finds with its next redraw (any change in the session, or its 15 s poll). With
MERGE_SUGGESTIONS_SECONDS = 0 (the tests) and on SQLite (one writer at a time: a second
writing thread would only wait for it), every write refreshes in its own request."""

import logging
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from datetime import datetime

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from sessions.enums import ContributionStatus
from sessions.models import LiveSession, MergeSuggestion, ModerationAction, Need
from sessions.services.common import log, withdrawn_meanwhile
from sessions.similarity import Glossary, NeedIndex
from taxonomy.queries import term_entries

# Changed needs compared per round: against 2,000 others, about 0.1 s (1.5 us a pair, plus
# 30 ms to fold the 2,000 texts).
BATCH = 50


logger = logging.getLogger(__name__)


def refresh_after_commit(live_session_id: int) -> None:
    """After the caller's transaction commits, have the needs it posted or changed compared
    (``refresh_merge_suggestions``): here, scheduled before the service's live event so that
    a dashboard redrawn for that event already shows the suggestion, or in the background
    (``refresher``) when the session was refreshed less than a window ago. Robust: a failed
    refresh is logged and never turns a saved write into an error; the next one catches up."""

    def refresh_merge_suggestions_after_commit() -> None:  # named: Django logs it on failure
        if refreshes_inline():
            refresh_merge_suggestions(live_session=LiveSession(pk=live_session_id))
        elif refresher.quiet_turn(live_session_id):
            refresher.refresh(live_session_id)
        else:
            refresher.request(live_session_id)

    transaction.on_commit(refresh_merge_suggestions_after_commit, robust=True)


async def refresh_committed(live_session_id: int) -> None:
    """``refresh_after_commit`` for a need committed on psycopg's async connection
    (sessions.services.quick_needs): the same turns, taken from the event loop. A refresh in
    the request's own turn (a quiet room's first post) runs in a thread, with the ORM, before
    the caller publishes its event. Robust, as after a commit."""
    try:
        if refreshes_inline() or refresher.quiet_turn(live_session_id):
            await sync_to_async(_refresh_now, thread_sensitive=False)(live_session_id)
        else:
            refresher.request(live_session_id)
    except Exception:
        logger.exception("merge suggestions of session %s not refreshed", live_session_id)


def _refresh_now(live_session_id: int) -> None:
    try:
        if refreshes_inline():
            refresh_merge_suggestions(live_session=LiveSession(pk=live_session_id))
        else:
            refresher.refresh(live_session_id)
    finally:
        connection.close()  # the executor's thread keeps no connection of its own


def refreshes_inline() -> bool:
    return settings.MERGE_SUGGESTIONS_SECONDS <= 0 or connection.vendor != "postgresql"


class Refresher:
    """Each session's turns, per worker: a write after a quiet spell takes the turn itself
    (``quiet_turn``); the writes within MERGE_SUGGESTIONS_SECONDS of a refresh ask for one
    (``request``), which a daemon thread runs once that time is up, for all of them. Workers
    refresh a session one at a time (the refresh's lock); the second finds the needs compared
    already."""

    FORGET_AFTER_SECONDS = 60  # a session refreshed this long ago starts again at once

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._asked = threading.Condition(self._lock)
        self._due: dict[int, float] = {}  # session: when its refresh is due (monotonic)
        self._last: dict[int, float] = {}  # session: when its last refresh began
        self._thread: threading.Thread | None = None

    def request(self, live_session_id: int) -> None:
        now = time.monotonic()
        with self._lock:
            if live_session_id not in self._due:
                last = self._last.get(live_session_id)
                window = settings.MERGE_SUGGESTIONS_SECONDS
                self._due[live_session_id] = now if last is None else max(now, last + window)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="merge-suggestions", daemon=True
                )
                self._thread.start()
            self._asked.notify()

    def quiet_turn(self, live_session_id: int) -> bool:
        """Whether the session was not refreshed in the last window and none is waiting: then
        the write that asks refreshes it itself, at once, and the dashboard redrawn for its
        event shows what it found, as in a quiet room it always did. Otherwise the writes of
        the window wait for one refresh in the background."""
        now = time.monotonic()
        with self._lock:
            last = self._last.get(live_session_id)
            if live_session_id in self._due or (
                last is not None and now - last < settings.MERGE_SUGGESTIONS_SECONDS
            ):
                return False
            self._last[live_session_id] = now
            return True

    def refresh(self, live_session_id: int) -> None:
        """One refresh of the session, here; another later if it left needs waiting (more
        than BATCH changed: an import)."""
        if refresh_merge_suggestions(live_session=LiveSession(pk=live_session_id)) >= BATCH:
            self.request(live_session_id)

    def forget(self) -> None:
        """Start every session afresh (tests: session ids repeat)."""
        with self._lock:
            self._last.clear()

    def _next(self) -> int:
        """The next session due, once it is due."""
        with self._lock:
            while True:
                if not self._due:
                    self._asked.wait()
                    continue
                live_session_id, due = min(self._due.items(), key=lambda item: item[1])
                now = time.monotonic()
                if due > now:
                    self._asked.wait(due - now)
                    continue
                del self._due[live_session_id]
                self._last[live_session_id] = now
                if len(self._last) > 1000:
                    for key, at in list(self._last.items()):
                        if now - at > self.FORGET_AFTER_SECONDS:
                            del self._last[key]
                return live_session_id

    def _run(self) -> None:
        while True:
            live_session_id = self._next()
            try:
                self.refresh(live_session_id)
            except Exception:
                logger.exception("merge suggestions of session %s not refreshed", live_session_id)
            finally:
                connection.close()  # back to the pool between refreshes


refresher = Refresher()


@transaction.atomic
def refresh_merge_suggestions(*, live_session: LiveSession) -> int:
    """Compare the needs posted or edited since the last refresh with the session's other
    needs (hidden ones aside) and keep the pairs that look alike; returns how many needs were
    compared. A changed need's open suggestions are recomputed; dismissed ones stay dismissed.
    Emits nothing: only the facilitators' dashboard shows suggestions.

    One refresh runs per session at a time, and it compares every need changed since the last
    (up to BATCH): one that waited for another finds the needs posted meanwhile and compares
    them in one go, or finds them compared already."""
    live_session_id = live_session.pk
    _take_refresh_lock(live_session_id)
    live_session = _session_kept(live_session_id)
    shown = Need.objects.filter(live_session=live_session).exclude(
        status__in=[ContributionStatus.HIDDEN, ContributionStatus.MERGED]
    )
    # Each need by its own mark, not the session's newest: a need stamped before another
    # but committed after it (a slower transaction) is still compared.
    fresh_needs = shown.filter(Q(compared_at__isnull=True) | Q(updated__gt=F("compared_at")))
    # Their ids and stamps only: the index reads the texts it lacks.
    fresh = list(fresh_needs.order_by("updated", "pk").values_list("pk", "updated")[:BATCH])
    if not fresh:
        return 0
    fresh_ids = [pk for pk, _ in fresh]
    # The session's taxonomy's glossary and synonyms: "posts" meets "publications".
    glossary = Glossary.from_terms(term_entries(live_session.taxonomy))
    with need_indexes.held(live_session_id, glossary) as index:
        _bring_up_to_date(index, shown)
        pairs = index.similar_to(fresh_ids)
    MergeSuggestion.objects.filter(
        Q(need_id__in=fresh_ids) | Q(other_id__in=fresh_ids), dismissed_at__isnull=True
    ).delete()
    MergeSuggestion.objects.bulk_create(
        [
            MergeSuggestion(live_session=live_session, need_id=a, other_id=b, score=score)
            for a, b, score in pairs
        ],
        ignore_conflicts=True,  # a pair already dismissed stays as it is
    )
    _mark_compared(fresh)
    return len(fresh)


def _mark_compared(fresh: list[tuple[int, datetime]]) -> None:
    """Each need's mark, last, as its words were read: a need edited meanwhile keeps an
    ``updated`` later than its mark and is compared again. (Its row is locked from here to
    the commit only.)"""
    if connection.vendor != "postgresql":
        # SQLite's IMMEDIATE transaction has held the write lock since it began: no need
        # read was changed since.
        Need.objects.filter(pk__in=[pk for pk, _ in fresh]).update(compared_at=F("updated"))
        return
    # One statement matched on (id, updated) as read, rather than a CASE of 50 branches
    # that took Django a quarter of the refresh to compile.
    table = connection.ops.quote_name(Need._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS need SET compared_at = need.updated"  # noqa: S608  # nosec B608
            " FROM unnest(%s::bigint[], %s::timestamptz[]) AS read(id, updated)"
            " WHERE need.id = read.id AND need.updated = read.updated",
            [[pk for pk, _ in fresh], [updated for _, updated in fresh]],
        )


def _bring_up_to_date(index: NeedIndex, shown) -> None:
    """The session's needs in ``index`` as they are now: only the texts of needs changed
    since the index last saw them are read (all of them the first time, in one query)."""
    # The version as text: psycopg reads it in C, where Django reads each timestamp in Python
    # (half of this listing's time for 2,000 needs).
    version = Cast("updated", output_field=TextField())
    stale = set(index.stale(dict(shown.values_list("pk", version))))
    if len(stale) > MANY_STALE:
        rows = shown.values_list("pk", "text", version)
        index.add(row for row in rows if row[0] in stale)
    elif stale:
        index.add(shown.filter(pk__in=stale).values_list("pk", "text", version))


MANY_STALE = 500  # more texts to read than this: read all rather than list their ids


class NeedIndexes:
    """Each session's NeedIndex, per worker, for the sessions refreshed last. Refreshes of one
    session take turns (its lock); a refresh in a request's thread and one in the background
    thread may still overlap on SQLite, hence a lock per index.

    An index holds what its needs say (their features: stems and glossary concepts), so it is
    kept no longer than it serves: the worker that erases a participant forgets the session's
    index at once (services.joining.erase_participant); another worker's drops the erased
    needs at its next refresh of the session, and any index idle for IDLE_SECONDS goes at the
    next refresh of any session (a session that ended is refreshed no more)."""

    KEPT = 32  # sessions; 2,000 needs hold about a megabyte
    IDLE_SECONDS = 600
    now = staticmethod(time.monotonic)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # session: (its index, its lock, when it was last held (monotonic))
        self._indexes: OrderedDict[int, tuple[NeedIndex, threading.Lock, float]] = OrderedDict()

    @contextmanager
    def held(self, live_session_id: int, glossary: Glossary):
        now = self.now()
        with self._lock:
            kept = self._indexes.pop(live_session_id, None)
            # Least recently held first: the idle ones, and past KEPT the oldest, go.
            while self._indexes and (
                len(self._indexes) >= self.KEPT
                or now - next(iter(self._indexes.values()))[2] > self.IDLE_SECONDS
            ):
                self._indexes.popitem(last=False)
            if kept is None or kept[0].glossary is not glossary:
                index, lock = NeedIndex(glossary), threading.Lock()
            else:
                index, lock, _ = kept
            self._indexes[live_session_id] = (index, lock, now)
        with lock:
            try:
                yield index
            except BaseException:
                self.forget(live_session_id)  # half brought up to date: start afresh
                raise

    def forget(self, live_session_id: int | None = None) -> None:
        """One session's index, or every index (tests: session and need ids repeat)."""
        with self._lock:
            if live_session_id is None:
                self._indexes.clear()
            else:
                self._indexes.pop(live_session_id, None)


need_indexes = NeedIndexes()


# pg_advisory_xact_lock's first key: this lock's kind ("ms", merge suggestions), the
# second being the session's id.
_REFRESH_LOCK = 0x6D73


def _take_refresh_lock(live_session_id: int) -> None:
    """The session's refresh lock, held to the end of the transaction: an advisory lock of
    PostgreSQL's rather than the session's row, which every write's sequence bump updates
    (sessions.live.events): a write's answer must not wait for needs being compared. SQLite
    runs one writing transaction at a time anyway."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        # The second key is an int4: ids wrap past 2**31 (two such sessions would only
        # take turns).
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)", [_REFRESH_LOCK, live_session_id % 2**31]
        )


def _session_kept(live_session_id: int) -> LiveSession:
    """The session's row, kept from changing under the refresh by what locks it whole (a
    purge, a phase change: ``locked_session``), as the refresh's FOR UPDATE did; but FOR KEY
    SHARE, which the sequence bumps' plain UPDATEs do not wait for."""
    if connection.vendor != "postgresql":
        return LiveSession.objects.only("pk", "taxonomy_id").get(pk=live_session_id)
    # Django's select_for_update has no FOR KEY SHARE; the table's name is the model's own.
    table = connection.ops.quote_name(LiveSession._meta.db_table)
    return LiveSession.objects.raw(
        f"SELECT id, taxonomy_id FROM {table} WHERE id = %s FOR KEY SHARE",  # noqa: S608  # nosec B608
        [live_session_id],
    )[0]


@transaction.atomic
def dismiss_merge_suggestion(*, actor, suggestion: MergeSuggestion) -> ModerationAction | None:
    """Not the same need: the pair is no longer suggested (the log points at it, and its undo
    suggests it again). Returns the log entry; dismissing twice is a no-op (None). Refuses
    with Conflict for a suggestion gone with a need erased a moment ago. Emits nothing."""
    suggestion = (
        MergeSuggestion.objects.select_for_update(of=("self",))
        .select_related("need", "other")
        .filter(pk=suggestion.pk)
        .first()
    )
    if suggestion is None:
        raise withdrawn_meanwhile()
    if suggestion.dismissed_at:
        return None
    suggestion.dismissed_at = timezone.now()
    suggestion.save(update_fields=["dismissed_at"])
    return log(
        LiveSession.objects.get(pk=suggestion.live_session_id),
        actor,
        "dismiss-merge",
        "need",
        need=suggestion.need,
        other_need=suggestion.other,
        suggestion=suggestion,
    )
