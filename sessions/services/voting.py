"""Dot voting: each participant places up to the session's budget of dots, at most the cap on
one need or one mapping, and can take any back while voting is open."""

from django.db import connection, transaction
from django.utils.translation import gettext as _

from sessions.enums import ContributionStatus
from sessions.live import events
from sessions.models import ClientWrite, LiveSession, Mapping, Need, Participant, Vote
from sessions.queries.common import PersonalDots, dots_by_item
from sessions.services.common import (
    PER_PARTICIPANT,
    WRITES_PER_MINUTE,
    locked_participant,
    merged_away,
    rate_limited,
    require_phase,
    retry_on_lock_conflict,
    share_mapping,
    share_need,
)
from sessions.services.errors import BudgetExhausted, CapReached, InvalidInput
from sessions.services.replays import clean_key, remember, replayed


def _vote_target(live_session: LiveSession, need: Need | None, mapping: Mapping | None) -> dict:
    """The need or mapping voted on, read again once its need is locked FOR SHARE: a merge of
    that need waits for this vote, or this vote for the merge, which it then sees (refused in
    words: the dot goes where the need went). Raises InvalidInput, Conflict."""
    if (need is None) == (mapping is None):
        raise InvalidInput(_("Vote for one need or one mapping."))
    item = share_need(need.pk) if need is not None else share_mapping(mapping.pk)
    if item is None or item.live_session_id != live_session.pk:
        raise InvalidInput(_("That item is not available."))
    if item.status == ContributionStatus.MERGED:
        raise merged_away(item if need is not None else item.need)
    if item.status != ContributionStatus.VISIBLE:
        raise InvalidInput(_("That item is not available."))
    return {"need": item} if need is not None else {"mapping": item}


def _dots_changed(live_session: LiveSession, need: Need | None, mapping: Mapping | None) -> None:
    if mapping is not None:
        events.dots_changed(live_session.pk, need_id=mapping.need_id, mapping_id=mapping.pk)
    else:
        events.dots_changed(live_session.pk, need_id=need.pk)


def _is_vote_on(vote: Vote, need: Need | None, mapping: Mapping | None) -> bool:
    if need is not None:
        return vote.need_id == need.pk
    return vote.mapping_id == mapping.pk


def _held(votes: list[Vote]) -> PersonalDots:
    """The participant's dots after the change, handed back so that the answer to their vote
    need not read them again."""
    return dots_by_item((vote.need_id, vote.mapping_id, vote.dots) for vote in votes)


@rate_limited(("write", PER_PARTICIPANT, WRITES_PER_MINUTE))
@retry_on_lock_conflict
@transaction.atomic
def add_dot(
    *,
    participant: Participant,
    need: Need | None = None,
    mapping: Mapping | None = None,
    client_key: str = "",
) -> PersonalDots:
    """Place one more dot on a need or a mapping; return the participant's dots after it.

    The participant row is locked first, so the budget holds even against concurrent requests
    from the same person on several devices. Refuses with BudgetExhausted past the budget,
    CapReached past the per-item cap, PhaseClosed, InvalidInput, Conflict (the need was merged
    a moment ago) or TooFast. Emits ``dots_changed``. A dot is not idempotent by nature (two
    taps are two dots), so each tap has its key: the same ``client_key`` again places nothing,
    emits nothing, and returns the participant's dots as they are.

    After the two locks (the participant's row, the item FOR SHARE), PostgreSQL checks the
    budget and the cap, places the dot and keeps the key in one statement
    (``_place_in_one_statement``); SQLite runs the same steps through the ORM (``_place``)."""
    participant, live_session = locked_participant(participant)
    client_key = clean_key(client_key)
    if replayed(participant, client_key):
        return _held(list(Vote.objects.filter(participant=participant)))
    require_phase(live_session, "vote")
    target = _vote_target(live_session, need, mapping)
    need, mapping = target.get("need"), target.get("mapping")
    place = _place_in_one_statement if connection.vendor == "postgresql" else _place
    outcome, rows = place(live_session, participant, target, client_key)
    if outcome == "budget":
        raise BudgetExhausted(
            _("You have used all %(budget)d of your dots. Take one back to move it.")
            % {"budget": live_session.dot_budget}
        )
    if outcome == "cap":
        raise CapReached(
            _("At most %(cap)d dots can go on one item.") % {"cap": live_session.dot_cap}
        )
    _dots_changed(live_session, need, mapping)
    return dots_by_item(rows)


Rows = list[tuple[int | None, int | None, int]]  # (need id, mapping id, dots) per vote


