"""What the app writes to its log: a refused request is one line, a server error keeps its
traceback (the handler the settings configure, as a worker writes it)."""

import io
import logging
import sys

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from commonground import logs
from commonground.logs import OneLineClientErrors
from tests.factories import LiveSessionFactory


@pytest.fixture
def console_log():
    """What the configured console handler writes during the test."""
    (handler,) = [
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, OneLineClientErrors) for f in h.filters)
    ]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


@pytest.mark.django_db
def test_a_refused_request_logs_one_line_without_a_traceback(console_log):
    session = LiveSessionFactory(code="K7HQ4P")
    client = Client()
    client.force_login(get_user_model().objects.create_user("not-a-facilitator"))

    response = client.get(f"/facilitate/{session.code}/")

    assert response.status_code == 403
    lines = console_log.getvalue().splitlines()
    assert lines == ["Forbidden (Permission denied): /facilitate/K7HQ4P/"]


def _record(status: int) -> logging.LogRecord:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "m", (), exc_info)
    record.status_code = status
    return record


@pytest.mark.parametrize(("status", "keeps_traceback"), [(400, False), (403, False), (500, True)])
def test_only_server_errors_keep_their_traceback(status, keeps_traceback):
    record = _record(status)

    assert OneLineClientErrors().filter(record)
    assert (record.exc_info is not None) == keeps_traceback


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ("HTTP GET / 200 [0.03, 127.0.0.1:49468]", "HTTP GET / 200 [0.03, [address]]"),
        (
            "WebSocket CONNECT /ws/s/K7HQ4P/board/ [[::1]:51234]",
            "WebSocket CONNECT /ws/s/K7HQ4P/board/ [[address]]",
        ),
        (
            "('203.0.113.9', 5000) - \"WebSocket /ws/\" [accepted]",
            "('[address]', 5000) - \"WebSocket /ws/\" [accepted]",
        ),
        ("from 2001:db8::8a2e:370:7334 at 09:12:47", "from [address] at 09:12:47"),
        (
            "Django version 5.2.19 at 09:12:47, need-12:3",
            "Django version 5.2.19 at 09:12:47, need-12:3",
        ),
    ],
)
def test_log_lines_keep_no_client_address(line, kept):
    assert logs.without_addresses(line) == kept
