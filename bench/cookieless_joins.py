"""A script at the door: how many participants a client that drops its cookies creates in 60 s.

Starts the servers as production runs them (DEBUG=false, two uvicorn workers sharing
PostgreSQL and Redis, rate limits ON, static files collected) on a database of its own, makes
a session, and lets an attacker on this same machine join it as fast as it can for the
duration. The attacker keeps no cookie between joins (no device cookie, no participant
cookie: each join is a new browser to the server); it sets the CSRF cookie and header itself,
as any script can. Where the server asks a proof of work (issue 21), the attacker fetches the
challenge and solves it natively in Python with the altcha library's own solver (OpenSSL's
PBKDF2, as fast per core as a browser's WebCrypto), on every core of the machine; beside it one
client tries the door without a proof (the way in for browsers without JavaScript), so both
ways count. Prints the participants created (counted in the database), the answers by kind,
the attacker's solving CPU, and the load.

    .venv/bin/python bench/cookieless_joins.py                 # this checkout, 60 s
    .venv/bin/python bench/cookieless_joins.py --source /tmp/cg-before --label before
    .venv/bin/python bench/cookieless_joins.py --runs 3

``--source`` serves another checkout (``git archive <commit> | tar -x -C DIR``), with this
checkout's virtualenv, so a before and an after run on the same machine in the same hour.

Not part of the test suite. Bounded: every loop stops at the deadline, every request has a
timeout, and it talks to 127.0.0.1 only; removes its servers and database on exit.
"""

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import (  # noqa: E402
    CSRF_SECRET,
    PYTHON,
    REDIS_BENCH_URL,
    ROOT,
    HttpConnection,
    base_env,
    create_database,
    drop_database,
    load_average,
    machine,
    raise_open_files_limit,
    start_servers,
    stop_servers,
    table,
)

DATABASE = "commonground_bench_cookieless"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of attack")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers")
    parser.add_argument(
        "--solvers", type=int, default=os.cpu_count() or 2, help="attacker's solving processes"
    )
    parser.add_argument("--clients", type=int, default=0, help="HTTP clients (default 2×solvers)")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--source", type=Path, default=ROOT, help="the checkout to serve")
    parser.add_argument("--label", default="", help="a name for the served code in the table")
    return parser.parse_args()


