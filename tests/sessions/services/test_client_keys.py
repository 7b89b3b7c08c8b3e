"""Every write a participant makes carries a key (sessions.services.replays), so that sent again
(a double tap, a retry after a lost answer, the phone's outbox after a drop) it is stored once
and answered as done, on SQLite and PostgreSQL, copies sent at once included. Dots are not
idempotent by nature: each tap has its own key, so two taps are two dots and one tap sent twice
is one."""

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from sessions import services
from sessions.enums import Phase
from sessions.identity import participant_cookie_name
from sessions.models import ClientWrite, GapNote, LiveSession, Mapping, Need, Vote
from tests.factories import (
    GapNoteFactory,
    LiveSessionFactory,
    MappingFactory,
    NeedFactory,
    ParticipantFactory,
    StrategyFactory,
    VoteFactory,
)

HTMX = {"HX-Request": "true"}


@dataclass
class Write:
    """One kind of write: the phase it needs, what it needs to exist, the request a phone
    sends, and what is stored after it."""

    phase: str
    prepare: Callable  # (session, participant) -> dict of objects
    send: Callable  # (client, session, objects, key) -> response
    stored: Callable  # (objects) -> a value that changes once per write stored
    said: str  # the answer's words, the same to the first copy and to any replay


def _url(name, session, *args):
    return reverse(f"sessions:{name}", args=[session.code, *args])


def _two_strategies(session, participant):
    need = NeedFactory(author=ParticipantFactory(live_session=session))
    strategies = StrategyFactory.create_batch(2, category__taxonomy=session.taxonomy)
    return {"need": need, "strategies": strategies}


def _voted(dots):
    def prepare(session, participant):
        need = NeedFactory(author=ParticipantFactory(live_session=session))
        if dots:
            VoteFactory(participant=participant, need=need, dots=dots)
        return {"need": need, "participant": participant}

    return prepare


def _dots(objects):
    return sum(Vote.objects.filter(participant=objects["participant"]).values_list("dots", flat=1))


WRITES = {
    "post a need": Write(
        Phase.NEEDS,
        lambda session, participant: {"session": session},
        lambda client, session, objects, key: client.post(
            _url("post_need", session),
            {"text": "Safer streams", "submission_id": key},
            headers=HTMX,
        ),
        lambda objects: Need.objects.filter(text="Safer streams").count(),
        "Posted. Your need is on the board.",
    ),
    "edit a need": Write(
        Phase.NEEDS,
        lambda session, participant: {"need": NeedFactory(author=participant, text="Before")},
        lambda client, session, objects, key: client.post(
            _url("edit_need", session, objects["need"].pk),
            {"text": "After", "context": "", "client_key": key},
            headers=HTMX,
        ),
        lambda objects: ClientWrite.objects.filter(kind="edit_need").count(),
        "Your need is updated.",
    ),
    "delete a need": Write(
        Phase.NEEDS,
        lambda session, participant: {"need": NeedFactory(author=participant)},
        lambda client, session, objects, key: client.post(
            _url("delete_need", session, objects["need"].pk), {"client_key": key}, headers=HTMX
        ),
        lambda objects: 1 - Need.objects.filter(pk=objects["need"].pk).count(),
        "Your need is deleted.",
    ),
    "map a need": Write(
        Phase.MAPPING,
        _two_strategies,
        lambda client, session, objects, key: client.post(
            _url("map", session, objects["need"].pk),
            {"strategies": [s.pk for s in objects["strategies"]], "client_key": key},
            headers=HTMX,
        ),
        lambda objects: Mapping.objects.filter(need=objects["need"]).count() // 2,
        "Mapped to",
    ),
    "remove a mapping": Write(
        Phase.MAPPING,
        lambda session, participant: {
            "mapping": MappingFactory(need=NeedFactory(author=participant))
        },
        lambda client, session, objects, key: client.post(
            _url("delete_mapping", session, objects["mapping"].pk),
            {"client_key": key},
            headers=HTMX,
        ),
        lambda objects: 1 - Mapping.objects.filter(pk=objects["mapping"].pk).count(),
        "Your mapping is removed.",
    ),
    "add a dot": Write(
        Phase.VOTING,
        _voted(0),
        lambda client, session, objects, key: client.post(
            _url("vote", session),
            {"kind": "need", "item": objects["need"].pk, "action": "add", "client_key": key},
            headers=HTMX,
        ),
        _dots,
        "Your dots: 1",
    ),
    "take a dot back": Write(
        Phase.VOTING,
        _voted(3),
        lambda client, session, objects, key: client.post(
            _url("vote", session),
            {"kind": "need", "item": objects["need"].pk, "action": "remove", "client_key": key},
            headers=HTMX,
        ),
        lambda objects: 3 - _dots(objects),
        "Your dots: 2",
    ),
    "note a gap": Write(
        Phase.GAPS,
        lambda session, participant: {
            "strategy": StrategyFactory(category__taxonomy=session.taxonomy)
        },
        lambda client, session, objects, key: client.post(
            _url("gap", session),
            {
                "target": f"strategy-{objects['strategy'].pk}",
                "kind": "safety",
                "text": "No safety research",
                "client_key": key,
            },
            headers=HTMX,
        ),
        lambda objects: GapNote.objects.filter(text="No safety research").count(),
        "Thank you: your gap note is on the board.",
    ),
    "delete a gap note": Write(
        Phase.GAPS,
        lambda session, participant: {"note": GapNoteFactory(author=participant)},
        lambda client, session, objects, key: client.post(
            _url("delete_gap", session, objects["note"].pk), {"client_key": key}, headers=HTMX
        ),
        lambda objects: 1 - GapNote.objects.filter(pk=objects["note"].pk).count(),
        "Your gap note is deleted.",
    ),
}
# Writes whose second tap, with a key of its own, is a second write.
NOT_IDEMPOTENT = ["post a need", "add a dot", "take a dot back", "note a gap"]


