"""A plenary at the door: N phones join one session over D seconds through the real servers.

Starts uvicorn workers as production runs them (DEBUG=false, two workers sharing PostgreSQL
and Redis, rate limits ON) on a database of its own. Phones arrive evenly over the duration;
each opens its own connection (to one worker or the other, as a proxy would spread them), loads
the join page, fetches the door's proof-of-work challenge and solves it (below), posts the
join form with the solution (CSRF, device cookie), and loads the participant page it is sent
to. Prints how many got in, how many were refused (and with what), how many met an error, the
join's answer time (the POST), the time spent solving, and the whole way in (page, challenge,
solving, POST, participant page), and checks that the participants stored equal the joins
admitted. Beside it, in the same run, a bare baseline: the same requests against a server that
does the join's transaction in hand-written SQL with no framework and asks no proof
(bench/_bare_join_server.py).

How a phone solves (--solver):
- ``phone`` (the default): as a phone would, on its own CPU. 1,000 phones' searches are about
  1,000 × half a second of one core (sessions.proof_of_work), which this machine's two cores
  cannot do beside the servers in a minute: so each phone waits the time a phone takes for
  its challenge's answer (answer + 1 attempts × --phone-ms-per-attempt, measured in Chromium
  by bench/phone_join.py) and then posts a solution made with the server's key for a
  challenge it minted with that answer (one PBKDF2 here instead of the search). The server's
  whole cost is real: it issues every challenge the phones fetch, verifies every solution and
  records its single use. The challenge's ceiling follows the door's pace as the server's does.
- ``native``: each phone really solves the challenge it fetched, natively (OpenSSL), in a pool
  of --solvers processes on this machine: the honest CPU of a script, printed; with 1,000
  phones in 60 s it cannot keep up on two cores beside the servers (use fewer phones).

    .venv/bin/python bench/joins.py                  # 1,000 phones over 60 s
    .venv/bin/python bench/joins.py --phones 300 --duration 20 --runs 3
    .venv/bin/python bench/joins.py --phones 100 --solver native

Not part of the test suite. Talks to 127.0.0.1 only; removes its servers and database on exit.
"""

import argparse
import asyncio
import io
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter, deque
from concurrent.futures import ProcessPoolExecutor
from urllib.parse import urlencode

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import (  # noqa: E402
    CSRF_SECRET,
    REDIS_BENCH_URL,
    HttpConnection,
    base_env,
    create_database,
    drop_database,
    load_average,
    machine,
    percentile,
    raise_open_files_limit,
    setup_django,
    start_servers,
    stop_servers,
    table,
)

DATABASE = "commonground_bench_joins"
# A phone's time per attempt of the join challenge (PBKDF2/SHA-256 at the default cost),
# measured by bench/phone_join.py in Chromium at 390x844 with 4x CPU throttling inside half a
# core, the pessimistic phone (docs/door.md): the median over four runs of the time per
# attempt over all their answers (2.9 to 4.1 ms).
PHONE_MS_PER_ATTEMPT = 3.6


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phones", type=int, default=1000)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of arrivals")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=1, help="runs of each server, alternating")
    parser.add_argument("--no-baseline", dest="baseline", action="store_false")
    parser.add_argument("--solver", choices=["phone", "native"], default="phone")
    parser.add_argument(
        "--phone-ms-per-attempt",
        type=float,
        default=PHONE_MS_PER_ATTEMPT,
        help="a phone's time per attempt of the challenge (bench/phone_join.py measures it)",
    )
    parser.add_argument("--solvers", type=int, default=os.cpu_count() or 2)
    return parser.parse_args()


def new_session() -> str:
    from sessions import services
    from taxonomy.queries import default_taxonomy

    return services.create_live_session(title="Plenary", taxonomy=default_taxonomy()).code


def stored_participants(code: str) -> int:
    from django.db import connections

    from sessions.models import Participant

    count = Participant.objects.filter(live_session__code=code).count()
    connections.close_all()
    return count


class Door:
    """What the phones of one run share: the session, how they solve, and the pace of joins
    (the challenge's ceiling follows it, as the server's does)."""

    def __init__(self, live_session, solver: str, ms_per_attempt: float, pool=None) -> None:
        self.live_session = live_session
        self.solver = solver
        self.ms_per_attempt = ms_per_attempt
        self.pool = pool
        self.admitted_at: deque[float] = deque()
        self.solving: list[float] = []  # wall seconds a phone spent solving
        self.cpu: list[float] = []  # CPU seconds this machine spent solving (native)

    def pace(self) -> int:
        now = time.monotonic()
        while self.admitted_at and now - self.admitted_at[0] > 60:
            self.admitted_at.popleft()
        return len(self.admitted_at)

    async def solve(self, challenge: dict) -> str:
        started = time.monotonic()
        if self.solver == "native":
            loop = asyncio.get_running_loop()
            payload, cpu = await loop.run_in_executor(self.pool, solve_natively, challenge)
            self.cpu.append(cpu)
        else:
            from sessions import proof_of_work

            answer = random.randrange(proof_of_work.ceiling(self.pace()))
            # A phone's own CPU does the search; here the phone waits as long as it would.
            await asyncio.sleep((answer + 1) * self.ms_per_attempt / 1000)
            # Minting is two PBKDF2s: in a thread (hashlib releases the GIL), so that the
            # clients' event loop never stalls on it (on a loaded machine it did, by seconds).
            loop = asyncio.get_running_loop()
            payload = await loop.run_in_executor(None, minted_solution, self.live_session, answer)
        self.solving.append(time.monotonic() - started)
        return payload


