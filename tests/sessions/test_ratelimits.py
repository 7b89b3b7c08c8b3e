"""Joining, posting and voting are rate limited by participant or browser, never by IP address;
a 429 says when to come back; an unreachable cache lets people act (fail open) and says so in
the log."""

import io
import logging
import socket
import time

import pytest
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from sessions import ratelimit, services
from sessions.enums import Phase
from sessions.models import LiveSession, Need, Participant, Vote
from tests.factories import NeedFactory, ParticipantFactory

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
IP = "203.0.113.77"  # TEST-NET-3: must never be stored or logged


def assert_readable_429(response) -> None:
    assert response.status_code == 429
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert "going a little fast" in response.text
    assert "seconds and try again" in response.text


def test_voting_is_limited_to_writes_per_minute(participant_client, live_session, one_rate_window):
    LiveSession.objects.filter(pk=live_session.pk).update(
        phase=Phase.VOTING, dot_budget=services.WRITES_PER_MINUTE + 10, dot_cap=50
    )
    needs = NeedFactory.create_batch(2, live_session=live_session)
    url = reverse("sessions:vote", args=[live_session.code])

    for n in range(services.WRITES_PER_MINUTE):
        data = {"kind": "need", "item": needs[n % 2].pk, "action": "add"}
        assert participant_client.post(url, data, headers=HTMX).status_code == 200, n
    refused = participant_client.post(
        url, {"kind": "need", "item": needs[0].pk, "action": "add"}, headers=HTMX
    )

    assert_readable_429(refused)
    assert sum(Vote.objects.values_list("dots", flat=True)) == services.WRITES_PER_MINUTE


def test_posting_too_fast_answers_429_with_retry_after(
    participant_client, live_session, one_rate_window
):
    url = reverse("sessions:post_need", args=[live_session.code])
    for n in range(services.NEEDS_PER_MINUTE):
        response = participant_client.post(url, {"text": f"Need {n}"}, headers=HTMX)
        assert response.status_code == 200

    htmx = participant_client.post(url, {"text": "One more"}, headers=HTMX)
    plain = participant_client.post(url, {"text": "One more"})

    assert_readable_429(htmx)
    assert_readable_429(plain)
    assert "One more" in plain.text  # nothing typed is lost
    assert Need.objects.count() == services.NEEDS_PER_MINUTE


def test_a_session_bounds_its_needs_per_minute_across_participants(live_session, one_rate_window):
    # A crowd of scripted participants cannot flood the board, though each stays within their
    # own limit.
    LiveSession.objects.filter(pk=live_session.pk).update(phase=Phase.NEEDS)
    each = services.NEEDS_PER_MINUTE
    people = ParticipantFactory.create_batch(
        services.NEEDS_PER_MINUTE_PER_SESSION // each + 1, live_session=live_session
    )

    for person in people[:-1]:
        for n in range(each):
            services.post_need(participant=person, text=f"Need {n}")
    with pytest.raises(services.TooFast, match="going a little fast"):
        services.post_need(participant=people[-1], text="One too many for the room")

    assert Need.objects.count() == services.NEEDS_PER_MINUTE_PER_SESSION


def test_joining_too_fast_from_one_browser_answers_429(client, live_session, one_rate_window):
    url = reverse("sessions:join", args=[live_session.code])
    for _ in range(services.JOINS_PER_MINUTE_PER_BROWSER):
        assert client.post(url, {"presence": "room", "agree": "on"}).status_code == 302
        # A new participant each time: forget the device cookie, keep the browser session.
        for name in [n for n in client.cookies if n.startswith("cg_p_")]:
            del client.cookies[name]

    response = client.post(url, {"presence": "room", "agree": "on"})

    assert_readable_429(response)
    assert Participant.objects.count() == services.JOINS_PER_MINUTE_PER_BROWSER


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def unreachable_cache():
    location = f"redis://127.0.0.1:{_closed_port()}/0"
    with override_settings(
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": location,
            }
        }
    ):
        yield
    cache.close()


def test_rate_limits_fail_open_with_a_warning_when_the_cache_is_down(
    participant_client, live_session, unreachable_cache, caplog
):
    url = reverse("sessions:post_need", args=[live_session.code])

    with caplog.at_level(logging.WARNING, logger="sessions.ratelimit"):
        responses = [
            participant_client.post(url, {"text": f"Need {n}"}, headers=HTMX)
            for n in range(services.NEEDS_PER_MINUTE + 1)
        ]

    assert [r.status_code for r in responses] == [200] * (services.NEEDS_PER_MINUTE + 1)
    assert Need.objects.count() == services.NEEDS_PER_MINUTE + 1
    assert any("cache is unavailable" in r.getMessage() for r in caplog.records)


