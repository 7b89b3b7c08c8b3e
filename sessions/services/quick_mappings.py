"""A need mapped onto strategies on psycopg's async connection: the mapping phase's burst,
without a thread for the write.

``map_need`` (sessions.services.contributions) through Django costs a thread crossing, the
ORM's compilation of a dozen queries and the participant's lookup (docs/performance.md). This
is the same write, for the common case only, in the event loop: the rate limit (by the device's
hashed token, as the ordinary path counts it), then one transaction of three round trips:
BEGIN with the participant's row locked (found by their token and the session's code), the
key's replay, the session as it is now, the need locked FOR SHARE (as ``share_need``), the
strategies sent and the pairs already mapped; the new pairs inserted (a pair someone maps at
the same moment is kept as theirs, as the service's savepoint keeps it) with the key kept
(``replays.remember``) in one statement; COMMIT with the sequence's bump. Then
``need_mapped``, as after the ordinary commit.

Everything else is not decided here: ``map_need`` returns None having written nothing, and the
caller (commonground.quick_writes) hands the request to the ordinary view, which runs
``contributions.map_need`` and answers (a replay, a removed participant, a closed or paused
phase, a merged or hidden need, a strategy of another taxonomy, a reason the service refuses,
a rate limit, a database fault). So the rules stay where they are, and this path can only
ever agree with them or step aside (tests/test_quick_mappings.py)."""

import copy
from dataclasses import dataclass
from functools import cache

from django.utils import timezone
from django.utils.translation import gettext as _

from sessions.enums import ContributionStatus
from sessions.identity import hash_token
from sessions.live import events
from sessions.models import REASON_MAX_LENGTH, ClientWrite, LiveSession, Mapping, Need, Participant
from sessions.queries import need_card
from sessions.services.common import WRITES_PER_MINUTE, clean_text, initial_status
from sessions.services.errors import SessionError
from sessions.services.quick_sql import (
    StepAside,
    WrittenBy,
    columns,
    insert_values,
    locked_with_replay,
    prepared,
    quote,
    require_phase_or_step_aside,
    write_once,
)
from sessions.services.replays import clean_key
from taxonomy.models import Strategy

# A phone maps a need onto a few strategies at a time; more is not the plain case.
MOST_STRATEGIES = 20


@cache
def _sql() -> dict:
    """The statements, made once from the models' own table and column names (never input)."""
    session_fields, _ = columns(LiveSession, "s")
    need_fields, need_columns = columns(Need, "n")
    strategy_fields, strategy_columns = columns(Strategy, "t")
    need = quote(Need._meta.db_table)
    mapping = quote(Mapping._meta.db_table)
    # Each new pair's row: the strategy from the list, every other column a parameter named
    # after its field.
    inserted = [field for field in Mapping._meta.concrete_fields if not field.primary_key]
    mapping_values = ", ".join(
        "chosen.id" if field.attname == "strategy_id" else f"%({field.attname})s"
        for field in inserted
    )
    # The key kept as replays.remember keeps it, with the ids of the mappings made.
    kept_values = {
        "participant_id": "%(participant)s",
        "key": "%(key)s",
        "kind": "'map_need'",
        "result": "jsonb_build_object('mappings', COALESCE(jsonb_agg(id ORDER BY id), '[]'))",
        "created": "%(kept_at)s",
    }
    kept = [field for field in ClientWrite._meta.concrete_fields if not field.primary_key]
    assert {field.attname for field in kept} == set(kept_values), "ClientWrite changed"  # noqa: S101  # nosec B101
    # nosec B608 for each: table and column names are the models' own, quoted; values are
    # parameters.
    return {
        "session_fields": session_fields,
        "need_fields": need_fields,
        "strategy_fields": strategy_fields,
        "inserted": inserted,
        # BEGIN, their row locked, the key's replay and the session; the need locked FOR SHARE
        # (in this order, as share_need after locked_participant); the strategies sent; the
        # pairs already mapped: one message.
        "begin": (
            f"BEGIN; {locked_with_replay()};"
            f" SELECT {need_columns} FROM {need} n WHERE n.id = %(need)s FOR SHARE;"  # noqa: S608  # nosec B608
            f" SELECT {strategy_columns} FROM {quote(Strategy._meta.db_table)} t"
            " WHERE t.id = ANY(%(strategies)s);"
            f" SELECT strategy_id FROM {mapping}"
            " WHERE need_id = %(need)s AND strategy_id = ANY(%(strategies)s)"
        ),
        "insert": (
            f"WITH made AS (INSERT INTO {mapping}"  # noqa: S608  # nosec B608
            f" ({', '.join(quote(field.column) for field in inserted)})"
            f" SELECT {mapping_values} FROM unnest(%(new)s::bigint[]) AS chosen(id)"
            " ON CONFLICT DO NOTHING RETURNING id, strategy_id),"
            f" kept AS (INSERT INTO {quote(ClientWrite._meta.db_table)}"
            f" ({', '.join(quote(field.column) for field in kept)})"
            f" SELECT {', '.join(kept_values[field.attname] for field in kept)} FROM made)"
            " SELECT id, strategy_id FROM made ORDER BY id"
        ),
    }


@dataclass
class QuickMapping(WrittenBy):
    """What the answer to a mapping made here shows."""

    participant: Participant  # with its session
    need: Need  # as its card shows it (sessions.queries.need_card)
    created: list[Mapping]  # with their strategies


async def map_need(
    *,
    connection,
    code: str,
    token: str,
    need_id: int,
    strategy_ids: list[int],
    reason: str = "",
    client_key: str = "",
) -> QuickMapping | None:
    """The need ``need_id`` mapped by the participant holding ``token`` in the session at
    ``code`` onto the strategies ``strategy_ids``, as ``contributions.map_need`` maps it; or
    None, having written nothing, when it is not the plain case (see the module's docstring).
    ``connection``: an async context manager giving a psycopg AsyncConnection in autocommit
    mode, on PostgreSQL (commonground.async_db)."""
    client_key = clean_key(client_key)
    strategy_ids = sorted(set(strategy_ids))
    if not token or not client_key or not strategy_ids or len(strategy_ids) > MOST_STRATEGIES:
        return None  # without a key, a retry could not be told from a second mapping
    try:
        reason = clean_text(reason, field=_("Reason"), max_length=REASON_MAX_LENGTH, required=False)
    except SessionError:
        return None  # said in words by the ordinary path
    token_hash = hash_token(token)
    values = {
        "hash": token_hash,
        "code": code,
        "key": client_key,
        "need": need_id,
        "strategies": strategy_ids,
        "reason": reason,
    }
    return await write_once(
        connection=connection,
        limits=[("write", token_hash, WRITES_PER_MINUTE)],
        write=lambda conn: _insert(conn, _sql(), values),
        published=_mapped,
        what="mapping",
    )


async def _insert(conn, sql: dict, values: dict) -> QuickMapping:
    """The mapping's transaction: BEGIN with the lock, the replay, the session, the need, the
    strategies and the pairs mapped; the new pairs with the key; COMMIT with the sequence's
    bump (write_once's)."""
    cursor = await conn.execute(sql["begin"], values)
    cursor.nextset()
    row = await cursor.fetchone()
    if row is None:
        raise StepAside  # erased meanwhile, or not theirs
    participant_id, removed_at, last_seen_at, replayed, *session_values = row
    if removed_at is not None or replayed:
        raise StepAside  # the ordinary path says so, or answers the replay
    live_session = LiveSession.from_db("default", sql["session_fields"], session_values)
    require_phase_or_step_aside(live_session, "mapping")
    cursor.nextset()
    shared = await cursor.fetchone()
    need = Need.from_db("default", sql["need_fields"], shared) if shared else None
    if (
        need is None
        or need.live_session_id != live_session.pk
        or need.status != ContributionStatus.VISIBLE
    ):
        raise StepAside  # gone, merged, hidden: said in words by the ordinary path
    cursor.nextset()
    strategies = {
        strategy.pk: strategy
        for strategy in (
            Strategy.from_db("default", sql["strategy_fields"], found)
            for found in await cursor.fetchall()
        )
    }
    if sorted(strategies) != values["strategies"] or any(
        strategy.taxonomy_id != live_session.taxonomy_id for strategy in strategies.values()
    ):
        raise StepAside  # a strategy gone or of another taxonomy: refused in words there
    cursor.nextset()
    existing = {strategy_id for (strategy_id,) in await cursor.fetchall()}
    participant = Participant(pk=participant_id, live_session=live_session)
    participant.last_seen_at = last_seen_at
    template = Mapping(
        live_session=live_session,
        author=participant,
        status=initial_status(live_session),
        need=need,
        reason=values["reason"],
    )
    row_values = insert_values(
        template, [field for field in sql["inserted"] if field.attname != "strategy_id"]
    )
    new = [pk for pk in values["strategies"] if pk not in existing]
    inserted = await prepared(
        conn,
        sql["insert"],
        {
            **row_values,
            "new": new,
            "participant": participant_id,
            "key": values["key"],
            "kept_at": timezone.now(),
        },
    )
    created = []
    for pk, strategy_id in await inserted.fetchall():
        mapping = copy.copy(template)
        mapping.pk, mapping.strategy = pk, strategies[strategy_id]
        mapping._state.adding, mapping._state.db = False, "default"
        created.append(mapping)
    card = await need_card.read(conn, need)  # before COMMIT: as the write left it
    if card is None:
        raise StepAside  # nothing is committed: the ordinary path maps and answers
    return QuickMapping(participant=participant, need=card, created=created)


async def _mapped(mapped: QuickMapping) -> None:
    """After the commit, as contributions.map_need's on_commit: ``need_mapped`` when it made
    any."""
    if mapped.created:
        await events.need_mapped_committed(mapped.need, mapped.created)