def _room(phase):
    session = LiveSessionFactory(phase=phase, dot_budget=5, dot_cap=3)
    participant = ParticipantFactory(live_session=session)
    return session, participant


def _client(participant) -> Client:
    client = Client()
    client.cookies[participant_cookie_name(participant.live_session)] = participant.token
    return client


def _key() -> str:
    return uuid.uuid4().hex


@pytest.mark.django_db
@pytest.mark.parametrize("name", WRITES)
def test_a_write_sent_twice_with_its_key_is_stored_once_and_both_copies_are_answered_done(name):
    write = WRITES[name]
    session, participant = _room(write.phase)
    objects = write.prepare(session, participant)
    client, key = _client(participant), _key()

    first = write.send(client, session, objects, key)
    after_first = write.stored(objects)
    again = write.send(client, session, objects, key)

    assert (first.status_code, again.status_code) == (200, 200)
    assert after_first == write.stored(objects) == 1
    assert f"data-announce>{write.said}" in first.text
    assert f"data-announce>{write.said}" in again.text


@pytest.mark.django_db
@pytest.mark.parametrize("name", NOT_IDEMPOTENT)
def test_a_second_tap_with_a_key_of_its_own_is_a_second_write(name):
    write = WRITES[name]
    session, participant = _room(write.phase)
    objects = write.prepare(session, participant)
    client = _client(participant)

    write.send(client, session, objects, _key())
    write.send(client, session, objects, _key())

    assert write.stored(objects) == 2


@pytest.mark.django_db
@pytest.mark.parametrize("name", WRITES)
def test_a_replay_emits_no_live_event(name, capture_live_events):
    write = WRITES[name]
    session, participant = _room(write.phase)
    objects = write.prepare(session, participant)
    client, key = _client(participant), _key()
    write.send(client, session, objects, key)

    with capture_live_events() as captured:
        write.send(client, session, objects, key)

    assert captured == []


@pytest.mark.django_db
def test_a_refused_write_is_not_kept_and_its_key_works_once_the_phase_allows_it():
    session, participant = _room(Phase.NEEDS)
    need = NeedFactory(author=ParticipantFactory(live_session=session))
    key = _key()

    with pytest.raises(services.PhaseClosed):
        services.add_dot(participant=participant, need=need, client_key=key)
    LiveSession.objects.filter(pk=session.pk).update(phase=Phase.VOTING)
    services.add_dot(participant=participant, need=need, client_key=key)
    services.add_dot(participant=participant, need=need, client_key=key)

    assert Vote.objects.get(participant=participant).dots == 1
    assert ClientWrite.objects.filter(participant=participant).count() == 1