def test_no_ip_address_is_stored_or_logged(client, live_session, caplog):
    caplog.set_level(logging.DEBUG)
    environ = {"REMOTE_ADDR": IP, "HTTP_X_FORWARDED_FOR": IP}
    client.post(
        reverse("sessions:join", args=[live_session.code]),
        {"presence": "room", "agree": "on"},
        **environ,
    )
    client.get(reverse("sessions:participant", args=[live_session.code]), **environ)
    client.post(
        reverse("sessions:post_need", args=[live_session.code]), {"text": "Hello"}, **environ
    )
    client.post(reverse("sessions:post_need", args=[live_session.code]), {"text": ""}, **environ)

    assert Need.objects.count() == 1
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    assert IP not in dump.getvalue()
    assert all(IP not in record.getMessage() for record in caplog.records)
    backend = caches["default"]
    if isinstance(backend, LocMemCache):  # the in-process cache: its keys are visible
        assert all(IP not in key for key in backend._cache)


@pytest.mark.django_db(transaction=True)
def test_limits_are_counted_before_any_transaction_or_row_lock(monkeypatch):
    # A slow or hung cache must not hold a participant's row (or the session's) locked while it
    # answers: every limit is counted before the service's transaction begins.
    from django.db import connection

    from tests.factories import MappingFactory, StrategyFactory

    seen = []

    def recording_hit(scope, key, **limit):
        seen.append((scope, connection.in_atomic_block))

    monkeypatch.setattr(ratelimit, "hit", recording_hit)
    person = ParticipantFactory(live_session__phase=Phase.NEEDS)
    session = person.live_session
    strategy = StrategyFactory(category__taxonomy=session.taxonomy)

    services.join_session(live_session=session, presence="room", agreed=True, browser_key="b")
    need = services.post_need(participant=person, text="A need")
    services.edit_need(participant=person, need=need, text="A clearer need")
    LiveSession.objects.filter(pk=session.pk).update(phase=Phase.MAPPING)
    services.map_need(participant=person, need=need, strategies=[strategy])
    LiveSession.objects.filter(pk=session.pk).update(phase=Phase.VOTING)
    services.add_dot(participant=person, mapping=MappingFactory(need=need))
    LiveSession.objects.filter(pk=session.pk).update(phase=Phase.GAPS)
    services.annotate_gap(participant=person, strategy=strategy, kind="other", text="Missing")

    assert {scope for scope, _ in seen} == {
        "join",
        "join-browser",
        "need",
        "write",
        "session-needs",
    }
    assert [scope for scope, in_transaction in seen if in_transaction] == []


def _cache_keys() -> list[str]:
    backend = caches["default"]
    if isinstance(backend, LocMemCache):
        return list(backend._cache)
    client = backend._cache.get_client(write=True)
    return [key.decode() for key in client.scan_iter(match=backend.make_key("rl:*"))]


def test_rate_limit_keys_carry_no_django_session_key(client, live_session):
    client.post(
        reverse("sessions:join", args=[live_session.code]), {"presence": "room", "agree": "on"}
    )
    session_key = client.session.session_key

    keys = _cache_keys()
    assert session_key and any(":join-browser:" in key for key in keys)
    assert all(session_key not in key for key in keys)
    assert all(f"rl:join:{live_session.pk}:" not in key for key in keys)  # hashed as well


@pytest.fixture
def hung_cache(settings):
    """A Redis address that accepts connections and never answers (as a paused Redis does),
    with the shipped socket timeouts."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)  # never accepted: the kernel completes the handshakes
        location = f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
        with override_settings(
            CACHES={
                "default": {
                    "BACKEND": "django.core.cache.backends.redis.RedisCache",
                    "LOCATION": location,
                    "OPTIONS": settings.REDIS_TIMEOUTS,
                }
            }
        ):
            yield
        cache.close()


def test_a_hung_cache_costs_one_socket_timeout_not_one_per_action(hung_cache, settings, caplog):
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="sessions.ratelimit"):
        for n in range(20):
            ratelimit.hit("write", f"participant-{n}", limit=1, window=60)
    elapsed = time.monotonic() - started

    assert settings.REDIS_SOCKET_TIMEOUT <= 0.5
    assert elapsed < 2 * settings.REDIS_SOCKET_TIMEOUT + 0.2, elapsed
    assert sum("cache is unavailable" in r.getMessage() for r in caplog.records) == 1


def test_the_cache_is_asked_again_a_few_seconds_after_it_failed(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: now[0])
    calls = []

    def failing_count(cache_key, window):
        calls.append(cache_key)
        raise ConnectionError("Redis is away")

    monkeypatch.setattr(ratelimit, "_count", failing_count)
    for _ in range(3):
        ratelimit.hit("write", "someone", limit=1, window=60)
    now[0] += ratelimit.CACHE_RETRY_SECONDS + 0.1
    monkeypatch.setattr(ratelimit, "_count", lambda cache_key, window: 2)

    with pytest.raises(ratelimit.RateLimited):
        ratelimit.hit("write", "someone", limit=1, window=60)
    assert len(calls) == 1
