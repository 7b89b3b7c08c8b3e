"""Erase means erase (issue 21): after a participant erases themselves, nothing they wrote and
no identifier that links to them remains in any table or in any cache key or value.

One participant writes through every path (post, edit, a facilitator's correction, a merge of
their need into another's and of another's into theirs, a dismissed merge suggestion, a
mapping with a reason, dots, gap notes, a spotlight, a removal), then erases themselves; the
test reads every row of every table (raw SQL, so no manager hides a row) and every key and
value of the cache (Redis in CI), and looks for each of their texts and ids."""

import pickle
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.test import Client
from django.urls import reverse

from sessions import ratelimit, services
from sessions.enums import Phase
from sessions.identity import DEVICE_COOKIE, device_hash
from sessions.models import LiveSession, MergeSuggestion, Participant
from tests.factories import LiveSessionFactory, NeedFactory, ParticipantFactory, StrategyFactory

pytestmark = pytest.mark.django_db(transaction=True)


def every_row() -> str:
    """Every row of every table of the database, as text."""
    dump = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            dump.extend(f"{table}: {row!r}" for row in cursor.fetchall())
    return "\n".join(dump)


def every_cache_entry() -> str:
    """Every key and value of the cache (on Redis: every key of its database, whatever wrote
    it; values decoded as far as they go)."""
    backend = caches["default"]
    entries = []
    if isinstance(backend, RedisCache):
        client = backend._cache.get_client(write=False)
        for key in client.scan_iter():
            kind = client.type(key).decode()
            if kind == "string":
                values = [client.get(key)]
            elif kind == "list":
                values = client.lrange(key, 0, -1)
            elif kind == "hash":
                values = [v for pair in client.hgetall(key).items() for v in pair]
            elif kind == "set":
                values = list(client.smembers(key))
            elif kind == "zset":
                values = client.zrange(key, 0, -1)
            else:
                values = []
            entries.append(f"{key!r} {[_decoded(v) for v in values]!r}")
    else:
        # The in-process cache keeps expired entries until read; they are gone all the same.
        now = time.time()
        for key, value in backend._cache.items():
            if backend._expire_info.get(key) is None or backend._expire_info[key] > now:
                entries.append(f"{key!r} {_decoded(value)!r}")
    return "\n".join(entries)


def _decoded(value):
    if isinstance(value, bytes):
        try:
            return pickle.loads(value)  # noqa: S301 (our own cache, written by this test)
        except Exception:
            return value.decode(errors="replace")
    return value


def traces(person: dict, dump: str) -> dict[str, int]:
    """How often each of the person's texts and ids appears in ``dump``."""
    return {name: dump.count(needle) for name, needle in person.items() if needle in dump}


@pytest.fixture
def room():
    session = LiveSessionFactory(phase=Phase.NEEDS, dot_budget=8, dot_cap=3)
    strategies = StrategyFactory.create_batch(3, category__taxonomy=session.taxonomy)
    facilitator = get_user_model().objects.create_user("facilitator-ada", password="pw")
    session.facilitators.add(facilitator)
    other = ParticipantFactory(live_session=session, pseudonym="Calm Heron")
    return session, strategies, facilitator, other


def join(session) -> tuple[Client, Participant]:
    client = Client()
    client.post(reverse("sessions:join", args=[session.code]), {"presence": "room", "agree": "on"})
    return client, Participant.objects.filter(live_session=session).latest("joined_at")


def phase(session, value):
    LiveSession.objects.filter(pk=session.pk).update(phase=value)


