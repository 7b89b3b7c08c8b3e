"""The laptop default holds a room: 50 participants post a need in the same instant to the
server `make run` starts (DEBUG, a SQLite file, the in-process channel layer, one process), and
every post is saved and answered. Before SQLite ran immediate transactions, 14 to 18 of 50 were
saved and the rest answered 503 "database is locked" (bench/sqlite_burst.py).

Runs its own server on a SQLite file of its own, whatever database the suite uses."""

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
PEOPLE = 50
CSRF = "c" * 32

SETUP = f"""
import django, io
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("load_taxonomy", verbosity=0, stdout=io.StringIO())
from sessions import services
from sessions.enums import Phase
from taxonomy.queries import default_taxonomy
s = services.create_live_session(title="Burst", taxonomy=default_taxonomy())
tokens = [services.join_session(live_session=s, presence="room", agreed=True)[1]
          for _ in range({PEOPLE})]
services.set_phase(live_session=s, phase=Phase.NEEDS)
print(s.code, *tokens)
"""
COUNT = (
    "import django; django.setup(); from sessions.models import Need; print(Need.objects.count())"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def make_run_server(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="commonground.settings",
        DEBUG="true",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    python = [sys.executable, "-c"]
    code, *tokens = subprocess.run(
        [*python, SETUP], cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "runserver did not start"
                time.sleep(0.1)

        def saved() -> int:
            out = subprocess.run(
                [*python, COUNT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
            )
            return int(out.stdout)

        yield f"http://127.0.0.1:{port}", code, tokens, saved
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_fifty_participants_posting_at_once_are_all_saved_and_answered(make_run_server):
    base, code, tokens, saved = make_run_server
    barrier = threading.Barrier(PEOPLE)
    statuses = [0] * PEOPLE

    def post(index: int) -> None:
        cookies = {f"cg_p_{code}": tokens[index], "csrftoken": CSRF}
        headers = {"X-CSRFToken": CSRF, "Origin": base, "HX-Request": "true"}
        with httpx.Client(base_url=base, cookies=cookies, headers=headers, timeout=60) as client:
            client.get("/").raise_for_status()  # connected and warm before the instant
            barrier.wait()
            statuses[index] = client.post(
                f"/s/{code}/needs/", data={"text": f"Need {index}: safer visibility"}
            ).status_code

    threads = [threading.Thread(target=post, args=(i,)) for i in range(PEOPLE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)

    assert statuses == [200] * PEOPLE
    assert saved() == PEOPLE
