"""A dot added on psycopg's async connection: the plenary's hot write, without a thread.

``add_dot`` (sessions.services.voting) through Django costs a thread crossing, the ORM and
about ten round trips; at a plenary's 167 taps a second it was the workers' whole CPU and phones
waited seconds per tap (docs/performance.md). This is the same write, for the common case only,
in the event loop: the rate limit (by the device's hashed token, as the ordinary path counts
it), then one transaction of three messages: BEGIN, the participant's row locked (found by
their token and the session's code) with the key's replay and the session, and a need locked
FOR SHARE (as ``share_need``; a mapping as ``share_mapping``); then ``voting._PLACE_SQL``, the
very statement ``add_dot`` runs on PostgreSQL, which checks the budget and the cap, places the
dot and keeps the key; then COMMIT with the sequence's bump. ``dots_changed`` is published as
every service's events are.

Everything else is not decided here: ``add_dot`` returns None having written nothing, and the
caller (commonground.quick_writes) hands the request to the ordinary view, which runs
``voting.add_dot`` and answers (a refusal in words, a replay, a removed participant, a merged
need, a full budget or cap, a lock conflict, a database fault). So the rules stay where they
are, and this path can only ever agree with them or step aside (tests/test_quick_votes.py)."""

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sessions.enums import ContributionStatus
from sessions.identity import hash_token
from sessions.live import events
from sessions.models import ClientWrite, LiveSession, Mapping, Need, Vote
from sessions.queries.common import PersonalDots, dots_by_item
from sessions.services.common import WRITES_PER_MINUTE
from sessions.services.quick_sql import (
    StepAside,
    columns,
    locked_with_replay,
    prepared,
    quote,
    require_phase_or_step_aside,
    write_once,
)
from sessions.services.replays import clean_key
from sessions.services.voting import _PLACE_SQL
from taxonomy.models import Strategy


@cache
def _sql() -> dict:
    """The statements, made once from the models' own table and column names (never input)."""
    session_fields, _ = columns(LiveSession, "s")
    need_fields, need_columns = columns(Need, "n")
    mapping_fields, mapping_columns = columns(Mapping, "m")
    strategy_fields, strategy_columns = columns(Strategy, "t")
    tables = {
        "need": quote(Need._meta.db_table),
        "mapping": quote(Mapping._meta.db_table),
        "strategy": quote(Strategy._meta.db_table),
        "client_write": quote(ClientWrite._meta.db_table),
        "vote": quote(Vote._meta.db_table),
    }
    place = {
        kind: _PLACE_SQL.format(
            vote=tables["vote"], client_write=tables["client_write"], column=quote(f"{kind}_id")
        )
        for kind in ("need", "mapping")
    }
    lock = locked_with_replay()
    share_need = (
        f"SELECT {need_columns} FROM {tables['need']} n"  # noqa: S608  # nosec B608
        " WHERE n.id = %(item)s FOR SHARE"
    )
    # nosec B608 for each: table and column names are the models' own, quoted; values are
    # parameters.
    return {
        "session_fields": session_fields,
        "need_fields": need_fields,
        "mapping_fields": mapping_fields,
        "strategy_fields": strategy_fields,
        # BEGIN, the lock, and for a need the need FOR SHARE as share_need: one message.
        "begin_need": f"BEGIN; {lock}; {share_need}",
        "begin_mapping": f"BEGIN; {lock}",
        # As share_mapping: the mapping, its need locked FOR SHARE, the mapping again (a merge
        # may have moved it meanwhile), with its strategy for the answer's label.
        "mapping_need": (
            f"SELECT need_id FROM {tables['mapping']} WHERE id = %(item)s"  # noqa: S608  # nosec B608
        ),
        "lock_need": (
            f"SELECT 1 FROM {tables['need']} WHERE id = %(need)s FOR SHARE"  # noqa: S608  # nosec B608
        ),
        "mapping": (
            f"SELECT {mapping_columns}, {strategy_columns} FROM {tables['mapping']} m"  # noqa: S608  # nosec B608
            f" JOIN {tables['strategy']} t ON t.id = m.strategy_id WHERE m.id = %(item)s"
        ),
        **{f"place_{kind}": sql for kind, sql in place.items()},
    }


@dataclass
class QuickVote:
    """What the answer to a dot placed here shows."""

    live_session: LiveSession
    kind: str  # "need" or "mapping"
    item: Need | Mapping
    mine: PersonalDots
    participant_id: int
    last_seen_at: datetime  # the participant's, as read under their lock

    @property
    def live_session_id(self) -> int:
        return self.live_session.pk