def solve_natively(challenge: dict) -> tuple[str, float]:
    import altcha

    started = time.process_time()
    parsed = altcha.Challenge.from_dict(challenge)
    solution = altcha.solve_challenge(parsed, timeout=120)
    payload = altcha.Payload(parsed, solution).to_base64() if solution else ""
    return payload, time.process_time() - started


def minted_solution(live_session, answer: int) -> str:
    """A challenge made with the server's key and ``answer`` as its hidden counter, solved from
    that counter: what a phone posts after its search, without this machine doing the search."""
    import altcha

    from sessions import proof_of_work

    challenge = altcha.Challenge.from_dict(proof_of_work.new_challenge(live_session, answer=answer))
    solution = altcha.solve_challenge(challenge, counter_start=answer)
    return altcha.Payload(challenge, solution).to_base64()


async def phone(port: int, code: str, door: "Door | None") -> tuple[str, float, float]:
    """One phone's way in: (outcome, POST seconds, whole seconds). ``door`` None: the bare
    server, which asks no proof."""
    conn = HttpConnection(port)
    origin = f"http://127.0.0.1:{port}"
    cookies = {"csrftoken": CSRF_SECRET}
    started = time.monotonic()
    took = float("nan")
    try:

        def headers() -> dict[str, str]:
            return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}

        status, _ = await conn.request("GET", f"/join/{code}/", headers(), timeout=30)
        cookies.update(conn.set_cookies)
        if status != 200:
            return f"join page {status}", took, time.monotonic() - started
        fields = {"presence": "room", "agree": "on"}
        if door is not None:
            status, body = await conn.request(
                "GET", f"/join/{code}/challenge/", headers(), timeout=30
            )
            if status != 200:
                return f"challenge {status}", took, time.monotonic() - started
            fields["altcha"] = await door.solve(json.loads(body))
        post = headers() | {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-CSRFToken": CSRF_SECRET,
            "Origin": origin,
        }
        sent = time.monotonic()
        status, _ = await conn.request(
            "POST", f"/join/{code}/", post, urlencode(fields).encode(), timeout=30
        )
        took = time.monotonic() - sent
        cookies.update(conn.set_cookies)
        if status != 302:
            return str(status), took, time.monotonic() - started
        if door is not None:
            door.admitted_at.append(time.monotonic())
        status, _ = await conn.request("GET", f"/s/{code}/", headers(), timeout=30)
        return ("admitted" if status == 200 else f"page {status}"), took, time.monotonic() - started
    except Exception as exc:
        return f"error {type(exc).__name__}", took, time.monotonic() - started
    finally:
        conn.close()


async def plenary(ports: list[int], code: str, phones: int, duration: float, door):
    interval = duration / phones

    async def arrive(index: int):
        await asyncio.sleep(index * interval)
        return await phone(ports[index % len(ports)], code, door)

    return await asyncio.wait_for(
        asyncio.gather(*(arrive(i) for i in range(phones))), duration + 120
    )


def measure(servers, phones: int, duration: float, args, *, proof: bool = True) -> dict:
    code = new_session()
    from django.db import connections

    from sessions.models import LiveSession

    live_session = LiveSession.objects.get(code=code)
    connections.close_all()
    pool = ProcessPoolExecutor(args.solvers) if proof and args.solver == "native" else None
    door = Door(live_session, args.solver, args.phone_ms_per_attempt, pool) if proof else None
    started = time.monotonic()
    cpu_before = os.times()
    try:
        results = asyncio.run(plenary([s.port for s in servers], code, phones, duration, door))
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    cpu_after = os.times()
    connections.close_all()
    outcomes = Counter(outcome for outcome, _, _ in results)
    admitted = [r for r in results if r[0] == "admitted"]
    return {
        "seconds": time.monotonic() - started,
        "outcomes": outcomes,
        "post": [took for _, took, _ in admitted],
        "whole": [whole for _, _, whole in admitted],
        "stored": stored_participants(code),
        "errors": [s.tail(8) for s in servers if "Traceback" in s.tail(300)],
        "solving": door.solving if door else [],
        "solving_cpu": sum(door.cpu) if door else 0.0,
        # The bench process's own CPU (its HTTP clients, and the minting), beside the servers.
        "bench_cpu": (cpu_after.user + cpu_after.system) - (cpu_before.user + cpu_before.system),
    }


