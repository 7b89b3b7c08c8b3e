"""Every form and every socket against a corpus of hostile strings (tests/hostile_inputs.py).

What must hold: never a 500; a refusal says why (4xx with text, or the form again with its
error); whatever is stored comes back escaped on every page and live fragment that shows it;
no null byte is stored; nothing is stored over its field's maximum length."""

import json
from html.parser import HTMLParser
from urllib.parse import quote, urlencode

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.db import models
from django.test import Client
from django.urls import reverse

from sessions.enums import Phase
from sessions.identity import participant_cookie_name
from sessions.live import consumers, render
from sessions.live.change import Change
from sessions.live.routing import websocket_urlpatterns
from sessions.models import GapNote, LiveSession, Mapping, Need, Participant, Vote
from tests.factories import LiveSessionFactory, NeedFactory, ParticipantFactory, StrategyFactory
from tests.hostile_inputs import HOSTILE_INPUTS, TAG_MARKERS, encoded

HTMX = {"HX-Request": "true"}
IDS = [name for name, _text in HOSTILE_INPUTS]
TEXTS = [text for _name, text in HOSTILE_INPUTS]
REFUSAL_MARKERS = ("invalid-feedback", "alert", "errorlist", "text-danger", "live-error")


# --- helpers ---------------------------------------------------------------------------------


def form_body(data: dict) -> str:
    """A urlencoded body whose strings are sent as raw bytes (lone surrogates included)."""

    def raw(value):
        if isinstance(value, list):
            return [raw(item) for item in value]
        return encoded(value) if isinstance(value, str) else value

    return urlencode({key: raw(value) for key, value in data.items()}, doseq=True)


def post(client: Client, url: str, data: dict, headers=None):
    return client.post(
        url, form_body(data), content_type="application/x-www-form-urlencoded", headers=headers
    )


def get(client: Client, url: str, params: dict, headers=None):
    return client.get(f"{url}?{form_body(params)}", headers=headers)


class _MarkupAudit(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        names = {name for name, _value in attrs}
        if tag in ("iframe", "object", "embed"):
            self.problems.append(f"<{tag}>")
        if tag == "script" and "nonce" not in names:
            self.problems.append("<script> without a nonce")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name}= on <{tag}>")
            url_like = name in ("href", "src", "action", "formaction", "hx-get", "hx-post")
            if url_like and (value or "").strip().lower().replace("\t", "").startswith(
                "javascript:"
            ):
                self.problems.append(f"javascript: URL in {name}")
            if name.startswith("hx-") and tag == "div" and value == "/admin/":
                self.problems.append("injected htmx attribute")


def assert_no_markup(html: str, where: str = "") -> None:
    """The page holds no markup that a payload could have produced."""
    for marker in TAG_MARKERS:
        assert marker not in html, f"{where}: unescaped {marker!r}"
    audit = _MarkupAudit()
    audit.feed(html)
    assert not audit.problems, f"{where}: {audit.problems}"
    assert "sql_queries" not in html, f"{where}: a {{% debug %}} tag was evaluated"


def assert_not_500(response) -> None:
    assert response.status_code < 500, response.content[:500]


def assert_clear_refusal(response) -> None:
    """A 4xx that says why, or the form again (200/4xx) with its error."""
    assert_not_500(response)
    body = response.text
    if response.headers.get("Content-Type", "").startswith("text/plain"):
        assert body.strip(), "an empty refusal"
    else:
        assert any(marker in body for marker in REFUSAL_MARKERS), body[:2000]
    assert_no_markup(body, "refusal")


def assert_storage_bounded() -> None:
    """No stored text holds a null byte or exceeds its field's maximum length."""
    for model in (LiveSession, Participant, Need, Mapping, GapNote):
        fields = [f for f in model._meta.concrete_fields if isinstance(f, models.CharField)]
        for row in model.objects.all():
            for field in fields:
                value = getattr(row, field.name)
                assert "\x00" not in value, f"{model.__name__}.{field.name} holds a null byte"
                assert len(value) <= field.max_length, f"{model.__name__}.{field.name} too long"
    for prompts in LiveSession.objects.values_list("prompts", flat=True):
        assert all("\x00" not in text and len(text) <= 300 for text in prompts.values())


