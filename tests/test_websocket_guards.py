"""Before a WebSocket reaches a consumer: its Origin must be this site's own (scheme, host AND
port) or a trusted origin, and a path with no consumer is refused cleanly, not a 500."""

import logging

import pytest
from channels.testing import WebsocketCommunicator

from commonground.asgi import application
from commonground.websocket_guards import origin_allowed
from tests.factories import LiveSessionFactory


def scope(origin: str | None, host: str = "localhost", scheme: str = "ws", **headers) -> dict:
    pairs = [(b"host", host.encode())]
    if origin is not None:
        pairs.append((b"origin", origin.encode()))
    pairs += [(name.replace("_", "-").encode(), value.encode()) for name, value in headers.items()]
    return {"type": "websocket", "scheme": scheme, "headers": pairs}


@pytest.mark.parametrize(
    ("origin", "host"),
    [
        ("http://localhost", "localhost"),
        ("http://localhost:8000", "localhost:8000"),
        ("http://localhost:80", "localhost"),  # the default port, written out
        ("http://127.0.0.1:8123", "127.0.0.1:8123"),
    ],
)
def test_a_page_of_this_site_may_open_a_socket(origin, host):
    assert origin_allowed(scope(origin, host))


@pytest.mark.parametrize(
    ("origin", "host"),
    [
        ("http://localhost:8001", "localhost:8000"),  # another port of the same host
        ("http://localhost:8000", "localhost"),
        ("https://localhost", "localhost"),  # another scheme
        ("http://evil.example", "localhost"),
        ("http://evil.example", "evil.example"),  # a host that is not ours
        ("null", "localhost"),
        ("", "localhost"),
        ("http://localhost/path", "localhost"),
        ("http://localhost:notaport", "localhost"),
        ("ftp://localhost", "localhost"),
    ],
)
def test_a_page_of_another_origin_may_not(origin, host):
    assert not origin_allowed(scope(origin, host))


def test_no_origin_header_is_refused():
    assert not origin_allowed(scope(None))


def test_behind_the_tls_proxy_the_scheme_is_https(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    assert origin_allowed(scope("https://localhost", x_forwarded_proto="https"))
    assert not origin_allowed(scope("http://localhost", x_forwarded_proto="https"))
    assert not origin_allowed(scope("https://localhost:8443", x_forwarded_proto="https"))


def test_trusted_origins_match_on_scheme_host_and_port(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://board.example.org", "https://*.workshop.example"]

    assert origin_allowed(scope("https://board.example.org"))
    assert origin_allowed(scope("https://room2.workshop.example"))
    assert not origin_allowed(scope("https://board.example.org:8443"))
    assert not origin_allowed(scope("http://board.example.org"))
    assert not origin_allowed(scope("https://evilworkshop.example"))


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_socket_from_another_port_is_refused_by_the_application():
    from channels.db import database_sync_to_async

    session = await database_sync_to_async(LiveSessionFactory)()
    path = f"/ws/s/{session.code}/board/"
    other_port = WebsocketCommunicator(
        application, path, headers=[(b"origin", b"http://localhost:8001"), (b"host", b"localhost")]
    )
    ok, _ = await other_port.connect()
    assert not ok

    same = WebsocketCommunicator(
        application, path, headers=[(b"origin", b"http://localhost"), (b"host", b"localhost")]
    )
    ok, _ = await same.connect()
    assert ok
    await same.disconnect()


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/ws/nothing/", "/ws/s/K7HQ4P/elsewhere/", "/"])
async def test_an_unknown_websocket_path_is_refused_without_an_error(path, caplog):
    socket = WebsocketCommunicator(
        application, path, headers=[(b"origin", b"http://localhost"), (b"host", b"localhost")]
    )
    with caplog.at_level(logging.WARNING):
        ok, _ = await socket.connect()
        await socket.wait()  # the application ends without raising

    assert not ok
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
