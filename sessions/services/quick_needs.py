"""A need posted on psycopg's async connection: the needs phase's burst, without a thread.

``post_need`` (sessions.services.contributions) through Django costs a thread crossing, the
ORM's compilation of nine queries and the participant's lookup; when a room posts together the
workers' CPU went there and a post waited seconds (docs/performance.md). This is the same write,
for the common case only, in the event loop: the three rate limits (the participant's needs
and writes by their device's hashed token, the session's needs by its id, as the ordinary
path counts them), then one transaction of three round trips: BEGIN with the participant's row
locked (found by their token and the session's code), the session as it is now and whether
the submission was posted already; the need inserted; COMMIT with the sequence's bump. Then,
as after the ordinary commit, the merge suggestions' refresh and ``need_posted``.

Everything else is not decided here: ``post_need`` returns None having written nothing, and
the caller (commonground.quick_writes) hands the request to the ordinary view, which runs
``contributions.post_need`` and answers (a replay, a removed participant, a closed or paused
phase, text the service refuses, a rate limit, a database fault). So the rules stay where
they are, and this path can only ever agree with them or step aside
(tests/test_quick_needs.py)."""

from dataclasses import dataclass
from functools import cache

import psycopg
from django.utils.translation import gettext as _
from psycopg_pool import PoolTimeout

from sessions.identity import hash_token
from sessions.live import events
from sessions.models import LiveSession, Need, Participant
from sessions.services.common import (
    NEEDS_PER_MINUTE,
    NEEDS_PER_MINUTE_PER_SESSION,
    WRITES_PER_MINUTE,
    initial_status,
)
from sessions.services.contributions import clean_need_text
from sessions.services.errors import SessionError
from sessions.services.quick_sql import (
    StepAside,
    WrittenBy,
    columns,
    insert_values,
    prepared,
    quote,
    require_phase_or_step_aside,
    write_once,
)
from sessions.services.suggestions import refresh_committed

# The ids of sessions by their codes, for the session's rate limit, which is counted before
# any row is read (holding no connection): a code's session is checked again under the lock.
_session_ids: dict[str, int] = {}
SESSION_IDS_KEPT = 1000


@cache
def _sql() -> dict:
    """The statements, made once from the models' own table and column names (never input)."""
    participant_fields, participant_columns = columns(Participant, "p")
    session_fields, session_columns = columns(LiveSession, "s")
    need = quote(Need._meta.db_table)
    session = quote(LiveSession._meta.db_table)
    inserted = [field for field in Need._meta.concrete_fields if not field.primary_key]
    names = ", ".join(quote(field.column) for field in inserted)
    values = ", ".join(f"%({field.attname})s" for field in inserted)
    # nosec B608 for each: table and column names are the models' own, quoted; values are
    # parameters.
    return {
        "participant_fields": participant_fields,
        "session_fields": session_fields,
        "inserted": inserted,
        "session_id": f"SELECT id FROM {session} WHERE code = %(code)s",  # noqa: S608  # nosec B608
        # BEGIN, their row locked (as locked_participant), the session as it is now, and
        # whether this submission was posted already (post_need's replay), in one message.
        "begin": (
            f"BEGIN; SELECT {participant_columns}, EXISTS (SELECT 1 FROM {need} n"  # noqa: S608  # nosec B608
            " WHERE n.author_id = p.id AND n.client_key = %(key)s AND %(key)s <> ''),"
            f" {session_columns} FROM {quote(Participant._meta.db_table)} p"
            f" JOIN {session} s ON s.id = p.live_session_id"
            " WHERE p.token_hash = %(hash)s AND s.code = %(code)s FOR UPDATE OF p"
        ),
        "insert": f"INSERT INTO {need} ({names}) VALUES ({values}) RETURNING id",  # noqa: S608  # nosec B608
    }


@dataclass
class QuickNeed(WrittenBy):
    """What the answer to a need posted here shows."""

    live_session: LiveSession
    participant: Participant
    need: Need


async def post_need(
    *, connection, code: str, token: str, text: str, context: str = "", client_key: str = ""
) -> QuickNeed | None:
    """A need from the participant holding ``token`` in the session at ``code``, as
    ``contributions.post_need`` posts it; or None, having written nothing, when it is not the
    plain case (see the module's docstring). ``text``, ``context`` and ``client_key`` as the
    need form gives them to the service. ``connection``: an async context manager giving a
    psycopg AsyncConnection in autocommit mode, on PostgreSQL (commonground.async_db)."""
    client_key = (client_key or "").strip()[:64]
    if not token or not client_key:
        return None  # without a key, a retry could not be told from a second need
    try:
        text, context = clean_need_text(text, context, field=_("Your need"))
    except SessionError:
        return None  # said in words by the ordinary path
    token_hash = hash_token(token)
    try:
        session_id = await _session_id(connection, code)
    except (psycopg.Error, PoolTimeout, OSError):
        return None  # the ordinary path, with its retries and its 503
    if session_id is None:
        return None
    values = {"hash": token_hash, "code": code, "key": client_key}
    return await write_once(
        connection=connection,
        # The same counters, in the same order, as contributions.post_need's.
        limits=[
            ("need", token_hash, NEEDS_PER_MINUTE),
            ("write", token_hash, WRITES_PER_MINUTE),
            ("session-needs", str(session_id), NEEDS_PER_MINUTE_PER_SESSION),
        ],
        write=lambda conn: _insert(conn, _sql(), values, session_id, text, context),
        published=_posted,
        what="need",
    )


async def _session_id(connection, code: str) -> int | None:
    if (known := _session_ids.get(code)) is not None:
        return known
    async with connection() as conn:
        row = await (await conn.execute(_sql()["session_id"], {"code": code})).fetchone()
    if row is None:
        return None
    if len(_session_ids) >= SESSION_IDS_KEPT:
        _session_ids.clear()
    _session_ids[code] = row[0]
    return row[0]


async def _insert(
    conn, sql: dict, who: dict, session_id: int, text: str, context: str
) -> QuickNeed:
    """The need's transaction: BEGIN with the lock, the session and the replay; the insert;
    COMMIT with the sequence's bump (write_once's)."""
    cursor = await conn.execute(sql["begin"], who)
    cursor.nextset()
    row = await cursor.fetchone()
    if row is None:
        raise StepAside  # erased meanwhile, or not theirs
    count = len(sql["participant_fields"])
    participant = Participant.from_db("default", sql["participant_fields"], row[:count])
    replayed, *session_values = row[count:]
    live_session = LiveSession.from_db("default", sql["session_fields"], session_values)
    if live_session.pk != session_id:
        _session_ids.pop(who["code"], None)  # a code given again, since: counted wrongly
        raise StepAside
    if participant.removed_at is not None or replayed:
        raise StepAside  # the ordinary path says so, or answers the replay
    require_phase_or_step_aside(live_session, "need")
    participant.live_session = live_session
    need = Need(
        live_session=live_session,
        author=participant,
        status=initial_status(live_session),
        text=text,
        context=context,
        client_key=who["key"],
    )
    values = insert_values(need, sql["inserted"])
    (need.pk,) = await (await prepared(conn, sql["insert"], values)).fetchone()
    need._state.adding = False
    need._state.db = "default"
    return QuickNeed(live_session=live_session, participant=participant, need=need)


async def _posted(posted: QuickNeed) -> None:
    """After the commit, as contributions.post_need's on_commit: the merge suggestions'
    refresh, then the live event."""
    await refresh_committed(posted.live_session.pk)
    await events.need_posted_committed(posted.need)
