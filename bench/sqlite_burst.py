"""The laptop default under a burst: N participants post a need in the same second to the
server `make run` starts (SQLite, the in-process channel layer, one process), and every post
must be saved and answered.

    .venv/bin/python bench/sqlite_burst.py                 # 50 participants, as make run serves
    .venv/bin/python bench/sqlite_burst.py --people 100 --rounds 3
    .venv/bin/python bench/sqlite_burst.py --server uvicorn

Prints, per round, how many posts were answered 200, what else came back, how many needs were
saved, and the answer times. Not part of the test suite; talks to 127.0.0.1 only and works in a
temporary directory of its own."""

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import (  # noqa: E402
    CSRF_SECRET,
    PYTHON,
    ROOT,
    HttpConnection,
    Server,
    free_port,
    load_average,
    machine,
    percentile,
    table,
)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3, help="bursts, one after the other")
    parser.add_argument(
        "--server",
        choices=["runserver", "uvicorn"],
        default="runserver",
        help="what serves: manage.py runserver (Daphne) or one uvicorn worker",
    )
    return parser.parse_args()


def make_run_env(database: Path) -> dict[str, str]:
    """As `make run`: DEBUG on, SQLite, no Redis."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "commonground.settings",
            "DEBUG": "true",
            "DATABASE_URL": f"sqlite:///{database}",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def build(env: dict[str, str], people: int) -> tuple[str, list[str]]:
    """A session in the needs phase with ``people`` participants; their device cookies."""
    script = f"""
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
          for _ in range({people})]
services.set_phase(live_session=s, phase=Phase.NEEDS)
print(s.code)
print("\\n".join(tokens))
"""
    import subprocess

    out = subprocess.run(
        [PYTHON, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    return out[0], out[1:]


def saved_needs(env: dict[str, str]) -> int:
    import subprocess

    script = "import django; django.setup(); from sessions.models import Need; print(Need.objects.count())"
    return int(
        subprocess.run(
            [PYTHON, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        ).stdout
    )


async def burst(port: int, code: str, tokens: list[str], round_number: int):
    """Every participant posts at the same instant (connections opened beforehand)."""
    connections = [HttpConnection(port) for _ in tokens]
    for conn in connections:
        await conn._connect()
    start = asyncio.Event()

    async def post(index: int, conn: HttpConnection):
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"cg_p_{code}={tokens[index]}; csrftoken={CSRF_SECRET}",
            "X-CSRFToken": CSRF_SECRET,
            "Origin": f"http://127.0.0.1:{port}",
            "HX-Request": "true",
        }
        body = f"text=Need+{round_number}-{index}+safer+visibility&context=".encode()
        await start.wait()
        sent = time.monotonic()
        try:
            status, _ = await conn.request("POST", f"/s/{code}/needs/", headers, body, timeout=60)
        except Exception:
            status = 0
        conn.close()
        return status, time.monotonic() - sent

    tasks = [asyncio.ensure_future(post(i, c)) for i, c in enumerate(connections)]
    await asyncio.sleep(0.2)
    start.set()
    return await asyncio.gather(*tasks)


def main() -> int:
    args = parse_args()
    print(f"# SQLite burst bench, {time.strftime('%Y-%m-%d')}, {machine()}")
    print(f"at start: {load_average()}", flush=True)
    rows, ok_all = [], True
    with tempfile.TemporaryDirectory(prefix="cg-burst-") as folder:
        env = make_run_env(Path(folder) / "db.sqlite3")
        code, tokens = build(env, args.people)
        port = free_port()
        if args.server == "runserver":
            argv = [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
        else:
            argv = [PYTHON, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port)]
            argv += ["--no-access-log", "--lifespan", "off", "commonground.asgi:application"]
        server = Server(argv, env, port, args.server)
        try:
            server.wait_ready()
            before = 0
            for round_number in range(1, args.rounds + 1):
                results = asyncio.run(burst(port, code, tokens, round_number))
                statuses = Counter(status for status, _ in results)
                times = [took for _, took in results]
                after = saved_needs(env)
                saved = after - before
                before = after
                ok_all &= statuses[200] == args.people and saved == args.people
                rows.append(
                    [
                        round_number,
                        args.people,
                        statuses[200],
                        dict(sorted((k, v) for k, v in statuses.items() if k != 200)) or "none",
                        saved,
                        f"{percentile(times, 50) * 1000:.0f}",
                        f"{percentile(times, 95) * 1000:.0f}",
                        f"{max(times) * 1000:.0f}",
                    ]
                )
                # Past the per-participant limit (6 needs a minute) a later round would be refused.
                time.sleep(1)
        finally:
            errors = server.tail(200)
            server.stop()
    print(f"server: {args.server} (as `make run`: DEBUG, SQLite, in-process layer)")
    print(
        table(
            ["round", "posts", "answered 200", "other", "saved", "p50 ms", "p95 ms", "max ms"],
            rows,
        )
    )
    if "database is locked" in errors:
        print("server log: 'database is locked' seen")
    print(f"at the end: {load_average()}")
    print("OK: every post saved and answered" if ok_all else "LOST OR REFUSED POSTS")
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