def manage(source: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def new_session(source: Path, env: dict[str, str]) -> str:
    code = (
        "from sessions import services; from taxonomy.queries import default_taxonomy; "
        "print(services.create_live_session(title='Door', taxonomy=default_taxonomy()).code)"
    )
    return manage(source, env, "shell", "-c", code).strip().splitlines()[-1]


def stored_participants(code: str) -> int:
    import psycopg

    with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={DATABASE}") as conn:
        row = conn.execute(
            "SELECT count(*) FROM live_sessions_participant p "
            "JOIN live_sessions_livesession s ON s.id = p.live_session_id WHERE s.code = %s",
            [code],
        ).fetchone()
    return row[0]


def solve(challenge: dict) -> tuple[str, float]:
    """In a solver process: the altcha payload for ``challenge`` and the CPU seconds it took."""
    import altcha

    started = time.process_time()
    parsed = altcha.Challenge.from_dict(challenge)
    solution = altcha.solve_challenge(parsed, timeout=60)
    if solution is None:
        return "", time.process_time() - started
    payload = altcha.Payload(parsed, solution).to_base64()
    return payload, time.process_time() - started


def _headers(port: int, form: bool = False) -> dict[str, str]:
    # No cookie but the CSRF one, which the script sets itself: every join is a new browser.
    headers = {"Cookie": f"csrftoken={CSRF_SECRET}"}
    if form:
        headers |= {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-CSRFToken": CSRF_SECRET,
            "Origin": f"http://127.0.0.1:{port}",
        }
    return headers


async def _post_join(conn: HttpConnection, port: int, code: str, proof: str = "") -> int:
    fields = {"presence": "room", "agree": "on"} | ({"altcha": proof} if proof else {})
    body = urlencode(fields).encode("ascii")
    status, _ = await conn.request("POST", f"/join/{code}/", _headers(port, True), body, 30)
    return status


async def attack(ports, code, duration, solvers, clients):
    """Join as fast as possible until the deadline; returns the answers by kind and the
    solvers' CPU seconds."""
    loop = asyncio.get_running_loop()
    deadline = time.monotonic() + duration
    outcomes: Counter = Counter()
    cpu: list[float] = []
    pool = ProcessPoolExecutor(max_workers=solvers)

    async def with_proof(index: int) -> None:
        port = ports[index % len(ports)]
        conn = HttpConnection(port)
        try:
            while time.monotonic() < deadline:
                try:
                    status, body = await conn.request(
                        "GET", f"/join/{code}/challenge/", _headers(port), timeout=30
                    )
                    if status == 404:  # no challenge on this server: straight in
                        proof = ""
                    elif status != 200:
                        outcomes[f"challenge {status}"] += 1
                        await asyncio.sleep(0.5)
                        continue
                    else:
                        proof, seconds = await loop.run_in_executor(pool, solve, json.loads(body))
                        cpu.append(seconds)
                    if time.monotonic() >= deadline:
                        break
                    status = await _post_join(conn, port, code, proof)
                    outcomes[("created" if status == 302 else str(status))] += 1
                    if status == 429:
                        await asyncio.sleep(1)
                except Exception as exc:  # a bench counts errors; it does not stop on them
                    outcomes[f"error {type(exc).__name__}"] += 1
                    conn.close()
                    await asyncio.sleep(0.2)
        finally:
            conn.close()

    async def without_proof() -> None:
        # The way in for browsers without JavaScript, tried beside the solvers.
        conn = HttpConnection(ports[0])
        try:
            while time.monotonic() < deadline:
                try:
                    status = await _post_join(conn, ports[0], code)
                    outcomes[("created, no proof" if status == 302 else f"{status}, no proof")] += 1
                    if status != 302:
                        await asyncio.sleep(1)
                except Exception as exc:
                    outcomes[f"error {type(exc).__name__}"] += 1
                    conn.close()
                    await asyncio.sleep(0.2)
        finally:
            conn.close()

    try:
        await asyncio.wait_for(
            asyncio.gather(*(with_proof(i) for i in range(clients)), without_proof()),
            duration + 90,
        )
    finally:
        pool.shutdown(cancel_futures=True)
    return outcomes, cpu


def measure(source: Path, env: dict, servers, args) -> dict:
    code = new_session(source, env)
    started = time.monotonic()
    clients = args.clients or 2 * args.solvers
    outcomes, cpu = asyncio.run(
        attack([s.port for s in servers], code, args.duration, args.solvers, clients)
    )
    return {
        "seconds": time.monotonic() - started,
        "outcomes": outcomes,
        "stored": stored_participants(code),
        "cpu": cpu,
        "load": os.getloadavg()[0],
        "errors": [s.tail(8) for s in servers if "Traceback" in s.tail(300)],
    }


def main() -> int:
    args = parse_args()
    raise_open_files_limit()
    source = args.source.resolve()
    label = args.label or ("this checkout" if source == ROOT else source.name)
    print(f"# cookieless joins, {time.strftime('%Y-%m-%d %H:%M')}, {machine()}")
    print(f"serving {source} ({label}); at start: {load_average()}", flush=True)
    static_root = tempfile.mkdtemp(prefix="bench-static-")
    env = base_env(
        DATABASE,
        DJANGO_SETTINGS_MODULE="bench._pages_settings",
        BENCH_STATIC_ROOT=static_root,
        REDIS_URL=REDIS_BENCH_URL,
        CHANNEL_LAYER_PREFIX=f"cgbench-{os.getpid()}-cookieless",
        RATE_LIMITS_ENABLED="true",
        PYTHONPATH=str(source),
    )
    create_database(DATABASE)
    servers: list = []
    runs: list[dict] = []
    try:
        manage(source, env, "migrate", "--noinput")
        manage(source, env, "load_taxonomy")
        manage(source, env, "collectstatic", "--noinput")
        print(
            f"{args.duration:g} s of attack; {args.workers} uvicorn workers, PostgreSQL, "
            f"Redis (pubsub), rate limits on; attacker: {args.solvers} solving processes, "
            f"{args.clients or 2 * args.solvers} clients with a proof, 1 without",
            flush=True,
        )
        for number in range(args.runs):
            servers = start_servers(env, args.workers, "cookieless", kind="uvicorn", cwd=source)
            runs.append(measure(source, env, servers, args))
            stop_servers(servers)
            servers = []
            print(f"run {number + 1} done; {load_average()}", flush=True)
    finally:
        stop_servers(servers)
        drop_database(DATABASE)
        shutil.rmtree(static_root, ignore_errors=True)

    print()
    rows = []
    for run in runs:
        created = run["stored"]
        cpu = run["cpu"]
        rows.append(
            [
                label,
                f"{run['seconds']:.0f}",
                created,
                f"{created / run['seconds']:.1f}",
                ", ".join(f"{k}: {v}" for k, v in sorted(run["outcomes"].items())),
                len(cpu),
                f"{statistics.median(cpu) * 1000:.0f}" if cpu else "n/a",
                f"{sum(cpu):.0f}" if cpu else "0",
                f"{run['load']:.1f}",
            ]
        )
    print(
        table(
            [
                "code",
                "seconds",
                "participants created",
                "per second",
                "answers",
                "challenges solved",
                "solve CPU p50 ms",
                "solve CPU s",
                "load",
            ],
            rows,
        )
    )
    created = [run["stored"] for run in runs]
    print(
        f"{label}: participants created in {args.duration:g} s: median "
        f"{statistics.median(created):.0f} (range {min(created)}–{max(created)}) over "
        f"{len(created)} run(s)"
    )
    for run in runs:
        if run["errors"]:
            print("server errors:\n" + "\n".join(run["errors"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