def set_phase(live_session: LiveSession, phase: str) -> None:
    LiveSession.objects.filter(pk=live_session.pk).update(phase=phase)


@pytest.fixture
def facilitator_client(live_session):
    user = get_user_model().objects.create_user("fac", password="pw")
    live_session.facilitators.add(user)
    client = Client()
    client.force_login(user)
    return client


# --- stored text: every form that keeps text, then every screen that shows it ---------------


@pytest.mark.django_db
@pytest.mark.parametrize("text", TEXTS, ids=IDS)
def test_stored_text_comes_back_escaped_everywhere(
    client, facilitator_client, live_session, strategies, text
):
    code = live_session.code
    responses = []

    # Facilitator settings: title, question and a prompt.
    settings_data = {
        "title": text,
        "question": text,
        "taxonomy": live_session.taxonomy_id,
        "enabled_phases": [p.value for p in Phase],
        "dot_budget": 5,
        "dot_cap": 3,
        "allow_display_names": "on",
        "prompt_needs": text,
    }
    responses.append(
        post(facilitator_client, reverse("sessions:settings", args=[code]), settings_data)
    )

    # Joining with the text as display name; refused names still let the person join.
    response = post(
        client,
        reverse("sessions:join", args=[code]),
        {"presence": "remote", "agree": "on", "display_name": text},
    )
    responses.append(response)
    if response.status_code != 302:
        assert_clear_refusal(response)
        response = post(
            client, reverse("sessions:join", args=[code]), {"presence": "room", "agree": "on"}
        )
        assert response.status_code == 302
    participant = Participant.objects.get(live_session=live_session)

    set_phase(live_session, Phase.NEEDS)
    post_url = reverse("sessions:post_need", args=[code])
    responses.append(post(client, post_url, {"text": text, "context": ""}))
    responses.append(post(client, post_url, {"text": "A safe need", "context": text}, HTMX))
    safe_need = NeedFactory(live_session=live_session, author=participant, text="Edit me")
    responses.append(
        post(client, reverse("sessions:edit_need", args=[code, safe_need.pk]), {"text": text})
    )
    other_need = NeedFactory(
        live_session=live_session, author=ParticipantFactory(live_session=live_session)
    )

    set_phase(live_session, Phase.MAPPING)
    responses.append(
        post(
            client,
            reverse("sessions:map", args=[code, other_need.pk]),
            {"strategies": [strategies[0].pk], "reason": text},
        )
    )

    set_phase(live_session, Phase.GAPS)
    gap_target = f"strategy-{strategies[1].pk}"
    responses.append(
        post(
            client,
            reverse("sessions:gap", args=[code]),
            {"target": gap_target, "kind": "safety", "text": text},
        )
    )

    control = reverse("sessions:control", args=[code])
    responses.append(post(facilitator_client, control, {"command": "announce", "text": text}))
    responses.append(
        post(
            facilitator_client,
            reverse("sessions:correct_need", args=[code, other_need.pk]),
            {"text": text, "context": text},
        )
    )
    responses.append(
        post(
            facilitator_client,
            control,
            {"command": "spotlight-need", "target": other_need.pk},
            HTMX,
        )
    )

    for response in responses:
        assert_not_500(response)
        if response.status_code >= 400 or (
            response.status_code == 200 and any(m in response.text for m in REFUSAL_MARKERS[:3])
        ):
            assert_clear_refusal(response)

    assert_storage_bounded()
    live_session.refresh_from_db()
    pages = {
        "participant page": client.get(reverse("sessions:participant", args=[code])),
        "board": client.get(reverse("sessions:board", args=[code])),
        "dashboard": facilitator_client.get(reverse("sessions:dashboard", args=[code])),
        "board polling": client.get(reverse("sessions:live", args=[code]), {"audience": "board"}),
        "participant polling": client.get(
            reverse("sessions:live", args=[code]), {"audience": "participants"}
        ),
        "gap form": client.get(reverse("sessions:gap", args=[code])),
    }
    for where, page in pages.items():
        assert page.status_code == 200, where
        assert_no_markup(page.text, where)
    for group, message in render.render_messages(live_session.pk, Change.everything()):
        assert_no_markup(message["html"], group)


