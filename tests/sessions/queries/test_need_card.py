"""The quick mapping's read of a need's card (sessions.queries.need_card) gives what the read
layer's ``needs`` gives for that need, field by field: the author, the dots that count, the
visible mappings in order with their strategies and dots. A phone that mapped a need sees the
same card either way in (tests/test_quick_mappings.py compares the answers).

On PostgreSQL (CI sets DATABASE_URL): the read runs on psycopg's async connection."""

import pytest
from asgiref.sync import async_to_sync

from commonground import async_db
from sessions import queries
from sessions.enums import ContributionStatus, Phase, Presence
from sessions.models import Need
from sessions.queries import need_card
from tests.asgi_requests import ON_POSTGRESQL
from tests.factories import (
    LiveSessionFactory,
    MappingFactory,
    NeedFactory,
    ParticipantFactory,
    VoteFactory,
)

pytestmark = ON_POSTGRESQL


def quick_read(need_id: int) -> Need:
    async def run():
        try:
            async with async_db.connection() as conn:
                return await need_card.read(conn, await Need.objects.aget(pk=need_id))
        finally:
            await async_db.close_all()

    return async_to_sync(run)()


def fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.fields}


def card(need: Need) -> dict:
    """What a card can read of a need, as plain values."""
    return {
        "need": fields(need),
        "author": fields(need.author),
        "dots": need.dot_total,
        "mappings": [
            (fields(mapping), fields(mapping.strategy), mapping.dot_total, mapping.need_id)
            for mapping in need.mappings.all()
        ],
    }


@pytest.fixture
def busy_need():
    """A visible, edited need by a remote author, with dots that count and dots of a removed
    participant (hidden), and mappings of every status, with their own dots."""
    live_session = LiveSessionFactory(phase=Phase.MAPPING)
    author = ParticipantFactory(live_session=live_session, presence=Presence.REMOTE)
    need = NeedFactory(author=author, context="on the platform we share", edited=True)
    others = ParticipantFactory.create_batch(4, live_session=live_session)
    visible = MappingFactory(need=need, author=others[0], reason="they organise already")
    MappingFactory(need=need, author=others[1], status=ContributionStatus.PENDING)
    MappingFactory(need=need, author=others[1], status=ContributionStatus.HIDDEN)
    MappingFactory(need=need, author=others[2], status=ContributionStatus.MERGED)
    own = MappingFactory(need=need, author=author)
    MappingFactory(need=NeedFactory(author=others[3]))  # another need's
    VoteFactory(participant=others[0], need=need, dots=2)
    VoteFactory(participant=others[1], need=need, dots=1)
    VoteFactory(participant=others[2], need=need, dots=3, hidden=True)
    VoteFactory(participant=others[0], mapping=visible, dots=1)
    VoteFactory(participant=others[3], mapping=visible, dots=2)
    VoteFactory(participant=others[2], mapping=visible, dots=4, hidden=True)
    VoteFactory(participant=others[3], mapping=own, dots=1, hidden=True)
    return need, visible, own


def test_it_reads_what_the_read_layer_reads(busy_need):
    need, visible, own = busy_need

    (read,) = queries.needs(need.live_session, ids=[need.pk])
    quick = quick_read(need.pk)

    assert card(quick) == card(read)
    assert quick.dot_total == 3, "a removed participant's dots do not count"
    assert [m.pk for m in quick.mappings.all()] == [visible.pk, own.pk], "visible ones, in order"
    assert [m.dot_total for m in quick.mappings.all()] == [3, 0]
    assert quick.author.presence == Presence.REMOTE


def test_a_need_with_nothing_on_it_reads_alike():
    need = NeedFactory(author__live_session__phase=Phase.MAPPING)

    (read,) = queries.needs(need.live_session, ids=[need.pk])
    quick = quick_read(need.pk)

    assert card(quick) == card(read)
    assert quick.dot_total == 0 and list(quick.mappings.all()) == []
