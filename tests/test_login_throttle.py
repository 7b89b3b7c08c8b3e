"""Guessing passwords: after 5 failed sign-ins for one username in 15 minutes, the facilitator
login and the admin login answer 429 with Retry-After and say so, for unknown usernames exactly
as for real ones; keyed by username, never by address; fail open when the cache is down."""

import re
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse

from commonground import login_throttle

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"
LOGIN_PAGES = ["login", "admin:login"]


@pytest.fixture
def facilitator():
    return get_user_model().objects.create_user("ada", password=PASSWORD, is_staff=True)


def sign_in(client: Client, page: str, username: str, password: str, **extra):
    return client.post(reverse(page), {"username": username, "password": password}, **extra)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def fail_times(client: Client, page: str, username: str, times: int) -> list[int]:
    return [sign_in(client, page, username, f"wrong-{n}").status_code for n in range(times)]


def page_text(response) -> str:
    """The page as a person reads it: without the per-request CSRF token and CSP nonces."""
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.text)
    text = re.sub(r'"X-CSRFToken": "[^"]+"', "", text)
    return re.sub(r'nonce="[^"]+"', "", text)


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_sign_in_is_refused_with_429_after_five_failures(facilitator, page):
    client = Client()

    assert fail_times(client, page, "ada", login_throttle.FAILURES_ALLOWED) == [200] * 5
    refused = sign_in(client, page, "ada", PASSWORD)  # even the right password now

    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= login_throttle.WINDOW_SECONDS
    assert "Too many failed sign-ins for this username" in refused.text
    assert re.search(r"Try again in \d+ minutes?\.", refused.text)
    assert not signed_in(client)


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_an_unknown_username_gets_the_same_answers_as_a_real_one(facilitator, page):
    real, unknown = Client(), Client()

    real_answers = [sign_in(real, page, "ada", f"guess-{n}") for n in range(7)]
    unknown_answers = [sign_in(unknown, page, "nobody", f"guess-{n}") for n in range(7)]

    assert [r.status_code for r in real_answers] == [200] * 5 + [429] * 2
    assert [r.status_code for r in unknown_answers] == [r.status_code for r in real_answers]
    for mine, theirs in zip(real_answers, unknown_answers, strict=True):
        assert page_text(mine).replace("ada", "nobody") == page_text(theirs)
        assert ("Retry-After" in mine.headers) == ("Retry-After" in theirs.headers)


def test_the_throttle_is_per_username_whatever_the_address(facilitator):
    client = Client()
    for n in range(login_throttle.FAILURES_ALLOWED):
        sign_in(client, "login", "ada", "wrong", REMOTE_ADDR=f"198.51.100.{n}")

    from_elsewhere = sign_in(Client(), "login", "ada", PASSWORD, REMOTE_ADDR="203.0.113.9")
    other_user = get_user_model().objects.create_user("grace", password=PASSWORD)
    other = Client()
    other_answer = sign_in(other, "login", other_user.username, PASSWORD)

    assert from_elsewhere.status_code == 429
    assert sign_in(Client(), "admin:login", "ADA ", PASSWORD).status_code == 429  # same name
    assert other_answer.status_code == 302 and signed_in(other)


def test_a_successful_sign_in_clears_the_failures(facilitator):
    client = Client()
    fail_times(client, "login", "ada", login_throttle.FAILURES_ALLOWED - 1)
    assert sign_in(client, "login", "ada", PASSWORD).status_code == 302
    client.logout()

    again = fail_times(client, "login", "ada", login_throttle.FAILURES_ALLOWED - 1)

    assert again == [200] * (login_throttle.FAILURES_ALLOWED - 1)
    assert sign_in(client, "login", "ada", PASSWORD).status_code == 302


def test_the_cache_holds_no_username(facilitator):
    fail_times(Client(), "login", "ada-lovelace-unique", 3)

    backend = caches["default"]
    if isinstance(backend, LocMemCache):
        keys = list(backend._cache)
    else:
        client = backend._cache.get_client(write=True)
        keys = [k.decode() for k in client.scan_iter(match=backend.make_key("rl:login:*"))]
    assert keys and all("ada-lovelace" not in key for key in keys)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_sign_in_is_not_throttled_when_the_cache_is_down(facilitator):
    location = f"redis://127.0.0.1:{_closed_port()}/0"
    caches_down = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}
    }
    client = Client()
    try:
        with override_settings(CACHES=caches_down):
            answers = fail_times(client, "login", "ada", 2 * login_throttle.FAILURES_ALLOWED)
            succeeded = sign_in(client, "login", "ada", PASSWORD)
    finally:
        cache.close()

    assert answers == [200] * 10
    assert succeeded.status_code == 302 and signed_in(client)


def test_the_refusal_is_said_in_french_too(facilitator, settings):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    fail_times(client, "login", "ada", login_throttle.FAILURES_ALLOWED)

    refused = sign_in(client, "login", "ada", PASSWORD)

    assert refused.status_code == 429
    assert "Trop de connexions échouées pour ce nom d’utilisateur" in refused.text


class CountingHasher(MD5PasswordHasher):
    """The test hasher, counting the passwords it checks (across threads)."""

    checked = 0
    lock = threading.Lock()

    def verify(self, password, encoded):
        with CountingHasher.lock:
            CountingHasher.checked += 1
        return super().verify(password, encoded)


@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_passwords_have_exactly_five_checked(settings):
    settings.PASSWORD_HASHERS = ["tests.test_login_throttle.CountingHasher"]
    get_user_model().objects.create_user("ada", password=PASSWORD)
    CountingHasher.checked = 0
    start = threading.Barrier(59)

    def attempt(n: int) -> int:
        try:
            client = Client()
            start.wait(timeout=30)
            return sign_in(client, "login", "ada", f"guess-{n}").status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=59) as pool:
        answers = list(pool.map(attempt, range(59)))

    assert CountingHasher.checked == login_throttle.FAILURES_ALLOWED
    assert sorted(answers) == [200] * 5 + [429] * 54
    assert sign_in(Client(), "login", "ada", PASSWORD).status_code == 429