def _place(
    live_session: LiveSession, participant: Participant, target: dict, client_key: str
) -> tuple[str, Rows]:
    """Check the budget and the cap, place the dot and remember the key (SQLite, and the
    reference for the statement below): ("ok", the participant's votes after it), or
    ("budget" | "cap", their votes as they are)."""
    # All of the participant's votes in one query: the budget is their sum, and the one on
    # this item (if any) is among them.
    kind, item = next(iter(target.items()))
    votes = list(Vote.objects.filter(participant=participant))
    rows = [(v.need_id, v.mapping_id, v.dots) for v in votes]
    if sum(v.dots for v in votes) >= live_session.dot_budget:
        return "budget", rows
    vote = next((v for v in votes if getattr(v, f"{kind}_id") == item.pk), None)
    if vote is None:
        vote = Vote.objects.create(
            live_session=live_session, participant=participant, dots=1, **target
        )
        votes.append(vote)
    elif vote.dots >= live_session.dot_cap:
        return "cap", rows
    else:
        vote.dots += 1
        vote.save(update_fields=["dots"])
    remember(participant, client_key, "add_dot")
    return "ok", [(v.need_id, v.mapping_id, v.dots) for v in votes]


# PostgreSQL: what _place does, as one statement (one round trip, no ORM), run once the
# participant's row is locked and the item is locked FOR SHARE, each by a statement of its
# own before it (so that it reads the votes as they are once both locks are held). Its
# sub-statements all see the votes as they were before it; the verdict is made from them, and
# the insert and the remembered key happen only when it is "ok". A vote row on the item
# already there is found by its unique constraint (one_vote_row_per_need / _mapping).
_PLACE_SQL = """
WITH mine AS (
    SELECT need_id, mapping_id, dots FROM {vote}
    WHERE participant_id = %(participant)s AND NOT hidden
), verdict AS (
    SELECT CASE
        WHEN (SELECT coalesce(sum(dots), 0) FROM mine) >= %(budget)s THEN 'budget'
        WHEN (SELECT coalesce(max(dots), 0) FROM mine WHERE {column} = %(item)s) >= %(cap)s
            THEN 'cap'
        ELSE 'ok'
    END AS outcome
), placed AS (
    INSERT INTO {vote} (live_session_id, participant_id, {column}, dots, hidden)
    SELECT %(session)s, %(participant)s, %(item)s, 1, false FROM verdict WHERE outcome = 'ok'
    ON CONFLICT (participant_id, {column}) DO UPDATE SET dots = {vote}.dots + 1
    RETURNING dots
), remembered AS (
    -- ::text: the key is compared below and stored here; bound on the server (the quick
    -- path prepares this statement), PostgreSQL must deduce one type for it.
    INSERT INTO {client_write} (participant_id, key, kind, result, created)
    SELECT %(participant)s, %(key)s::text, 'add_dot', '{{}}'::jsonb, now() FROM verdict
    WHERE outcome = 'ok' AND %(key)s <> ''
)
SELECT outcome, (SELECT dots FROM placed),
    (SELECT coalesce(json_agg(json_build_array(need_id, mapping_id, dots)), '[]') FROM mine)
FROM verdict
"""


def _place_in_one_statement(
    live_session: LiveSession, participant: Participant, target: dict, client_key: str
) -> tuple[str, Rows]:
    (kind, item) = next(iter(target.items()))
    quote = connection.ops.quote_name
    sql = _PLACE_SQL.format(
        vote=quote(Vote._meta.db_table),
        client_write=quote(ClientWrite._meta.db_table),
        column=quote(f"{kind}_id"),  # "need_id" or "mapping_id": one of two, never input
    )
    values = {
        "participant": participant.pk,
        "session": live_session.pk,
        "item": item.pk,
        "budget": live_session.dot_budget,
        "cap": live_session.dot_cap,
        "key": client_key,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        outcome, placed, mine = cursor.fetchone()
    rows = [(need_id, mapping_id, dots) for need_id, mapping_id, dots in mine]
    if outcome != "ok":
        return outcome, rows
    index = 0 if kind == "need" else 1
    rows = [row for row in rows if row[index] != item.pk]
    rows.append((item.pk, None, placed) if kind == "need" else (None, item.pk, placed))
    return outcome, rows


@retry_on_lock_conflict
@transaction.atomic
def remove_dot(
    *,
    participant: Participant,
    need: Need | None = None,
    mapping: Mapping | None = None,
    client_key: str = "",
) -> PersonalDots:
    """Take one dot back from a need or mapping; return the participant's dots after it.
    Allowed in any phase that allows voting; taking back nothing is a no-op (no event), not an
    error. Emits ``dots_changed``. The same ``client_key`` again takes nothing back and emits
    nothing: one tap is one dot back, however often it is sent."""
    participant, live_session = locked_participant(participant)
    client_key = clean_key(client_key)
    if replayed(participant, client_key):
        return _held(list(Vote.objects.filter(participant=participant)))
    require_phase(live_session, "vote")
    target = _vote_target(live_session, need, mapping)
    need, mapping = target.get("need"), target.get("mapping")
    votes = list(Vote.objects.filter(participant=participant))
    vote = next((v for v in votes if _is_vote_on(v, need, mapping)), None)
    if vote is None:
        return _held(votes)
    if vote.dots > 1:
        vote.dots -= 1
        vote.save(update_fields=["dots"])
    else:
        vote.delete()
        votes.remove(vote)
    remember(participant, client_key, "remove_dot")
    _dots_changed(live_session, need, mapping)
    return _held(votes)