def write_through_every_path(session, strategies, facilitator, other) -> dict:
    """Everything one participant can leave behind, through every path; returns the needles
    to look for afterwards."""
    client, erin = join(session)
    own = [
        services.post_need(participant=erin, text=text, context="Queer streamers on Twitch")
        for text in (
            "Zebrafinch visibility appeals",
            "Quokka moderation transparency",
            "Narwhal data opt out tools",
            "Shadowban audits for trans creators, says Axolotl",
        )
    ]
    services.edit_need(participant=erin, need=own[0], text="Zebrafinch visibility appeals, edited")
    services.correct_need(
        actor=facilitator, need=own[0], text="Zebrafinch visibility appeals (corrected)", context=""
    )
    others = [
        NeedFactory(live_session=session, author=other, text=text)
        for text in (
            "Moderation transparency",
            "Data opt-out tools",
            "Shadowban audits for trans creators",
        )
    ]
    services.merge_needs(actor=facilitator, keep=others[0], duplicate=own[1])
    services.merge_needs(actor=facilitator, keep=own[2], duplicate=others[1])
    services.refresh_merge_suggestions(live_session=session)
    suggestion = MergeSuggestion.objects.get(need=own[3])
    services.dismiss_merge_suggestion(actor=facilitator, suggestion=suggestion)
    services.spotlight(live_session=session, actor=facilitator, need=own[3])
    phase(session, Phase.MAPPING)
    mappings = services.map_need(
        participant=erin,
        need=others[0],
        strategies=strategies[:2],
        reason="Pangolin reason for mapping",
    )
    own_mapping = mappings[0]
    others_mapping = services.map_need(participant=other, need=own[0], strategies=[strategies[2]])[
        0
    ]
    phase(session, Phase.VOTING)
    services.add_dot(participant=erin, need=others[0])
    services.add_dot(participant=erin, mapping=own_mapping)
    services.add_dot(participant=other, need=own[0])
    phase(session, Phase.GAPS)
    services.annotate_gap(
        participant=erin, kind="safety", text="Okapi gap on a strategy", strategy=strategies[0]
    )
    services.annotate_gap(
        participant=erin, kind="awareness", text="Ibex gap on a mapping", mapping=others_mapping
    )
    services.remove_participant(actor=facilitator, participant=erin)
    device = client.cookies[DEVICE_COOKIE].value
    erin.refresh_from_db()
    from django.core import signing

    device_id = signing.loads(device, salt="commonground.device")
    needles = {
        "pseudonym": erin.pseudonym,
        "public id": erin.public_id,
        "token hash": erin.token_hash,
        "device hash": erin.device_hash,
        # The keys of counters kept for them (a session's counters hash the session's pk,
        # which may be the same number as theirs: hence the scope in the needle).
        "device hash (rate-limit key)": "rl:join-browser:"
        + ratelimit.cache_key_name(erin.device_hash),
        "participant pk (rate-limit key, posts)": "rl:need:"
        + ratelimit.cache_key_name(str(erin.pk)),
        "participant pk (rate-limit key, writes)": "rl:write:"
        + ratelimit.cache_key_name(str(erin.pk)),
        "participant target": f"participant-{erin.pk}",
        "reason": "Pangolin reason",
        "gap on a strategy": "Okapi gap",
        "gap on a mapping": "Ibex gap",
        "context": "Queer streamers on Twitch",
    }
    for index, need in enumerate(own):
        needles[f"need {index} target"] = f"need-{need.pk}"
    for word in ("Zebrafinch", "Quokka", "Narwhal", "Axolotl"):
        needles[f"need text ({word})"] = word
    needles["own mapping target"] = f"mapping-{own_mapping.pk}"
    assert device_hash(device_id, session) == erin.device_hash
    return {"client": client, "erin": erin, "needles": needles}


def test_erasing_oneself_leaves_nothing_in_any_table_or_cache_key(room):
    session, strategies, facilitator, other = room
    written = write_through_every_path(session, strategies, facilitator, other)
    client, erin, needles = written["client"], written["erin"], written["needles"]
    before = traces(needles, every_row() + every_cache_entry())
    assert before, "the writes left nothing to find: the test would prove nothing"

    # A removed participant can erase themselves too (their erase page used to answer 403).
    page = client.get(reverse("sessions:erase", args=[session.code]))
    assert page.status_code == 200
    erased = client.post(reverse("sessions:erase", args=[session.code]))

    assert erased.status_code == 302
    assert not Participant.objects.filter(pk=erin.pk).exists()
    assert traces(needles, every_row()) == {}
    assert traces(needles, every_cache_entry()) == {}
    # ... and the browser that a facilitator removed still cannot come back.
    rejoin = client.post(
        reverse("sessions:join", args=[session.code]), {"presence": "room", "agree": "on"}
    )
    assert rejoin.status_code == 403
    assert Participant.objects.filter(live_session=session).count() == 1


def test_a_participant_who_was_never_removed_leaves_nothing_either(room):
    session, strategies, facilitator, other = room
    written = write_through_every_path(session, strategies, facilitator, other)
    client, erin, needles = written["client"], written["erin"], written["needles"]
    services.restore_participant(actor=facilitator, participant=erin)

    client.post(reverse("sessions:erase", args=[session.code]))

    assert traces(needles, every_row() + every_cache_entry()) == {}
    # Never removed: the same browser may join again, as a new person.
    again = client.post(
        reverse("sessions:join", args=[session.code]), {"presence": "room", "agree": "on"}
    )
    assert again.status_code == 302


def test_the_screens_drop_what_an_erased_participant_wrote_at_once(room, capture_live_events):
    """Pushes already sent cannot be called back: the erasure's own push takes the person's
    needs, gap notes and spotlight off every board and phone at once."""
    from sessions.live.kinds import event_of
    from sessions.live.render import change_for, render_messages

    session, strategies, facilitator, other = room
    _client, erin = join(session)
    need = services.post_need(participant=erin, text="Zebrafinch visibility appeals")
    services.spotlight(live_session=session, actor=facilitator, need=need)
    phase(session, Phase.GAPS)
    services.annotate_gap(
        participant=erin, kind="safety", text="Okapi gap on a strategy", strategy=strategies[0]
    )
    phase(session, Phase.NEEDS)  # the board shows the needs' cards

    with capture_live_events() as events:
        services.erase_participant(participant=erin)

    (event,) = events
    assert event == event_of(
        "participant_erased", session.pk, {"written": [need.pk], "touched": []}
    )
    messages = render_messages(session.pk, change_for(event))
    assert messages
    for _group, message in messages:
        html = message["html"]
        assert f'<div id="need-{need.pk}" hx-swap-oob="delete"></div>' in html
        assert "Zebrafinch" not in html and "Okapi" not in html
    boards = [m["html"] for group, m in messages if ".board." in group]
    assert boards  # the spotlight redrawn, empty
    assert all('id="board-spotlight" class="board-spotlight" hidden' in html for html in boards)