async def add_dot(
    *, connection, code: str, token: str, kind: str, item_id: int, client_key: str = ""
) -> QuickVote | None:
    """One more dot from the participant holding ``token`` in the session at ``code``, on a
    need or a mapping (``kind``), as ``voting.add_dot`` places it; or None, having written
    nothing, when it is not the plain case (see the module's docstring). ``connection``: an
    async context manager giving a psycopg AsyncConnection in autocommit mode, on PostgreSQL
    (commonground.async_db.connection)."""
    if not token or kind not in ("need", "mapping"):
        return None
    token_hash = hash_token(token)
    values = {"hash": token_hash, "code": code, "key": clean_key(client_key), "item": item_id}
    return await write_once(
        connection=connection,
        limits=[("write", token_hash, WRITES_PER_MINUTE)],
        write=lambda conn: _place(conn, _sql(), kind, values),
        published=_dots_changed,
        what="vote",
    )


async def _dots_changed(vote: QuickVote) -> None:
    item = vote.item
    await events.dots_changed_committed(
        vote.live_session.pk,
        need_id=item.pk if vote.kind == "need" else item.need_id,
        mapping_id=None if vote.kind == "need" else item.pk,
    )


async def _place(conn, sql: dict, kind: str, values: dict) -> QuickVote:
    """The vote's transaction in three round trips (the vote's only ones with the database):
    BEGIN with the locks, the placing, then COMMIT with the sequence's bump (write_once's).
    With the lookup of who is asking it was seven round trips a vote."""
    values = dict(values)
    key, item_id = values["key"], values["item"]
    # One message: BEGIN, the participant's lock, and for a need the need's (in this order,
    # as share_need after locked_participant).
    cursor = await conn.execute(sql[f"begin_{kind}"], values)
    cursor.nextset()
    row = await cursor.fetchone()
    if row is None:
        raise StepAside  # erased meanwhile
    participant_id, removed_at, last_seen_at, replayed, *session_values = row
    values["participant"] = participant_id
    if removed_at is not None or (key and replayed):
        raise StepAside  # the ordinary path says so, or answers the replay
    live_session = LiveSession.from_db("default", sql["session_fields"], session_values)
    require_phase_or_step_aside(live_session, "vote")
    if kind == "need":
        cursor.nextset()
        shared = await cursor.fetchone()
        item = Need.from_db("default", sql["need_fields"], shared) if shared else None
    else:
        item = await _share_mapping(conn, sql, item_id)
    if (
        item is None
        or item.live_session_id != live_session.pk
        or item.status != ContributionStatus.VISIBLE
    ):
        raise StepAside  # gone, merged, hidden: said in words by the ordinary path
    values.update(session=live_session.pk, budget=live_session.dot_budget)
    values["cap"] = live_session.dot_cap
    outcome, placed, mine = await (await prepared(conn, sql[f"place_{kind}"], values)).fetchone()
    if outcome != "ok":
        raise StepAside  # the budget or the cap: refused in words there
    rows = [(need_id, mapping_id, dots) for need_id, mapping_id, dots in mine]
    index = 0 if kind == "need" else 1
    rows = [row for row in rows if row[index] != item.pk]
    rows.append((item.pk, None, placed) if kind == "need" else (None, item.pk, placed))
    return QuickVote(
        live_session=live_session,
        kind=kind,
        item=item,
        mine=dots_by_item(rows),
        participant_id=participant_id,
        last_seen_at=last_seen_at,
    )


async def _share_mapping(conn, sql: dict, item_id: int) -> Mapping | None:
    """As share_mapping: the mapping's need locked FOR SHARE, then the mapping read again (a
    merge may have moved it meanwhile), with its strategy for the answer's label."""
    values = {"item": item_id}
    for _attempt in range(3):
        found = await (await conn.execute(sql["mapping_need"], values)).fetchone()
        if found is None:
            return None
        await conn.execute(sql["lock_need"], {"need": found[0]})
        row = await (await conn.execute(sql["mapping"], values)).fetchone()
        if row is None:
            return None
        count = len(sql["mapping_fields"])
        mapping = Mapping.from_db("default", sql["mapping_fields"], row[:count])
        if mapping.need_id == found[0]:
            mapping.strategy = Strategy.from_db("default", sql["strategy_fields"], row[count:])
            return mapping
    return None  # moved three times while we looked: let the ordinary path take it