def test_a_stored_payload_really_shows_as_text(client, facilitator_client, live_session):
    """The corpus test proves nothing if the text never reaches the page: check one case."""
    participant = ParticipantFactory(live_session=live_session)
    client.cookies[participant_cookie_name(live_session)] = participant.token

    post(client, reverse("sessions:post_need", args=[live_session.code]), {"text": "<b>hi</b>"})

    assert Need.objects.get().text == "<b>hi</b>"
    for response in (
        client.get(reverse("sessions:participant", args=[live_session.code])),
        client.get(reverse("sessions:board", args=[live_session.code])),
        facilitator_client.get(reverse("sessions:dashboard", args=[live_session.code])),
    ):
        assert "&lt;b&gt;hi&lt;/b&gt;" in response.text
        assert "<b>hi</b>" not in response.text


@pytest.mark.django_db
@pytest.mark.parametrize("text", TEXTS, ids=IDS)
def test_session_creation_refuses_or_escapes(facilitator_client, live_session, text):
    response = post(
        facilitator_client,
        reverse("sessions:create"),
        {
            "title": text,
            "question": text,
            "taxonomy": live_session.taxonomy_id,
            "enabled_phases": [p.value for p in Phase],
            "dot_budget": 5,
            "dot_cap": 3,
            "prompt_lobby": text,
        },
    )

    assert_not_500(response)
    if response.status_code == 302:
        created = LiveSession.objects.exclude(pk=live_session.pk).get()
        board = facilitator_client.get(reverse("sessions:board", args=[created.code]))
        assert_no_markup(board.text, "board")
        assert_no_markup(facilitator_client.get(response.url).text, "dashboard")
    else:
        assert_clear_refusal(response)
    assert_storage_bounded()


# --- inputs that are never stored: codes, ids, commands, search ------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("text", TEXTS, ids=IDS)
def test_join_code_form_explains(client, live_session, text):
    response = get(client, reverse("sessions:join_form"), {"code": text})

    assert_clear_refusal(response)


@pytest.mark.django_db
@pytest.mark.parametrize("text", TEXTS, ids=IDS)
def test_a_hostile_session_code_in_the_url_is_a_404(client, live_session, text):
    segment = quote(encoded(text[:2000]), safe="")
    for path in (
        f"/join/{segment}/",
        f"/s/{segment}/",
        f"/s/{segment}/board/",
        f"/s/{segment}/live/",
    ):
        response = client.get(path)
        assert response.status_code == 404, path


@pytest.mark.django_db
@pytest.mark.parametrize("text", TEXTS, ids=IDS)
def test_vote_fields_are_refused_with_a_message(client, live_session, participant, text):
    client.cookies[participant_cookie_name(live_session)] = participant.token
    set_phase(live_session, Phase.VOTING)
    need = NeedFactory(live_session=live_session)
    url = reverse("sessions:vote", args=[live_session.code])

    for data in (
        {"kind": text, "item": need.pk, "action": "add"},
        {"kind": "need", "item": text, "action": "add"},
        {"kind": "need", "item": need.pk, "action": text},
    ):
        response = post(client, url, data, HTMX)
        # Unicode digits such as "١٢" are a number: an item that does not exist.
        assert response.status_code in (404, 422)
        if response.status_code == 422:
            assert_clear_refusal(response)
    assert not Vote.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("text", TEXTS, ids=IDS)
def test_mapping_and_gap_choices_are_refused_with_a_message(
    client, live_session, participant, text
):
    client.cookies[participant_cookie_name(live_session)] = participant.token
    need = NeedFactory(live_session=live_session)
    set_phase(live_session, Phase.MAPPING)

    response = post(
        client, reverse("sessions:map", args=[live_session.code, need.pk]), {"strategies": [text]}
    )
    assert response.status_code == 422
    assert_clear_refusal(response)

    set_phase(live_session, Phase.GAPS)
    gap_url = reverse("sessions:gap", args=[live_session.code])
    response = post(client, gap_url, {"target": text, "kind": text, "text": "fine"})
    assert response.status_code == 422
    assert_clear_refusal(response)
    for key in ("strategy", "mapping"):
        page = get(client, gap_url, {key: text})
        assert page.status_code == 200
        assert_no_markup(page.text, "gap form")
    assert not Mapping.objects.exists() and not GapNote.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("text", TEXTS, ids=IDS)
