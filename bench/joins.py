"""A plenary at the door: N phones join one session over D seconds through the real servers.

Starts uvicorn workers as production runs them (DEBUG=false, two workers sharing PostgreSQL
and Redis, rate limits ON) on a database of its own. Phones arrive evenly over the duration;
each opens its own connection (to one worker or the other, as a proxy would spread them), loads
the join page, posts the join form (CSRF, device cookie), and loads the participant page it is
sent to. Prints how many got in, how many were refused (and with what), how many met an error,
the join's answer time (the POST) and the whole way in (page, POST, participant page), and
checks that the participants stored equal the joins admitted. Beside it, in the same run, a bare
baseline: the same three requests against a server that does the join's transaction in
hand-written SQL with no framework (bench/_bare_join_server.py).

    .venv/bin/python bench/joins.py                  # 1,000 phones over 60 s
    .venv/bin/python bench/joins.py --phones 300 --duration 20 --runs 3

Not part of the test suite. Talks to 127.0.0.1 only; removes its servers and database on exit.
"""

import argparse
import asyncio
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter

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


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phones", type=int, default=1000)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of arrivals")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=1, help="runs of each server, alternating")
    parser.add_argument("--no-baseline", dest="baseline", action="store_false")
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


async def phone(port: int, code: str) -> tuple[str, float, float]:
    """One phone's way in: (outcome, POST seconds, whole seconds)."""
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
        post = headers() | {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-CSRFToken": CSRF_SECRET,
            "Origin": origin,
        }
        sent = time.monotonic()
        status, _ = await conn.request(
            "POST", f"/join/{code}/", post, b"presence=room&agree=on", timeout=30
        )
        took = time.monotonic() - sent
        cookies.update(conn.set_cookies)
        if status != 302:
            return str(status), took, time.monotonic() - started
        status, _ = await conn.request("GET", f"/s/{code}/", headers(), timeout=30)
        return ("admitted" if status == 200 else f"page {status}"), took, time.monotonic() - started
    except Exception as exc:
        return f"error {type(exc).__name__}", took, time.monotonic() - started
    finally:
        conn.close()


async def plenary(ports: list[int], code: str, phones: int, duration: float):
    interval = duration / phones

    async def arrive(index: int):
        await asyncio.sleep(index * interval)
        return await phone(ports[index % len(ports)], code)

    return await asyncio.wait_for(
        asyncio.gather(*(arrive(i) for i in range(phones))), duration + 120
    )


def measure(servers, phones: int, duration: float) -> dict:
    code = new_session()
    from django.db import connections

    connections.close_all()
    started = time.monotonic()
    results = asyncio.run(plenary([s.port for s in servers], code, phones, duration))
    outcomes = Counter(outcome for outcome, _, _ in results)
    admitted = [r for r in results if r[0] == "admitted"]
    return {
        "seconds": time.monotonic() - started,
        "outcomes": outcomes,
        "post": [took for _, took, _ in admitted],
        "whole": [whole for _, _, whole in admitted],
        "stored": stored_participants(code),
        "errors": [s.tail(8) for s in servers if "Traceback" in s.tail(300)],
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
            runs.append(("django", measure(servers, args.phones, args.duration)))
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
                runs.append(("bare", measure(servers, args.phones, args.duration)))
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
                "in DB",
                "check",
            ],
            [row(name, run, args.phones) for name, run in runs],
        )
    )
    for name, run in runs:
        if run["errors"]:
            print(f"{name} server errors:\n" + "\n".join(run["errors"]))
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
