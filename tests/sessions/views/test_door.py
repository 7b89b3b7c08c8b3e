"""Through the door on one screen (issue 14): the QR link has "in the room" chosen, a wrong
code is told apart from a malformed one, a mistyped link gets a friendly page in both
languages, and the home page leads facilitators in."""

import pytest
from django.test import override_settings
from django.urls import reverse

from sessions import qr

pytestmark = pytest.mark.django_db


def test_the_qr_link_opens_the_join_page_with_in_the_room_chosen(client, live_session):
    scanned = client.get(reverse("sessions:join", args=[live_session.code]), {"at": "room"})
    typed = client.get(reverse("sessions:join", args=[live_session.code]))

    assert scanned.status_code == 200
    assert 'name="presence"' in scanned.text and " checked" in _presence(scanned.text)
    assert " checked" not in _presence(typed.text)
    # One screen: the agreement and the one button are on it.
    assert "Community agreement" in scanned.text and 'name="agree"' in scanned.text


def _presence(html: str) -> str:
    return html.split('id="div_id_presence"')[1].split("</fieldset>")[0]


def test_the_qr_code_carries_the_in_the_room_link(monkeypatch, client, live_session):
    encoded = []
    monkeypatch.setattr(qr, "qr_svg", lambda url, title: encoded.append((url, title)) or "")

    client.get(reverse("sessions:board", args=[live_session.code]))

    ((url, title),) = encoded
    assert url.endswith(f"/join/{live_session.code}/?at=room")
    assert title.endswith(f"/join/{live_session.code}/")  # the link people type stays short


def test_joining_from_the_qr_link_takes_the_agreement_and_one_button(client, live_session):
    response = client.post(
        reverse("sessions:join", args=[live_session.code]) + "?at=room",
        {"presence": "room", "agree": "on"},
    )

    assert response.status_code == 302
    assert response.url == reverse("sessions:participant", args=[live_session.code])


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("OOOOOO", "No session has the code OOOOOO"),  # the right shape, letters no code uses
        ("K7HQ4Q", "No session has the code K7HQ4Q"),
        ("K7H", "A session code has six letters and digits"),
        ("K7HQ4PX", "A session code has six letters and digits"),
    ],
)
def test_a_wrong_code_is_told_apart_from_a_malformed_one(client, live_session, code, message):
    response = client.get(reverse("sessions:join_form"), {"code": code})

    assert response.status_code == 404
    assert message in response.text


@pytest.mark.parametrize(
    ("path_code", "message"),
    [
        ("ZZZZZZ", "No session has the code ZZZZZZ"),
        ("hello-world", "A session code has six letters and digits"),
    ],
)
def test_a_mistyped_join_link_gets_the_code_form_with_what_is_wrong(client, db, path_code, message):
    response = client.get(reverse("sessions:join", args=[path_code]))

    assert response.status_code == 404
    assert message in response.text
    assert 'name="code"' in response.text


@override_settings(DEBUG=False, ALLOWED_HOSTS=["testserver"])
@pytest.mark.parametrize(
    ("language", "title", "join"),
    [
        ("en", "This page is not here", "Join a session"),
        ("fr", "Cette page n’est pas ici", "Rejoindre une séance"),
    ],
)
def test_not_found_is_a_friendly_page_in_both_languages(client, db, language, title, join):
    client.cookies["django_language"] = language

    response = client.get("/no/such/page/")

    assert response.status_code == 404
    assert f'<html lang="{language}"' in response.text
    assert title in response.text and join in response.text
    assert f'href="{reverse("sessions:join_form")}"' in response.text


def test_the_home_page_leads_facilitators_to_run_a_session(client, db):
    page = client.get(reverse("home")).text

    assert f'href="{reverse("sessions:facilitate")}"' in page
    assert "Run a session" in page
