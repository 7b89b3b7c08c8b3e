"""The laptop default under a burst: N participants post a need in the same second to the
server `make run` starts (SQLite, the in-process channel layer, one process), and every post
must be saved and answered.

    .venv/bin/python bench/sqlite_burst.py                 # 50 participants, 3 runs
    .venv/bin/python bench/sqlite_burst.py --people 100 --runs 3
    .venv/bin/python bench/sqlite_burst.py --server uvicorn

Prints, per round (run), how many posts were answered 200, what else came back, how many needs
were saved, the answer times and the burst's wall time (first post sent to last answer).

Beside each burst, in the same run and alternating with it, a bare baseline: the same N posts
as bare SQL, N threads each with its own sqlite3 connection to the same database file, opened
beforehand, released together, each inserting one need row (into the same table, with its
indexes) in its own transaction, with the pragmas and the transaction mode `make run` gives
Django (commonground/settings.py: WAL, synchronous=NORMAL, a 20 s busy timeout, BEGIN
IMMEDIATE, and foreign keys on as Django's SQLite backend sets them). It is timed from the
release until every insert is committed. That is the floor of the same concurrent write on the
same storage: what is left of the app's time above it is HTTP, the request's Python, the
reads and checks around the insert (the participant's row, the phase, the rate limit) and the
answer's rendering, which is what the ratio app/bare measures. Both queue on SQLite's single
writer lock; the bare threads hold it for microseconds, the app's requests for the whole
transaction. Even so the bare burst takes a hundred milliseconds or more, not the millisecond
or two of the same inserts one after the other: a writer that finds the lock taken sleeps in
SQLite's busy handler (steps of 1, 2, 5, 10 ... 100 ms) instead of queueing, and both figures
include that back-off.

The per-participant limit (6 needs a minute) refuses a 7th post within a minute: keep --runs
at 5 or under. Not part of the test suite; talks to 127.0.0.1 only and works in a temporary
directory of its own."""

import argparse
import asyncio
import os
import sqlite3
import sys
import tempfile
import threading
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
    median_range,
    percentile,
    spread,
    table,
)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument(
        "--runs",
        "--rounds",
        dest="runs",
        type=int,
        default=3,
        help="bursts, one after the other, each followed by its bare baseline",
    )
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


