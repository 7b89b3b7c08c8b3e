"""Production as shipped, run for real (tests/production.py): Debian's nginx with
deploy/nginx.conf in front of two uvicorn workers on unix sockets with the unit's flags. A phone
joins over HTTPS and posts; the board, on the other worker or the same, shows it through the
WebSocket that nginx proxies; static files come from nginx with their cache headers; HTTP is
sent to HTTPS; and nothing nginx or the workers write names the client's address."""

import re

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from sessions.models import Need
from tests.e2e.base import CHROMIUM, CHROMIUM_ARGS, PHONE_390, PROJECTOR
from tests.factories import LiveSessionFactory
from tests.production import ProductionStack

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def stack():
    production = ProductionStack(workers=2)
    try:
        yield production.start()
    except BaseException:
        print(production.output())
        raise
    finally:
        production.stop()
        production.cleanup()


def test_a_workshop_through_nginx_and_two_workers(stack, monkeypatch):
    session = LiveSessionFactory(code="K7HQ4P")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop in this thread

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            board = browser.new_context(**PROJECTOR, ignore_https_errors=True).new_page()
            board.goto(f"{stack.https_url}/s/{session.code}/board/")
            expect(board.locator("#connection-status")).to_have_text("Live")
            phone = browser.new_context(**PHONE_390, ignore_https_errors=True).new_page()
            phone.goto(f"{stack.https_url}/join/{session.code}/")
            phone.get_by_label("In the room").check()
            phone.get_by_label(re.compile("I agree")).check()
            phone.get_by_role("button", name="Join").click()
            phone.get_by_label("A need of your community").fill("Safer streams through nginx")
            phone.get_by_role("button", name="Post need").click()

            expect(board.locator("#needs-list")).to_contain_text("Safer streams through nginx")
            expect(board.locator("#board-counts")).to_contain_text("1 in the room")
            stylesheet = phone.locator("link[rel=stylesheet]").first.get_attribute("href")
        finally:
            browser.close()

    with httpx.Client(verify=False) as client:  # noqa: S501 - the test's own certificate
        static = client.get(f"{stack.https_url}{stylesheet}", headers={"Accept-Encoding": "gzip"})
        page = client.get(f"{stack.https_url}/join/")
        plain = client.get(f"{stack.http_url}/join/", follow_redirects=False)
    assert list(Need.objects.values_list("text", flat=True)) == ["Safer streams through nginx"]
    assert re.fullmatch(r"/static/[\w/.-]+\.[0-9a-f]{12}\.css", stylesheet)  # hashed name
    assert static.status_code == 200 and static.headers["Server"].startswith("nginx")
    assert "immutable" in static.headers["Cache-Control"]
    assert static.headers["Content-Encoding"] == "gzip"  # collectstatic's .gz, via gzip_static
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    assert plain.status_code == 301 and plain.headers["Location"].startswith("https://")
    logs = stack.nginx_logs()
    access = logs["commonground.access.log"]
    assert f'"GET /s/{session.code}/board/" 200' in access and '"POST ' in access
    everything = "\n".join([*logs.values(), stack.output()])
    assert "127.0.0.1" not in everything, everything[-3000:]
    assert "Traceback" not in everything, everything[-3000:]