@pytest.mark.django_db
def test_a_stored_write_replayed_after_the_phase_moved_on_is_answered_done():
    """The outbox sends what waited through a drop: what was stored before the phase closed
    is not refused when its lost answer is asked for again."""
    session, participant = _room(Phase.VOTING)
    objects = WRITES["add a dot"].prepare(session, participant)
    client, key = _client(participant), _key()
    WRITES["add a dot"].send(client, session, objects, key)
    LiveSession.objects.filter(pk=session.pk).update(phase=Phase.GAPS)

    again = WRITES["add a dot"].send(client, session, objects, key)

    assert again.status_code == 200
    assert _dots(objects) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["delete a need", "remove a mapping", "delete a gap note"])
def test_a_deletion_of_an_item_already_gone_is_refused_unless_it_is_the_same_deletion(name):
    write = WRITES[name]
    session, participant = _room(write.phase)
    objects = write.prepare(session, participant)
    client, key = _client(participant), _key()
    write.send(client, session, objects, key)

    other = write.send(client, session, objects, _key())

    assert other.status_code == 404


@pytest.mark.django_db
def test_keys_are_per_participant():
    session, participant = _room(Phase.VOTING)
    need = NeedFactory(author=ParticipantFactory(live_session=session))
    other = ParticipantFactory(live_session=session)
    key = _key()

    services.add_dot(participant=participant, need=need, client_key=key)
    services.add_dot(participant=other, need=need, client_key=key)

    assert Vote.objects.filter(need=need).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["with spaces", "x" * 65, "<script>"])
def test_a_malformed_key_is_refused_and_nothing_is_stored(key):
    session, participant = _room(Phase.VOTING)
    objects = WRITES["add a dot"].prepare(session, participant)

    answer = WRITES["add a dot"].send(_client(participant), session, objects, key)

    assert answer.status_code == 422
    assert "That vote was not understood." in answer.text
    assert _dots(objects) == 0


@pytest.mark.django_db
def test_erasing_oneself_leaves_no_key_behind():
    session, participant = _room(Phase.VOTING)
    need = NeedFactory(author=ParticipantFactory(live_session=session))
    services.add_dot(participant=participant, need=need, client_key=_key())

    services.erase_participant(participant=participant)

    assert not ClientWrite.objects.exists()


@pytest.mark.django_db
def test_the_forms_shown_without_javascript_carry_a_key_of_their_own(
    participant_client, participant, live_session
):
    """A form sent twice by the browser (a double tap, "resend" after a lost answer) is one
    write; a form shown again is a new one."""
    LiveSession.objects.filter(pk=live_session.pk).update(phase=Phase.VOTING)
    NeedFactory(author=participant)
    url = _url("participant", live_session)

    first, again = participant_client.get(url).text, participant_client.get(url).text

    keys = [part.split('"')[0] for part in first.split('name="client_key" value="')[1:]]
    assert len(keys) == 2  # its Delete and its "Add a dot"
    assert all(len(key) == 32 for key in keys)
    assert not set(keys) & {part.split('"')[0] for part in again.split('value="')[1:]}


# --- copies of one write sent at the same instant -------------------------------------------


def _at_once(calls: list[Callable]) -> list:
    """Run each call in its own thread (its own database connection), all released at once."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", WRITES)
def test_copies_of_one_write_sent_at_once_are_stored_once(name):
    """Six copies of one write, from six connections at the same instant (the outbox of two
    tabs, a retry racing its own first copy): one is stored, and every copy is answered as
    done. PostgreSQL runs them one after another behind the participant's row lock; SQLite
    behind its one writer."""
    write = WRITES[name]
    session, participant = _room(write.phase)
    objects = write.prepare(session, participant)
    key = _key()

    answers = _at_once(
        [lambda: write.send(_client(participant), session, objects, key) for _ in range(6)]
    )

    assert [answer.status_code for answer in answers] == [200] * 6
    assert write.stored(objects) == 1
