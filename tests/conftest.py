import copy
import time
import types
from contextlib import contextmanager

import pytest
from channels.layers import channel_layers
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

from commonground.database_breaker import breaker
from sessions import ratelimit
from sessions.identity import participant_cookie_name
from sessions.live import coalescer, events, snapshots
from sessions.services import suggestions
from tests.factories import LiveSessionFactory, ParticipantFactory, StrategyFactory


@pytest.fixture(scope="session", autouse=True)
def _no_connection_outlives_the_run(django_db_setup, django_db_blocker):
    """A connection a test's thread or event loop left open (asgiref's executor threads, a
    quick-vote pool of a loop that ended: commonground.async_db) makes PostgreSQL refuse to
    drop the test database at the end, an error charged to whichever test ran last (CI, at
    random): those connections end before the database is dropped."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(autouse=True)
def _english_by_default(settings):
    """Tests read English strings unless they switch language themselves."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _channel_layer_per_test():
    """Each asyncio test has an event loop of its own, and a Redis layer's receive locks belong
    to the loop that made them (a server has one loop for its whole life): a fresh layer per
    test."""
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _no_render_costs_from_earlier_tests():
    """The coalescer is one per process: a costly render in one test must not stretch the
    window of a session in the next (session ids repeat between tests)."""
    coalescer.coalescer.forget_render_costs()


@pytest.fixture(autouse=True)
def _database_breaker_closed():
    """The connection breaker is one per process: an outage a test makes must not refuse the
    next test's connections."""
    breaker.reset()
    yield
    breaker.reset()


@pytest.fixture(autouse=True)
def _no_need_indexes_from_earlier_tests():
    """Merge suggestions' need indexes are kept per session id, with the needs' ids and
    versions: ids repeat between tests, and a frozen clock repeats versions."""
    suggestions.need_indexes.forget()


@pytest.fixture(autouse=True)
def _no_snapshots_from_earlier_tests():
    """Snapshots are kept per (session id, sequence): ids repeat between tests."""
    snapshots.forget()


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in the cache; each test starts with none.

    Only those keys go: on Redis, clear() would flush the whole database, channel-layer
    groups of a running live server (or of another test run) included. A cache failure seen by
    an earlier test (which makes the limits skip the cache for a few seconds) is forgotten."""
    ratelimit.reset_cache_state()
    _clear_rate_limits()
    yield
    _clear_rate_limits()
    ratelimit.reset_cache_state()


@pytest.fixture
def one_rate_window(settings, monkeypatch):
    """For a test that counts up to a limit and one past it. The limits' clock stays in one
    window: otherwise a test that straddles the minute counts afresh halfway. And the cache's
    Redis timeouts are generous: on a loaded machine a connect can take longer than the
    shipped quarter second, and the limits then fail open (right in a room, where losing the
    limit for a moment beats refusing people; wrong here, where it lets the count through)."""
    now = time.time()
    monkeypatch.setattr(
        ratelimit, "time", types.SimpleNamespace(time=lambda: now, monotonic=time.monotonic)
    )
    caches_setting = copy.deepcopy(settings.CACHES)
    if caches_setting["default"]["BACKEND"].endswith("RedisCache"):
        caches_setting["default"].setdefault("OPTIONS", {}).update(
            socket_connect_timeout=5, socket_timeout=5
        )
        settings.CACHES = caches_setting


def _clear_rate_limits() -> None:
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        client = backend._cache.get_client(write=True)
        keys = list(client.scan_iter(match=backend.make_key("rl:*")))
        if keys:
            client.delete(*keys)
    else:
        backend.clear()


@pytest.fixture
def live_session(db):
    session = LiveSessionFactory(code="K7HQ4P")
    StrategyFactory.create_batch(3, category__taxonomy=session.taxonomy)
    return session


@pytest.fixture
def strategies(live_session):
    return list(live_session.taxonomy.strategies.order_by("pk"))


@pytest.fixture
def participant(live_session):
    return ParticipantFactory(live_session=live_session)


def client_for(client, participant):
    client.cookies[participant_cookie_name(participant.live_session)] = participant.token
    return client


@pytest.fixture
def participant_client(client, participant):
    return client_for(client, participant)


@pytest.fixture
def facilitator(live_session):
    user = get_user_model().objects.create_user("fac", password="pw")
    live_session.facilitators.add(user)
    return user


@pytest.fixture
def facilitator_client(client, facilitator):
    client.force_login(facilitator)
    return client


@pytest.fixture
def capture_live_events(monkeypatch, django_capture_on_commit_callbacks):
    """Record the live events a block of code emits, as the screens would receive them: only
    after its transaction commits (Zulip's ``capture_send_event_calls``)::

        with capture_live_events() as captured:
            services.post_need(...)
        assert captured == [event_of("need_posted", session.pk, {"need_id": need.pk})]
    """

    @contextmanager
    def capture():
        captured: list[events.LiveEvent] = []
        monkeypatch.setattr(events, "publish", captured.append)
        with django_capture_on_commit_callbacks(execute=True):
            yield captured

    return capture
