"""The participant pages' service worker (sessions/views/offline.py): served with the scope it
needs and a strict CSP, naming a versioned app shell so that a new release replaces the old
one, registered by the participant's pages only (never the board's or the dashboard's)."""

import json
import re
from pathlib import Path

import pytest
from django.urls import reverse

from sessions.views import offline

pytestmark = pytest.mark.django_db


def worker(client, code="K7HQ4P"):
    return client.get(reverse("sessions:offline_worker", args=[code]))


def test_the_worker_is_served_from_the_participant_pages_directory_with_a_strict_csp(client):
    response = worker(client)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Cache-Control"] == "no-cache"
    policy = set(response["Content-Security-Policy"].split("; "))
    assert policy == {"default-src 'none'", "connect-src 'self'", "script-src 'self'"}
    # Its own directory is the scope it needs: /s/<code>/, no Service-Worker-Allowed.
    assert response.request["PATH_INFO"] == "/s/K7HQ4P/sw.js"
    assert "Service-Worker-Allowed" not in response


def test_the_worker_names_the_shell_by_content_and_imports_only_local_scripts(client):
    text = worker(client).text

    config = re.search(r"self\.CG_OFFLINE = (\{.*\});", text).group(1)
    assert '"scope": "/s/K7HQ4P/"' in config
    for name in ("css/app.css", "js/outbox.js", "js/answers.js", "django_htmx/htmx-2.min.js"):
        assert re.search(
            rf'"url": "/static/{re.escape(name)}", "revision": "[0-9a-f]{{16}}"', config
        )
    imports = re.search(r"importScripts\((.*)\);", text).group(1)
    assert imports.split(", ") == [
        '"/static/vendor/workbox/workbox-core.prod.js"',
        '"/static/vendor/workbox/workbox-routing.prod.js"',
        '"/static/vendor/workbox/workbox-strategies.prod.js"',
        '"/static/vendor/workbox/workbox-precaching.prod.js"',
        '"/static/js/outbox-store.js"',
        '"/static/js/offline-worker.js"',
    ]
    assert "http" not in text  # nothing from another host


def test_a_release_that_changes_a_file_of_the_shell_changes_the_worker(client, monkeypatch):
    """The browser installs a new worker when its bytes change: a changed file of the shell
    must change them, so the old shell is replaced."""
    offline._cached_revisions.cache_clear()
    before = worker(client).text
    real = offline._revision
    monkeypatch.setattr(
        offline,
        "_revision",
        lambda name: "0" * 16 if name == "js/outbox.js" else real(name),
    )
    offline._cached_revisions.cache_clear()

    after = worker(client).text

    assert after != before
    assert before.splitlines()[0] != after.splitlines()[0]  # its version line
    offline._cached_revisions.cache_clear()


def test_the_same_release_serves_the_same_worker(client):
    assert worker(client).text == worker(client).text


def test_a_code_that_cannot_be_one_is_not_found(client):
    assert worker(client, "not-a-code!").status_code == 404


def test_only_the_participant_pages_register_the_worker(participant_client, live_session):
    """The board and the dashboard get no service worker: only the participant's pages carry
    the outbox, which registers it."""
    participant_page = participant_client.get(
        reverse("sessions:participant", args=[live_session.code])
    )
    board = participant_client.get(reverse("sessions:board", args=[live_session.code]))
    phone_board = participant_client.get(reverse("sessions:phone_board", args=[live_session.code]))

    assert 'src="/static/js/outbox.js"' in participant_page.text
    assert f'data-worker="/s/{live_session.code}/sw.js"' in participant_page.text
    for page in (board, phone_board):
        assert "outbox" not in page.text
        assert "sw.js" not in page.text


def test_the_dashboard_does_not_register_the_worker(facilitator_client, live_session):
    dashboard = facilitator_client.get(reverse("sessions:dashboard", args=[live_session.code]))

    assert dashboard.status_code == 200
    assert "outbox.js" not in dashboard.text
    assert "sw.js" not in dashboard.text


def test_the_vendored_workbox_is_the_version_package_json_pins():
    root = Path(__file__).resolve().parents[3]
    pinned = json.loads((root / "package.json").read_text())["dependencies"]
    vendored = (root / "static/vendor/workbox/VERSION").read_text().split("\n")

    assert [line for line in vendored if line] == [
        f"{name} {pinned[name]}"
        for name in ("workbox-core", "workbox-routing", "workbox-strategies", "workbox-precaching")
    ]
