"""PostgreSQL (or SQLite) unreachable: a clear "try again" answer (503, Retry-After, HTML for
browsers, JSON for htmx and JSON clients), no traceback, and service again once it is back.

The database is really broken here: the connection is closed and its settings pointed at a
closed port (PostgreSQL) or a file that cannot be opened (SQLite), then restored."""

import copy
import json
import socket
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.factories import LiveSessionFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def database_down():
    saved = copy.deepcopy(connection.settings_dict)
    connection.close()
    if connection.vendor == "postgresql":
        connection.close_pool()
        connection.settings_dict["PORT"] = _closed_port()
        connection.settings_dict["HOST"] = "127.0.0.1"
        pool = connection.settings_dict["OPTIONS"].get("pool")
        if isinstance(pool, dict):
            connection.settings_dict["OPTIONS"]["pool"] = {**pool, "timeout": 1}
        else:
            connection.settings_dict["OPTIONS"]["connect_timeout"] = 1
    else:
        connection.settings_dict["NAME"] = "/nonexistent-directory/commonground.sqlite3"
    try:
        yield
    finally:
        connection.close()
        if connection.vendor == "postgresql":
            connection.close_pool()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


def assert_try_again(response) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert "Traceback" not in response.text
    assert "OperationalError" not in response.text


def test_a_page_says_try_again_while_the_database_is_down_and_recovers():
    LiveSessionFactory(code="K7HQ4P")
    client = Client()
    board = reverse("sessions:board", args=["K7HQ4P"])

    with database_down():
        page = client.get(board)
        as_json = client.get(board, headers={"Accept": "application/json"})
        htmx = client.post(
            reverse("sessions:post_need", args=["K7HQ4P"]),
            {"text": "Saved later"},
            headers={"HX-Request": "true"},
        )

    assert_try_again(page)
    assert page["Content-Type"].startswith("text/html")
    assert "Try again in a moment" in page.text
    assert "Nothing is lost" in page.text
    for response in (as_json, htmx):
        assert_try_again(response)
        body = json.loads(response.content)
        assert body["retry"] is True and "try again" in body["error"]
    # The database is back: so is the page.
    assert client.get(board).status_code == 200


def test_an_outage_inside_middleware_gets_the_same_answer(settings):
    """The session is saved by SessionMiddleware after the view: that failure reaches
    handler500, which answers 503 too."""
    settings.SESSION_SAVE_EVERY_REQUEST = True
    client = Client(raise_request_exception=False)
    session = client.session
    session["seen"] = True
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key

    with database_down():
        response = client.post(reverse("set_language"), {"language": "fr", "next": "/"})

    assert_try_again(response)
    assert "Try again in a moment" in response.text or "Réessayez" in response.text
    assert client.get(reverse("taxonomy:overview")).status_code == 200
