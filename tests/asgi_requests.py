"""Requests sent through the ASGI application as a server calls it, at once, and their
answers compared: the quick writes' tests (tests/test_quick_votes.py, test_quick_needs.py,
test_quick_mappings.py)."""

import asyncio
import re
import secrets
from urllib.parse import urlencode

import pytest
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator
from django.db import connection

from commonground import async_db
from commonground.asgi import application
from sessions import ratelimit
from sessions.identity import participant_cookie_name

CSRF = "q" * 16 + secrets.token_hex(8)

# The quick path has no SQLite version (SQLite takes the ordinary way): its tests run on
# PostgreSQL (CI sets DATABASE_URL), each in transactions of its own, as a server's are.
ON_POSTGRESQL = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the quick path is PostgreSQL's (CI runs it)"
    ),
]


def send_all(*messages: dict) -> list[dict]:
    """Send the requests at once through the ASGI application; their answers, in order."""

    async def one(message: dict) -> dict:
        request = HttpCommunicator(
            application, "POST", message["path"], message["body"], message["headers"]
        )
        answer = await request.get_response(timeout=30)
        await request.wait(timeout=10)  # Django closes its response and its connection
        return answer

    async def run():
        try:
            return await asyncio.gather(*(one(message) for message in messages))
        finally:
            # No connection of this loop outlives it.
            await async_db.close_all()
            await ratelimit.aclose()

    return async_to_sync(run)()


def text(answer: dict) -> str:
    return answer["body"].decode()


def comparable(answer: dict) -> tuple[str, dict]:
    """The answer without what differs from one request to the next (masked CSRF tokens, the
    client keys the page hands out, dates, a cookie's expiry, the CSP nonce)."""
    body = re.sub(
        r'(name="(?:csrfmiddlewaretoken|client_key|submission_id)" value=")[^"]*',
        r"\1",
        text(answer),
    )
    headers = {}
    for name, value in answer["headers"]:
        name = name.decode().lower()
        value = value.decode()
        if name in ("date", "expires"):
            continue
        if name == "set-cookie":  # the value, and its expiry's second
            value = re.sub(r"=[^;]*", "=", value, count=1)
            value = re.sub(r"expires=[^;]*", "expires=", value)
        if name == "content-security-policy":  # the same directives, in any order
            value = "; ".join(sorted(value.split("; ")))
        headers.setdefault(name, []).append(re.sub(r"'nonce-[^']*'", "'nonce-'", value))
    return body, headers


def recorded(monkeypatch, module, name: str) -> list:
    """What the quick path's ``module.name`` decided for each request, in order: its result
    (it answered) or None (it stepped aside and the ordinary view answered)."""
    decided: list = []
    real = getattr(module, name)

    async def recording(**kwargs):
        result = await real(**kwargs)
        decided.append(result)
        return result

    monkeypatch.setattr(module, name, recording)
    return decided


def htmx_post(participant, path: str, fields, **changes) -> dict:
    """A form sent by the participant's phone with htmx, as send_all takes it: their cookie,
    the CSRF token in its header; ``changes`` to the headers (None: without it)."""
    cookie = participant_cookie_name(participant.live_session)
    headers = {
        "host": "testserver",
        "content-type": "application/x-www-form-urlencoded",
        "cookie": f"{cookie}={participant.token}; csrftoken={CSRF}",
        "x-csrftoken": CSRF,
        "hx-request": "true",
    }
    headers.update(changes)
    return {
        "path": path,
        "body": urlencode(fields).encode(),
        "headers": [(k.encode(), v.encode()) for k, v in headers.items() if v is not None],
    }