def build(env: dict[str, str], people: int) -> tuple[str, int, str, list[int], list[str]]:
    """A session in the needs phase with ``people`` participants: its code and pk, the needs'
    table, the participants' pks and their device cookies."""
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
from sessions.models import Need
print(s.code, s.pk, Need._meta.db_table)
print(" ".join(str(pk) for pk in s.participants.order_by("pk").values_list("pk", flat=True)))
print("\\n".join(tokens))
"""
    import subprocess

    lines = subprocess.run(
        [PYTHON, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout.splitlines()
    code, pk, needs_table = lines[0].split()
    participants = [int(value) for value in lines[1].split()]
    return code, int(pk), needs_table, participants, lines[2:]


def saved_needs(database: Path, needs_table: str) -> int:
    """Needs in the database (the app's and the bare baseline's inserts alike)."""
    conn = sqlite3.connect(database, timeout=20)
    try:
        return conn.execute(f'SELECT count(*) FROM "{needs_table}"').fetchone()[0]  # noqa: S608
    finally:
        conn.close()


def bare_burst(
    database: Path, needs_table: str, session_pk: int, participants: list[int], round_number: int
):
    """The bare baseline: one thread per participant, each with its own connection (as
    make run's Django has them: WAL, synchronous=NORMAL, busy timeout 20 s, foreign keys on),
    released together; each inserts one need in a BEGIN IMMEDIATE transaction. Returns
    ((outcome, seconds) per post, the burst's wall time); outcome 200 = committed."""
    ready = threading.Barrier(len(participants) + 1, timeout=30)
    go = threading.Event()
    results: list = [(0, float("nan"))] * len(participants)
    finished: list[float] = [float("nan")] * len(participants)

    def post(index: int, author: int) -> None:
        conn = sqlite3.connect(database, timeout=20, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            ready.wait()
            if not go.wait(30):
                return
            sent = time.monotonic()
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute(
                    f'INSERT INTO "{needs_table}" (live_session_id, author_id, status, '  # noqa: S608
                    "created, updated, text, context, edited, client_key) "
                    "VALUES (?, ?, 'visible', ?, ?, ?, '', 0, '')",
                    (
                        session_pk,
                        author,
                        time.strftime("%Y-%m-%d %H:%M:%S"),
                        time.strftime("%Y-%m-%d %H:%M:%S"),
                        f"Bare need {round_number}-{index} safer visibility",
                    ),
                )
                conn.execute("COMMIT")
                outcome = 200
            except sqlite3.Error as exc:
                outcome = type(exc).__name__ + ": " + str(exc)
            finished[index] = time.monotonic()
            results[index] = (outcome, finished[index] - sent)
        finally:
            conn.close()

    threads = [
        threading.Thread(target=post, args=(index, author), daemon=True)
        for index, author in enumerate(participants)
    ]
    for thread in threads:
        thread.start()
    ready.wait()
    started = time.monotonic()
    go.set()
    deadline = started + 60
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    wall = max((t for t in finished if t == t), default=float("nan")) - started
    return results, wall


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
    started = time.monotonic()
    start.set()
    results = await asyncio.wait_for(asyncio.gather(*tasks), 90)
    return results, time.monotonic() - started


def summarise(results, saved: int) -> dict:
    statuses = Counter(status for status, _ in results)
    times = [took for status, took in results if took == took]
    return {
        "answered": statuses[200],
        "other": dict(sorted((str(k), v) for k, v in statuses.items() if k != 200)) or "none",
        "saved": saved,
        "p50": percentile(times, 50),
        "p95": percentile(times, 95),
        "max": max(times, default=float("nan")),
    }


def main() -> int:
    args = parse_args()
    print(f"# SQLite burst bench, {time.strftime('%Y-%m-%d')}, {machine()}")
    print(f"at start: {load_average()}", flush=True)
    rows, ok_all = [], True
    app_runs, bare_runs = [], []
    with tempfile.TemporaryDirectory(prefix="cg-burst-") as folder:
        database = Path(folder) / "db.sqlite3"
        env = make_run_env(database)
        code, session_pk, needs_table, participants, tokens = build(env, args.people)
        port = free_port()
        if args.server == "runserver":
            argv = [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
        else:
            argv = [PYTHON, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port)]
            argv += ["--no-access-log", "--lifespan", "off", "commonground.asgi:application"]
        server = Server(argv, env, port, args.server)
        try:
            server.wait_ready()
            before = saved_needs(database, needs_table)
            print(
                f"{args.people} posts a burst, {args.runs} run(s), app and bare alternating",
                flush=True,
            )
            for round_number in range(1, args.runs + 1):
                results, wall = asyncio.run(burst(port, code, tokens, round_number))
                after = saved_needs(database, needs_table)
                app = {**summarise(results, after - before), "wall": wall}
                before = after
                time.sleep(1)
                results, wall = bare_burst(
                    database, needs_table, session_pk, participants, round_number
                )
                after = saved_needs(database, needs_table)
                bare = {**summarise(results, after - before), "wall": wall}
                before = after
                app_runs.append(app)
                bare_runs.append(bare)
                ok_all &= app["answered"] == args.people and app["saved"] == args.people
                ok_all &= bare["answered"] == args.people and bare["saved"] == args.people
                rows.append(
                    [
                        round_number,
                        args.people,
                        app["answered"],
                        app["other"],
                        app["saved"],
                        f"{app['p50'] * 1000:.0f}",
                        f"{app['p95'] * 1000:.0f}",
                        f"{app['max'] * 1000:.0f}",
                        f"{app['wall'] * 1000:.0f}",
                        f"{bare['answered']}/{bare['saved']}"
                        + ("" if bare["other"] == "none" else f" {bare['other']}"),
                        f"{bare['p50'] * 1000:.1f}",
                        f"{bare['p95'] * 1000:.1f}",
                        f"{bare['wall'] * 1000:.1f}",
                        f"{app['wall'] / bare['wall']:.0f}x",
                    ]
                )
                print(
                    f"run {round_number}: app burst {app['wall'] * 1000:.0f} ms, "
                    f"bare {bare['wall'] * 1000:.1f} ms; {load_average()}",
                    flush=True,
                )
                # Past the per-participant limit (6 needs a minute) a later round would be refused.
                time.sleep(1)
        finally:
            errors = server.tail(200)
            server.stop()
    print(f"server: {args.server} (as `make run`: DEBUG, SQLite, in-process layer)")
    print(
        table(
            [
                "round",
                "posts",
                "answered 200",
                "other",
                "saved",
                "p50 ms",
                "p95 ms",
                "max ms",
                "burst ms",
                "bare committed/saved",
                "bare p50 ms",
                "bare p95 ms",
                "bare burst ms",
                "burst app/bare",
            ],
            rows,
        )
    )
    if "database is locked" in errors:
        print("server log: 'database is locked' seen")
    for label, key in (("burst", "wall"), ("p50", "p50"), ("p95", "p95")):
        app = [run[key] * 1000 for run in app_runs]
        bare = [run[key] * 1000 for run in bare_runs]
        ratio = median_range([a / b for a, b in zip(app, bare, strict=True)], "{:.0f}")
        print(
            f"{label} ms: app {spread(app)}; bare {spread(bare, '{:.1f}')}; "
            f"app/bare {ratio[0]}x (range {ratio[1]})"
        )
    print(f"at the end: {load_average()}")
    print("OK: every post saved and answered" if ok_all else "LOST OR REFUSED POSTS")
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