def test_live_polling_parameters_never_crash(client, live_session, participant, text):
    url = reverse("sessions:live", args=[live_session.code])

    for params in ({"since": text}, {"audience": text}, {"since": text, "audience": "board"}):
        response = get(client, url, params)
        assert response.status_code in (200, 204, 400, 403), params
        assert_no_markup(response.text, "live")


@pytest.mark.django_db
@pytest.mark.parametrize("text", TEXTS, ids=IDS)
def test_facilitator_commands_are_refused_with_a_message(facilitator_client, live_session, text):
    code = live_session.code
    need = NeedFactory(live_session=live_session)
    before = Need.objects.values_list("pk", "text", "status").get()
    control = reverse("sessions:control", args=[code])
    attempts = [
        (control, {"command": text}),
        (control, {"command": "phase-set", "phase": text}),
        (control, {"command": "timer-start", "minutes": text}),
        (control, {"command": "spotlight-need", "target": text}),
        (
            reverse("sessions:moderate", args=[code]),
            {"kind": text, "item": need.pk, "status": "hidden"},
        ),
        (
            reverse("sessions:moderate", args=[code]),
            {"kind": "need", "item": text, "status": "hidden"},
        ),
        (
            reverse("sessions:moderate", args=[code]),
            {"kind": "need", "item": need.pk, "status": text},
        ),
        (reverse("sessions:merge", args=[code]), {"keep": text, "duplicate": need.pk}),
        (reverse("sessions:merge", args=[code]), {"keep": need.pk, "duplicate": text}),
    ]
    is_number = text.strip().isdecimal()  # "١٢" is a number, 12: a valid minute count
    for url, data in attempts:
        response = post(facilitator_client, url, data, HTMX)
        assert_not_500(response)
        if not is_number:
            assert response.status_code == 422, (url, data)
            assert_clear_refusal(response)
    # Without htmx: back to the dashboard with the message.
    url, data = attempts[0]
    response = post(facilitator_client, url, data)
    assert response.status_code == 302
    assert "That control was not understood." in facilitator_client.get(response.url).text
    assert Need.objects.values_list("pk", "text", "status").get() == before


@pytest.mark.django_db
@pytest.mark.parametrize("text", TEXTS, ids=IDS)
def test_taxonomy_search_refuses_or_escapes(client, text):
    url = reverse("taxonomy:search")
    for headers in (None, HTMX):
        response = get(client, url, {"q": text}, headers)
        assert response.status_code in (200, 400)
        assert_no_markup(response.text, "search")
        if response.status_code == 400:
            assert_clear_refusal(response)


@pytest.mark.django_db
@pytest.mark.parametrize("text", TEXTS, ids=IDS)
def test_login_form_refuses_with_a_message(client, text):
    response = post(client, reverse("login"), {"username": text, "password": text})

    assert response.status_code == 200
    assert_clear_refusal(response)


# --- WebSockets ------------------------------------------------------------------------------

router = URLRouter(websocket_urlpatterns)


@database_sync_to_async
def _session_and_participant():
    session = LiveSessionFactory(code="K7HQ4P", phase=Phase.NEEDS)
    StrategyFactory(category__taxonomy=session.taxonomy)
    return session, ParticipantFactory(live_session=session)


async def _sockets(session, participant):
    board = WebsocketCommunicator(router, f"/ws/s/{session.code}/board/")
    phone = WebsocketCommunicator(router, f"/ws/s/{session.code}/participant/")
    phone.scope["cookies"] = {participant_cookie_name(session): participant.token}
    for socket in (board, phone):
        ok, _ = await socket.connect()
        assert ok
    return board, phone


async def _still_answers(socket) -> None:
    await socket.send_to(text_data=json.dumps({"type": "resume", "since": 0}))
    assert await socket.receive_nothing(timeout=0.2)