def row(name: str, run: dict, phones: int) -> list:
    outcomes = run["outcomes"]
    refused = {k: v for k, v in outcomes.items() if k[:1] == "4"}
    errors = {k: v for k, v in outcomes.items() if k != "admitted" and k not in refused}
    return [
        name,
        phones,
        outcomes["admitted"],
        refused or "none",
        errors or "none",
        f"{percentile(run['post'], 50) * 1000:.0f}",
        f"{percentile(run['post'], 95) * 1000:.0f}",
        f"{percentile(run['whole'], 50) * 1000:.0f}",
        f"{percentile(run['whole'], 95) * 1000:.0f}",
        f"{percentile(run['solving'], 50) * 1000:.0f}" if run["solving"] else "–",
        f"{percentile(run['solving'], 95) * 1000:.0f}" if run["solving"] else "–",
        run["stored"],
        "OK" if run["stored"] == outcomes["admitted"] else "MISMATCH",
    ]


def main() -> int:
    args = parse_args()
    raise_open_files_limit()
    started = time.monotonic()
    print(f"# joins bench, {time.strftime('%Y-%m-%d')}, {machine()}")
    print(f"at start: {load_average()}", flush=True)
    create_database(DATABASE)
    servers: list = []
    runs: list[tuple[str, dict]] = []
    # Pages are served from collected static files, as a deployment does (bench/pages.py).
    static = {
        "DJANGO_SETTINGS_MODULE": "bench._pages_settings",
        "BENCH_STATIC_ROOT": tempfile.mkdtemp(prefix="bench-static-"),
    }
    try:
        setup_django(base_env(DATABASE, **static))
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        call_command("load_taxonomy", verbosity=0, stdout=io.StringIO())
        call_command("collectstatic", interactive=False, verbosity=0)
        extra = {
            **static,
            "REDIS_URL": REDIS_BENCH_URL,
            "CHANNEL_LAYER_PREFIX": f"cgbench-{os.getpid()}-joins",
            "RATE_LIMITS_ENABLED": "true",
        }
        print(
            f"{args.phones} phones over {args.duration:g} s; {args.workers} uvicorn workers, "
            "PostgreSQL, Redis (pubsub), rate limits on",
            flush=True,
        )
        for number in range(args.runs):
            servers = start_servers(
                base_env(DATABASE, **extra), args.workers, "joins", kind="uvicorn"
            )
            runs.append(("django", measure(servers, args.phones, args.duration, args)))
            stop_servers(servers)
            print(f"run {number + 1}: django done; {load_average()}", flush=True)
            if args.baseline:
                servers = start_servers(
                    base_env(DATABASE),
                    args.workers,
                    "joins-bare",
                    app="bench._bare_join_server:app",
                    kind="uvicorn",
                )
                runs.append(
                    ("bare", measure(servers, args.phones, args.duration, args, proof=False))
                )
                stop_servers(servers)
                print(f"run {number + 1}: bare done; {load_average()}", flush=True)
    finally:
        stop_servers(servers)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:
            pass
        drop_database(DATABASE)
        shutil.rmtree(static["BENCH_STATIC_ROOT"], ignore_errors=True)

    print()
    print(
        table(
            [
                "server",
                "phones",
                "admitted",
                "refused",
                "errors",
                "join p50 ms",
                "join p95 ms",
                "way in p50 ms",
                "way in p95 ms",
                "solving p50 ms",
                "solving p95 ms",
                "in DB",
                "check",
            ],
            [row(name, run, args.phones) for name, run in runs],
        )
    )
    for name, run in runs:
        if run["errors"]:
            print(f"{name} server errors:\n" + "\n".join(run["errors"]))
    for name, run in runs:
        if name == "django":
            how = (
                f"natively here: {run['solving_cpu']:.0f} CPU s in {args.solvers} processes"
                if args.solver == "native"
                else f"as phones at {args.phone_ms_per_attempt:g} ms an attempt, on their CPUs"
            )
            print(f"solving {how}; the bench's own CPU {run['bench_cpu']:.0f} s")
    for name in ("django", "bare"):
        p95s = [percentile(run["post"], 95) * 1000 for n, run in runs if n == name]
        if p95s:
            print(
                f"{name}: join p95 median {statistics.median(p95s):.0f} ms "
                f"(range {min(p95s):.0f}-{max(p95s):.0f}) over {len(p95s)} run(s)"
            )
    print(f"total {time.monotonic() - started:.0f} s; at the end: {load_average()}")
    django_runs = [run for name, run in runs if name == "django"]
    ok = all(
        run["outcomes"]["admitted"] == args.phones and run["stored"] == args.phones
        for run in django_runs
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
