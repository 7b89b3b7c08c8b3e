"""An update is rendered only for the groups some screen listens to (sessions.live.groups
.listened): a room whose phones all read English renders no French, and a session nobody
watches renders nothing; anything in doubt is rendered."""

import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, channel_layers
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.conf import settings as django_settings

from sessions.live import groups, render
from sessions.live.change import Change
from tests.factories import LiveSessionFactory, NeedFactory


def use_layer(monkeypatch, layer) -> None:
    monkeypatch.setitem(channel_layers.backends, "default", layer)


def test_with_the_in_memory_layer_only_groups_with_members_are_listened(monkeypatch):
    layer = InMemoryChannelLayer()
    use_layer(monkeypatch, layer)
    names = ["live-session-1.board.en", "live-session-1.participants.en"]

    async def run():
        channel = await layer.new_channel()
        await layer.group_add(names[1], channel)
        return await groups.listened(names)

    assert async_to_sync(run)() == {names[1]}


@pytest.mark.skipif(not django_settings.REDIS_URL, reason="Redis pubsub (CI runs with REDIS_URL)")
def test_with_redis_pubsub_a_group_is_listened_while_a_worker_subscribes_to_it(monkeypatch):
    prefix = f"test-listened-{uuid.uuid4().hex[:8]}"
    names = [f"live-session-1.board.en-{prefix}", f"live-session-1.participants.fr-{prefix}"]

    async def run():
        worker = RedisPubSubChannelLayer(hosts=[django_settings.REDIS_URL], prefix=prefix)
        asker = RedisPubSubChannelLayer(hosts=[django_settings.REDIS_URL], prefix=prefix)
        use_layer(monkeypatch, asker)
        try:
            before = await groups.listened(names)
            channel = await worker.new_channel()
            await worker.group_add(names[0], channel)
            during = await groups.listened(names)
            await worker.group_discard(names[0], channel)
            after = await groups.listened(names)
        finally:
            await worker.flush()
            await asker.flush()
            await groups.aclose()
        return before, during, after

    before, during, after = async_to_sync(run)()
    assert (before, during, after) == (set(), {names[0]}, set())


def test_redis_not_answering_counts_every_group_as_listened(monkeypatch, settings):
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens on the discard port
    use_layer(monkeypatch, RedisPubSubChannelLayer(hosts=[settings.REDIS_URL]))
    names = ["live-session-1.board.en", "live-session-1.participants.en"]

    async def run():
        try:
            return await groups.listened(names)
        finally:
            await groups.aclose()

    assert async_to_sync(run)() == set(names)


@pytest.mark.django_db
def test_only_the_listened_groups_are_rendered():
    live_session = LiveSessionFactory(phase="voting")
    need = NeedFactory(live_session=live_session)
    english = groups.group_name(live_session.pk, groups.PARTICIPANTS, "en")

    messages = render.render_messages(live_session.pk, Change.of(tallies=[need.pk]), {english})
    everything = render.render_messages(live_session.pk, Change.of(tallies=[need.pk]))

    assert [group for group, _ in messages] == [english]
    assert dict(everything)[english] == dict(messages)[english]
    assert len(everything) == len(groups.AUDIENCES) * len(groups.languages())
    assert render.render_messages(live_session.pk, Change.of(tallies=[need.pk]), set()) == []
