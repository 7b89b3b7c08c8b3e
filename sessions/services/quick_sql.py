"""What the quick writes share (sessions.services.quick_votes, quick_needs): statements made
from the models' own table and column names, a transaction opened and committed by hand on
psycopg's async connection in as few round trips as it takes, and the way back to the
ordinary path when a write is not the plain case."""

import contextlib
from datetime import datetime, timedelta

import psycopg
from django.db import connections
from django.db.models import Model
from django.utils import timezone

from sessions.live import events
from sessions.models import ClientWrite, LiveSession, Participant

# As services.joining.touch: a participant's last activity is written at most once a minute.
TOUCH_EVERY = timedelta(minutes=1)


def quote(name: str) -> str:
    return connections["default"].ops.quote_name(name)


def columns(model: type[Model], alias: str) -> tuple[list[str], str]:
    """The model's fields (attnames, for from_db) and its columns as a select list."""
    fields = model._meta.concrete_fields
    return [f.attname for f in fields], ", ".join(f"{alias}.{quote(f.column)}" for f in fields)


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


class CommitUnknown(Exception):  # noqa: N818 (a state, not a fault of its own)
    """A fault at COMMIT or between it and the bump: whether the write was stored is unknown.
    ``written``: what the write would have been."""

    def __init__(self, written) -> None:
        super().__init__()
        self.written = written


async def prepared(conn, query: str, values: dict) -> psycopg.AsyncCursor:
    """``query`` bound on the server and prepared once per connection: PostgreSQL parses and
    plans a write's largest statement once, not on every tap. The other statements travel
    several to a message, which needs client-side binding (commonground.async_db)."""
    cursor = psycopg.AsyncCursor(conn)
    return await cursor.execute(query, values, prepare=True)


async def commit(
    conn, *, live_session_id: int, participant_id: int, last_seen_at: datetime, written
) -> None:
    """COMMIT with the sequence's bump (sessions.live.events.commit_and_bump_statement), and
    the participant's last activity when it is a minute old, in one round trip. Raises
    CommitUnknown (carrying ``written``) when it fails: rolled back or not, nobody can say."""
    statement = events.commit_and_bump_statement(live_session_id)
    values = None
    now = timezone.now()
    if now - last_seen_at > TOUCH_EVERY:  # the touch travels with the commit
        statement = f"{touch_statement()}; {statement}"
        values = {"now": now, "participant": participant_id}
    try:
        await conn.execute(statement, values)
    except psycopg.Error as error:
        await roll_back_quietly(conn)
        raise CommitUnknown(written) from error


async def roll_back_quietly(conn) -> None:
    if conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
        return
    with contextlib.suppress(psycopg.Error):  # the pool discards one it cannot reset
        await conn.execute("ROLLBACK")
