"""What the quick writes share (sessions.services.quick_votes, quick_needs, quick_mappings):
statements made from the models' own table and column names, the participant's lock, and
``write_once``: the rate limits, a transaction opened and committed by hand on psycopg's async
connection in as few round trips as it takes, the live event, and the way back to the
ordinary path when a write is not the plain case."""

import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

import psycopg
from django.db import connections
from django.db.models import Model
from django.utils import timezone
from psycopg_pool import PoolTimeout

from sessions.live import events
from sessions.models import ClientWrite, LiveSession, Participant
from sessions.queries.sql import columns, quote
from sessions.ratelimit import RateLimited, agive_back, ahit
from sessions.services.common import require_phase
from sessions.services.errors import SessionError

logger = logging.getLogger(__name__)

# As services.joining.touch: a participant's last activity is written at most once a minute.
TOUCH_EVERY = timedelta(minutes=1)


def locked_with_replay() -> str:
    """The participant's row locked FOR UPDATE (as locked_participant), found by their hashed
    token and the session's code; whether the key was used already (a ClientWrite, as
    ``replays.replayed``); and the session as it is now (``LiveSession`` columns, in order, after
    ``id, removed_at, last_seen_at, replayed``). Parameters: hash, code, key."""
    _, session_columns = columns(LiveSession, "s")
    # nosec B608: table and column names are the models' own, quoted; values are parameters.
    return (
        "SELECT p.id, p.removed_at, p.last_seen_at, EXISTS (SELECT 1 FROM"  # noqa: S608  # nosec B608
        f" {quote(ClientWrite._meta.db_table)} w WHERE w.participant_id = p.id"
        f" AND w.key = %(key)s), {session_columns} FROM {quote(Participant._meta.db_table)} p"
        f" JOIN {quote(LiveSession._meta.db_table)} s ON s.id = p.live_session_id"
        " WHERE p.token_hash = %(hash)s AND s.code = %(code)s FOR UPDATE OF p"
    )


def touch_statement() -> str:
    table = quote(Participant._meta.db_table)
    # The model's own table name, quoted; values are parameters.
    return f"UPDATE {table} SET last_seen_at = %(now)s WHERE id = %(participant)s"  # noqa: S608  # nosec B608


class StepAside(Exception):  # noqa: N818 (not an error: the ordinary path's turn)
    """Not decided here: roll back (nothing was written) and let the ordinary path answer."""


async def prepared(conn, query: str, values: dict) -> psycopg.AsyncCursor:
    """``query`` bound on the server and prepared once per connection: PostgreSQL parses and
    plans a write's largest statement once, not on every tap. The other statements travel
    several to a message, which needs client-side binding (commonground.async_db)."""
    cursor = psycopg.AsyncCursor(conn)
    return await cursor.execute(query, values, prepare=True)


def require_phase_or_step_aside(live_session: LiveSession, action: str) -> None:
    """As services.common.require_phase, but a closed phase is the ordinary path's to say."""
    try:
        require_phase(live_session, action)
    except SessionError:
        raise StepAside from None


def insert_values(instance: Model, fields: list) -> dict:
    """``instance``'s values for an INSERT of ``fields``, as Django's own save prepares them
    (``auto_now_add`` stamped on the instance)."""
    database = connections["default"]
    return {
        field.attname: field.get_db_prep_save(field.pre_save(instance, add=True), database)
        for field in fields
    }


class Written(Protocol):
    """What a quick write's result tells its commit: the session whose sequence to bump, the
    participant to mark as seen."""

    live_session_id: int
    participant_id: int
    last_seen_at: datetime


class WrittenBy:
    """A Written that holds its participant, with the session and the last activity read
    under their lock."""

    participant: Participant

    @property
    def live_session_id(self) -> int:
        return self.participant.live_session_id

    @property
    def participant_id(self) -> int:
        return self.participant.pk

    @property
    def last_seen_at(self) -> datetime:
        return self.participant.last_seen_at


W = TypeVar("W", bound=Written)


async def write_once(
    *,
    connection,
    limits: list[tuple[str, str, int]],
    write: Callable[[psycopg.AsyncConnection], Awaitable[W]],
    published: Callable[[W], Awaitable[None]],
    what: str,
) -> W | None:
    """A quick write, as every one goes: ``limits`` ((scope, key, per minute), counted as
    services.common.rate_limited counts them) before any row is read, holding no connection
    (a slow cache must keep none from the room); ``write(conn)`` in a transaction; COMMIT with
    the sequence's bump; ``published(result)``, the live event (robust, as after the ordinary
    commit). ``write`` raises StepAside, having written nothing, for what is not the plain
    case. ``connection``: an async context manager giving a psycopg AsyncConnection in
    autocommit mode (commonground.async_db). None: the ordinary path answers, and counts the
    write itself (the counts here are given back)."""
    counted: list[str] = []
    written = None
    try:
        for scope, key, limit in limits:
            if cache_key := await ahit(scope, key, limit=limit, window=60):
                counted.append(cache_key)
        written = await _in_transaction(connection, write, published)
    except RateLimited:
        pass
    except (psycopg.Error, PoolTimeout, OSError) as error:
        # A fault, a deadlock, a lock conflict: nothing written (the transaction rolled back)
        # or unknown (pushed anyway); the ordinary path, with its retries, circuit breaker
        # and 503, takes it from here, and answers a write that was stored as the replay it is.
        logger.info("a quick %s went the ordinary way: %s", what, error.__class__.__name__)
    if written is None:
        for cache_key in counted:
            await agive_back(cache_key)
    return written


async def _in_transaction(connection, write, published):
    """Opened by hand on the autocommit connection, so that BEGIN and COMMIT travel with the
    statements next to them (``conn.transaction()`` sends each alone)."""
    async with connection() as conn:
        try:
            written = await write(conn)
        except StepAside:
            await conn.execute("ROLLBACK")
            return None
        except BaseException:
            await roll_back_quietly(conn)
            raise
        try:
            await conn.execute(*_commit(written))
        except psycopg.Error:
            # At COMMIT or between it and the bump: whether it was stored is unknown. Pushed
            # anyway (a push shows what is stored); the error goes on to the ordinary path.
            await roll_back_quietly(conn)
            await _published(published, written)
            raise
    await _published(published, written)
    return written


def _commit(written: Written) -> tuple[str, dict | None]:
    """COMMIT with the sequence's bump (sessions.live.events.commit_and_bump_statement), and
    the participant's last activity when it is a minute old, in one round trip."""
    statement = events.commit_and_bump_statement(written.live_session_id)
    now = timezone.now()
    if now - written.last_seen_at <= TOUCH_EVERY:
        return statement, None
    values = {"now": now, "participant": written.participant_id}
    return f"{touch_statement()}; {statement}", values


async def _published(published, written) -> None:
    try:
        await published(written)
    except Exception:
        logger.exception("a quick write was stored but not pushed")


async def roll_back_quietly(conn) -> None:
    if conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
        return
    with contextlib.suppress(psycopg.Error):  # the pool discards one it cannot reset
        await conn.execute("ROLLBACK")
