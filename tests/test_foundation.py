import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


def test_home_page_introduces_workshop_and_links_taxonomy_and_join(client):
    response = client.get(reverse("home"))

    assert response.status_code == 200
    body = response.text
    assert '<html lang="en"' in body
    assert 'href="#main"' in body and 'id="main"' in body
    assert "Le Centre Sheraton Montréal" in body
    assert "In person with hybrid support" in body
    assert f'href="{reverse("taxonomy:overview")}"' in body
    assert f'href="{reverse("sessions:join_form")}"' in body


def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get(reverse("home"))

    policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["default-src"] == "'self'"
    assert directives["script-src"].startswith("'self' 'nonce-")
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert directives["frame-ancestors"] == "'none'"
    nonce = directives["script-src"].split("'nonce-")[1].rstrip("'")
    # Every script tag carries the nonce, so no script runs without it.
    assert response.text.count("<script") == response.text.count(f'nonce="{nonce}"')


def test_htmx_is_served_from_our_own_static_files(client):
    response = client.get(reverse("home"))

    assert "/static/django_htmx/htmx-2.min.js" in response.text
    assert "http://" not in response.text.split("<body")[0]
    assert "https://" not in response.text.split("<body")[0]


def test_french_is_offered_and_sets_lang(client):
    response = client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    page = client.get("/")

    assert response.status_code == 302
    assert '<html lang="fr"' in page.text


def test_production_settings_pass_check_deploy():
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process; production does not.
    test_only = {
        "DEBUG",
        "SECRET_KEY",
        "DJANGO_SETTINGS_MODULE",
        "SECURE_SSL_REDIRECT",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }
    env = {key: value for key, value in os.environ.items() if key not in test_only}
    env.update(
        DJANGO_SETTINGS_MODULE="commonground.settings",
        DEBUG="false",
        SECRET_KEY="a-long-production-secret-" + "k9Xq2" * 10,
        ALLOWED_HOSTS="commonground.example.org",
    )

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_refuse_to_start_without_secret_key():
    env = {key: value for key, value in os.environ.items() if key != "SECRET_KEY"}
    env.update(DJANGO_SETTINGS_MODULE="commonground.settings", DEBUG="false")

    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr
