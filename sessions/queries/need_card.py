"""A visible need's card as ``common.needs(live_session, ids=[need])`` reads it, in one round
trip on psycopg's async connection: for the answer to a quick mapping
(sessions.services.quick_mappings), which reads it in the mapping's own transaction. Through the
ORM the same read cost a thread crossing, a pooled connection and the compile of two queries:
three quarters of a quick mapping's time (docs/performance.md, issue 23).

The same rows by the same rule as ``needs`` with ``Visibility(live_session)`` (the board's): the
need's author, its dots that count (``Vote.objects``: not hidden), its visible mappings oldest
first with their strategies and their dots that count. Only for a visible need, which is all a
quick mapping maps; the author's own pending needs stay ``needs``'s.
tests/sessions/queries/test_need_card.py compares it with ``needs`` field by field."""

from functools import cache

from sessions.enums import ContributionStatus
from sessions.models import Mapping, Need, Participant, Vote
from sessions.queries.common import with_mappings
from sessions.queries.sql import columns, quote
from taxonomy.models import Strategy


@cache
def _sql() -> dict:
    """The statement, made once from the models' own table and column names (never input)."""
    author_fields, author_columns = columns(Participant, "p")
    mapping_fields, mapping_columns = columns(Mapping, "m")
    strategy_fields, strategy_columns = columns(Strategy, "t")
    vote = quote(Vote._meta.db_table)
    # As Visibility.dots_on: the dots of votes that count (CountedVotes leaves hidden ones out).
    counted = f"COALESCE((SELECT SUM(v.dots) FROM {vote} v WHERE v.{{}} AND NOT v.hidden), 0)"  # noqa: S608  # nosec B608
    # nosec B608 for each: table and column names are the models' own, quoted; values are
    # parameters.
    return {
        "author_fields": author_fields,
        "mapping_fields": mapping_fields,
        "strategy_fields": strategy_fields,
        "read": (
            f"SELECT {author_columns}, {counted.format('need_id = %(need)s')}"  # noqa: S608  # nosec B608
            f" FROM {quote(Participant._meta.db_table)} p WHERE p.id = %(author)s;"
            f" SELECT {mapping_columns}, {strategy_columns}, {counted.format('mapping_id = m.id')}"
            f" FROM {quote(Mapping._meta.db_table)} m"
            f" JOIN {quote(Strategy._meta.db_table)} t ON t.id = m.strategy_id"
            " WHERE m.need_id = %(need)s AND m.status = %(visible)s ORDER BY m.created, m.id"
        ),
    }


async def read(conn, need: Need) -> Need | None:
    """``need`` (a visible need's row) with its author, ``dot_total`` and visible mappings, as
    ``needs`` gives it; None if its author is gone (the caller's lock on the need keeps an
    erasure out, so only a caller without one). ``conn``: a psycopg AsyncConnection with
    client-side binding (commonground.async_db), in the caller's transaction or not."""
    sql = _sql()
    cursor = await conn.execute(
        sql["read"],
        {"need": need.pk, "author": need.author_id, "visible": ContributionStatus.VISIBLE},
    )
    found = await cursor.fetchone()
    if found is None:
        return None
    *author_values, need.dot_total = found
    need.author = Participant.from_db("default", sql["author_fields"], author_values)
    cursor.nextset()
    mappings = []
    strategy_start = len(sql["mapping_fields"])
    strategy_end = strategy_start + len(sql["strategy_fields"])
    for row in await cursor.fetchall():
        mapping = Mapping.from_db("default", sql["mapping_fields"], row[:strategy_start])
        mapping.strategy = Strategy.from_db(
            "default", sql["strategy_fields"], row[strategy_start:strategy_end]
        )
        mapping.dot_total = row[strategy_end]
        mapping.need = need  # as the prefetch leaves it
        mappings.append(mapping)
    return with_mappings(need, mappings)