def _hostile_frames(text: str) -> list[dict]:
    return [
        {"text_data": text.encode("utf-8", "replace").decode("utf-8")},
        {"text_data": json.dumps({"type": "resume", "since": text})},
        {"text_data": json.dumps({"type": text, "since": 0})},
        {"bytes_data": encoded(text)},
    ]


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_sockets_answer_hostile_frames_with_an_error():
    # Every text of the corpus in every kind of frame, on one database and one pair of sockets
    # (a transactional database per text cost a minute of the suite on PostgreSQL): each frame
    # goes to the board or the phone in turn, so both audiences see every kind of frame.
    session, participant = await _session_and_participant()
    board, phone = await _sockets(session, participant)
    for sent, (name, text) in enumerate(HOSTILE_INPUTS, start=1):
        for number, frame in enumerate(_hostile_frames(text)):
            socket = (board, phone)[(sent + number) % 2]
            await socket.send_to(**frame)
            reply = await socket.receive_from(timeout=2)
            assert 'id="live-error"' in reply, (name, frame)
            assert_no_markup(reply, "socket error")
        if sent % 10 == 0:  # a screen may send 50 messages per connection: start afresh
            for socket in (board, phone):
                await _still_answers(socket)
                await socket.disconnect()
            board, phone = await _sockets(session, participant)
    for socket in (board, phone):
        await _still_answers(socket)
        await socket.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "frame",
    [
        {"text_data": json.dumps({"type": "resume", "since": 10**100})},
        {"text_data": json.dumps({"type": "resume", "since": [1]})},
        {"text_data": json.dumps({"type": "resume", "since": None})},
        {"text_data": json.dumps({"type": "resume", "since": True})},
        {"text_data": json.dumps({"type": "resume", "since": 1.5})},
        {"text_data": "NaN"},
        {"text_data": '{"type": "resume", "since": NaN}'},
        {"text_data": json.dumps({"type": "resume", "since": 0, "x": "A" * 10_000})},
        {"text_data": "A" * 1_000_000},
        {"bytes_data": b"\xff" * 1_000_000},
        {"bytes_data": b"\xc3\x28\xa0\xa1\xe2\x28\xa1\xf0\x28\x8c\xbc"},
    ],
    ids=[
        "huge-int",
        "list",
        "null",
        "bool",
        "float",
        "bare-nan",
        "nan-since",
        "long-json",
        "megabyte-text",
        "megabyte-binary",
        "invalid-utf8",
    ],
)
async def test_sockets_refuse_wrong_types_and_huge_frames(frame):
    session, participant = await _session_and_participant()
    board, phone = await _sockets(session, participant)

    for socket in (board, phone):
        await socket.send_to(**frame)
        reply = await socket.receive_from(timeout=2)
        # A huge "since" is well-formed: the screen is simply out of date and gets a snapshot.
        assert 'id="live-error"' in reply or 'id="live-seq"' in reply
        await _still_answers(socket)
        await socket.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_hostile_need_reaches_sockets_escaped():
    from sessions import services

    session, participant = await _session_and_participant()
    board, phone = await _sockets(session, participant)

    for _name, text in HOSTILE_INPUTS[:12]:
        # Each from a new participant, so no rate limit is reached (and no cache is cleared:
        # on Redis that would also drop the channel layer's groups).
        author = await database_sync_to_async(ParticipantFactory)(live_session=session)
        await database_sync_to_async(services.post_need)(participant=author, text=text)
        for socket in (board, phone):
            message = await socket.receive_from(timeout=2)
            assert_no_markup(message, "broadcast")
    await board.disconnect()
    await phone.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_hostile_socket_path_is_refused():
    await _session_and_participant()
    for name, text in HOSTILE_INPUTS:
        path_code = text.encode("utf-8", "replace").decode("utf-8")[:200]
        for consumer in (consumers.BoardConsumer, consumers.ParticipantConsumer):
            # The consumer itself, as if the router had matched: a code can hold anything but "/".
            socket = WebsocketCommunicator(consumer.as_asgi(), "/ws/s/x/board/")
            socket.scope["url_route"] = {"args": (), "kwargs": {"code": path_code}}
            socket.scope["cookies"] = {}
            ok, _ = await socket.connect()
            assert not ok, name


def test_invisible_only_text_counts_as_empty(client, live_session, participant):
    client.cookies[participant_cookie_name(live_session)] = participant.token
    url = reverse("sessions:post_need", args=[live_session.code])

    response = post(client, url, {"text": "\u200b\u200c\u200d\u2060\ufeff"}, HTMX)
    kept = post(client, url, {"text": "zero\u200bwidth", "context": "\u200b"}, HTMX)

    assert response.status_code == 422
    assert "cannot be empty" in response.text
    assert kept.status_code == 200
    assert Need.objects.get().text == "zero\u200bwidth"
    assert Need.objects.get().context == ""
