"""A plenary votes together: N phones that joined hold their sockets open, voting opens, and each
spends its dots at random moments within T seconds, through the real servers.

Starts uvicorn workers as production runs them (DEBUG=false, two workers sharing PostgreSQL
and Redis pubsub, rate limits ON) on a database of its own, with one session of --needs needs.
The phones come in through the real door first (join page, the door's challenge solved as
bench/joins.py's ``phone`` solver does without the wait, join form with CSRF, participant
page), each with its own cookies; then each opens its participant WebSocket (in client
processes of their own, bench/_wsclients.py) and keeps it open. Voting opens (set by the bench
process, so no push of its own), then every phone taps ``--dots`` times on different needs at
uniformly random moments within --window seconds: a POST to the vote view as htmx sends it,
each with its own client key, on the phone's own keep-alive connection, waiting at most
--timeout for each answer. Counted from outside: answers by status, p50/p95/max of the
answered taps, taps left without an answer, and the dots stored against the taps answered 200
(nothing lost or doubled); the sockets still open at the end and the pushes they received.

Beside it, in the same run, the bare baseline: the same phones' same taps at the same moments
against bench/_bare_write_server.py (the vote's transaction in hand-written SQL, no framework,
no push), after the app's dots are cleared.

    .venv/bin/python bench/plenary.py --phones 200 --runs 3
    .venv/bin/python bench/plenary.py --phones 1000 --dots 5 --window 30
    .venv/bin/python bench/plenary.py --tree /tmp/before   # the app from another checkout

Not part of the test suite. Talks to 127.0.0.1 only; every wait is bounded; removes its
servers, client processes and database on exit.
"""

import argparse
import asyncio
import io
import json
import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import (  # noqa: E402
    CSRF_SECRET,
    REDIS_BENCH_URL,
    ROOT,
    HttpConnection,
    base_env,
    create_database,
    drop_database,
    load_average,
    machine,
    percentile,
    quiet_setup_pushes,
    raise_open_files_limit,
    setup_django,
    start_servers,
    stop_servers,
    table,
)
from _wsclients import ClientPool  # noqa: E402

DATABASE = os.environ.get("BENCH_DATABASE", "commonground_bench_plenary")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phones", type=int, default=200)
    parser.add_argument("--dots", type=int, default=5, help="taps per phone (its budget)")
    parser.add_argument("--window", type=float, default=30.0, help="seconds the taps spread over")
    parser.add_argument("--needs", type=int, default=40)
    parser.add_argument("--timeout", type=float, default=60.0, help="a tap's longest wait")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=1, help="app and bare runs, alternating")
    parser.add_argument("--no-baseline", dest="baseline", action="store_false")
    parser.add_argument("--no-sockets", dest="sockets", action="store_false")
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--tree", help="run the app's servers from this checkout (a before)")
    args = parser.parse_args()
    if not 1 <= args.phones <= 5000 or not 1 <= args.dots <= 20 or args.dots > args.needs:
        parser.error("1-5000 phones, 1-20 dots, at most one dot per need")
    return args


def build_session(needs: int, dots: int):
    from sessions import services
    from sessions.enums import Presence
    from sessions.models import Need
    from taxonomy.queries import default_taxonomy

    quiet_setup_pushes()
    live_session = services.create_live_session(
        title="Plenary", taxonomy=default_taxonomy(), dot_budget=dots, dot_cap=dots
    )
    author, _ = services.join_session(
        live_session=live_session, presence=Presence.IN_ROOM, agreed=True
    )
    created = Need.objects.bulk_create(
        Need(live_session=live_session, author=author, text=f"Need {index}: safer visibility")
        for index in range(needs)
    )
    return live_session, [need.pk for need in created]


def open_voting(live_session) -> None:
    from sessions import services
    from sessions.enums import Phase

    services.set_phase(live_session=live_session, phase=Phase.VOTING)


def clear_dots(live_session) -> None:
    from django.db import connections

    from sessions.models import ClientWrite, Vote

    Vote.with_hidden.filter(live_session=live_session).delete()
    ClientWrite.objects.filter(participant__live_session=live_session).delete()
    connections.close_all()


def stored_dots(live_session) -> int:
    from django.db import connections
    from django.db.models import Sum

    from sessions.models import Vote

    total = Vote.with_hidden.filter(live_session=live_session).aggregate(total=Sum("dots"))
    connections.close_all()
    return total["total"] or 0


# --- the door -------------------------------------------------------------------------------


async def join(port: int, code: str, door) -> str | None:
    """One phone through the door; returns its participant cookie, or None."""
    conn = HttpConnection(port)
    cookies = {"csrftoken": CSRF_SECRET}

    def headers() -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}

    try:
        status, _ = await conn.request("GET", f"/join/{code}/", headers(), timeout=60)
        cookies.update(conn.set_cookies)
        status, body = await conn.request("GET", f"/join/{code}/challenge/", headers(), timeout=60)
        if status != 200:
            return None
        fields = {"presence": "room", "agree": "on", "altcha": await door.solve(json.loads(body))}
        post = headers() | {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-CSRFToken": CSRF_SECRET,
            "Origin": f"http://127.0.0.1:{port}",
        }
        status, _ = await conn.request(
            "POST", f"/join/{code}/", post, urlencode(fields).encode(), timeout=60
        )
        cookies.update(conn.set_cookies)
        if status != 302:
            return None
        door.admitted_at.append(time.monotonic())
        return cookies.get(f"cg_p_{code}")
    except Exception:
        return None
    finally:
        conn.close()


async def join_all(ports, code, phones, door, concurrency=16) -> list[str]:
    semaphore = asyncio.Semaphore(concurrency)

    async def one(index: int):
        async with semaphore:
            return await join(ports[index % len(ports)], code, door)

    tokens = await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(phones))), 900)
    return [token for token in tokens if token]


# --- the taps -------------------------------------------------------------------------------


def schedule(tokens, needs, dots, window, seed) -> list[list[tuple[float, int]]]:
    """Each phone's taps: (moment within the window, need), on different needs."""
    rng = random.Random(seed)
    return [
        sorted(
            zip((rng.uniform(0, window) for _ in range(dots)), rng.sample(needs, dots), strict=True)
        )
        for _ in tokens
    ]


async def tap_all(ports, code, tokens, taps, timeout) -> tuple[list[tuple[int, float]], float]:
    """Every phone taps at its moments, on its own connection: (status, seconds) per tap,
    status 0 for no answer within ``timeout``. A phone's next tap waits for the answer to the
    one before (one hand, one button), as the outbox sends one item at a time."""
    results: list[tuple[int, float]] = []
    start = time.monotonic()

    async def phone(index: int) -> None:
        port = ports[index % len(ports)]
        conn = HttpConnection(port)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"cg_p_{code}={tokens[index]}; csrftoken={CSRF_SECRET}",
            "X-CSRFToken": CSRF_SECRET,
            "Origin": f"http://127.0.0.1:{port}",
            "HX-Request": "true",
        }
        try:
            for moment, need in taps[index]:
                await asyncio.sleep(max(0.0, start + moment - time.monotonic()))
                body = urlencode(
                    {
                        "kind": "need",
                        "item": need,
                        "action": "add",
                        "client_key": secrets.token_hex(8),
                    }
                ).encode()
                sent = time.monotonic()
                try:
                    status, _ = await conn.request(
                        "POST", f"/s/{code}/vote/", headers, body, timeout=timeout
                    )
                except Exception:
                    conn.close()
                    status = 0
                results.append((status, time.monotonic() - sent))
        finally:
            conn.close()

    budget = max(moment for phone_taps in taps for moment, _ in phone_taps) + timeout * 6 + 30
    await asyncio.wait_for(asyncio.gather(*(phone(i) for i in range(len(tokens)))), budget)
    return results, time.monotonic() - start


def socket_specs(ports, code, tokens):
    return [
        (
            f"ws://127.0.0.1:{ports[index % len(ports)]}/ws/s/{code}/participant/",
            {"Cookie": f"cg_p_{code}={token}"},
            f"http://127.0.0.1:{ports[index % len(ports)]}",
            "participant",
        )
        for index, token in enumerate(tokens)
    ]


def measure(servers, live_session, tokens, taps, args, clients=None) -> dict:
    ports = [server.port for server in servers]
    sockets = {}
    if clients is not None:
        ok, failed, errors, seconds = clients.connect(
            socket_specs(ports, live_session.code, tokens), args.client_processes
        )
        sockets = {"open": ok, "failed": failed, "errors": errors, "connect_s": seconds}
        clients.mark()
    before = stored_dots(live_session)
    results, seconds = asyncio.run(tap_all(ports, live_session.code, tokens, taps, args.timeout))
    if clients is not None:
        records, _stats = clients.collect(target=10**12, timeout=2)
        received = [len(seqs) for _kind, seqs, _times, _sizes in records]
        sockets["pushes_median"] = statistics.median(received) if received else 0
        sockets["got_none"] = sum(1 for count in received if count == 0)
    statuses = Counter(status for status, _ in results)
    return {
        "seconds": seconds,
        "statuses": statuses,
        "answered": [took for status, took in results if status != 0],
        "ok": [took for status, took in results if status == 200],
        "stored": stored_dots(live_session) - before,
        "sockets": sockets,
        "errors": [s.tail(6) for s in servers if "Traceback" in s.tail(300)],
        "load": load_average(),
    }


def row(name: str, index: int, run: dict, taps: int) -> list:
    statuses, answered = run["statuses"], run["answered"]
    sockets = run["sockets"]
    return [
        name,
        index,
        taps,
        statuses[200],
        dict(sorted((k, v) for k, v in statuses.items() if k not in (0, 200))) or "none",
        statuses[0],
        f"{percentile(answered, 50) * 1000:.0f}",
        f"{percentile(answered, 95) * 1000:.0f}",
        f"{max(answered, default=float('nan')) * 1000:.0f}",
        f"{run['seconds']:.0f}",
        run["stored"],
        "OK" if run["stored"] == statuses[200] else "MISMATCH",
        f"{sockets['open']}/{sockets['open'] + sockets['failed']}, "
        f"{sockets['pushes_median']:.0f} pushes, {sockets['got_none']} got none"
        if sockets
        else "-",
        run["load"],
    ]


def main() -> int:
    args = parse_args()
    raise_open_files_limit()
    started = time.monotonic()
    print(f"# plenary bench, {time.strftime('%Y-%m-%d')}, {machine()}")
    print(f"at start: {load_average()}", flush=True)
    create_database(DATABASE)
    static = {
        "DJANGO_SETTINGS_MODULE": "bench._pages_settings",
        "BENCH_STATIC_ROOT": tempfile.mkdtemp(prefix="bench-static-"),
    }
    servers: list = []
    clients = None
    runs: list[tuple[str, int, dict]] = []
    try:
        setup_django(base_env(DATABASE, **static))
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        call_command("load_taxonomy", verbosity=0, stdout=io.StringIO())
        call_command("collectstatic", interactive=False, verbosity=0)
        live_session, needs = build_session(args.needs, args.dots)
        from django.db import connections
        from joins import Door

        connections.close_all()
        extra = {
            **static,
            "REDIS_URL": REDIS_BENCH_URL,
            "CHANNEL_LAYER_BACKEND": "pubsub",
            "CHANNEL_LAYER_PREFIX": f"cgbench-{os.getpid()}-plenary",
            "RATE_LIMITS_ENABLED": "true",
        }
        tree = Path(args.tree) if args.tree else ROOT
        if args.sockets:
            clients = ClientPool(args.client_processes)
        for index in range(1, args.runs + 1):
            servers = start_servers(
                base_env(DATABASE, **extra), args.workers, "plenary", kind="uvicorn", cwd=tree
            )
            if index == 1:
                door = Door(live_session, "phone", 0.0)
                joined = time.monotonic()
                ports = [server.port for server in servers]
                tokens = asyncio.run(join_all(ports, live_session.code, args.phones, door))
                print(
                    f"{len(tokens)} of {args.phones} phones joined through the door in "
                    f"{time.monotonic() - joined:.0f} s; {load_average()}",
                    flush=True,
                )
                open_voting(live_session)
                connections.close_all()
                print(
                    f"session {live_session.code}: {len(needs)} needs, {args.dots} dots a phone "
                    f"within {args.window:g} s ({len(tokens) * args.dots / args.window:.0f} taps/s "
                    f"offered); {args.workers} uvicorn workers ({tree}), PostgreSQL, Redis "
                    "pubsub, rate limits on",
                    flush=True,
                )
            taps = schedule(tokens, needs, args.dots, args.window, seed=index)
            clear_dots(live_session)
            run = measure(servers, live_session, tokens, taps, args, clients)
            runs.append(("django", index, run))
            stop_servers(servers)
            servers = []
            print(f"run {index} django: p95 {percentile(run['answered'], 95):.2f} s", flush=True)
            if args.baseline:
                clear_dots(live_session)
                servers = start_servers(
                    base_env(DATABASE, BARE_BUMP="after"),
                    args.workers,
                    "plenary-bare",
                    app="bench._bare_write_server:app",
                    kind="uvicorn",
                )
                run = measure(servers, live_session, tokens, taps, args)
                runs.append(("bare", index, run))
                stop_servers(servers)
                servers = []
                print(f"run {index} bare: p95 {percentile(run['answered'], 95):.2f} s", flush=True)
    finally:
        stop_servers(servers)
        if clients is not None:
            clients.close()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:
            pass
        drop_database(DATABASE)
        shutil.rmtree(static["BENCH_STATIC_ROOT"], ignore_errors=True)

    taps_count = len(tokens) * args.dots
    print()
    print(
        table(
            [
                "server",
                "run",
                "taps",
                "200",
                "other answers",
                "no answer",
                "p50 ms",
                "p95 ms",
                "max ms",
                "drained s",
                "dots stored",
                "check",
                "sockets open, pushes each",
                "load after",
            ],
            [row(name, index, run, taps_count) for name, index, run in runs],
        )
    )
    for name, index, run in runs:
        if run["errors"]:
            print(f"{name} run {index} server errors:\n" + "\n".join(run["errors"]))
    for name in ("django", "bare"):
        p95 = [percentile(run["answered"], 95) * 1000 for n, _, run in runs if n == name]
        p50 = [percentile(run["answered"], 50) * 1000 for n, _, run in runs if n == name]
        if p95:
            print(
                f"{name}: p50 median {statistics.median(p50):.0f} ms "
                f"({min(p50):.0f}-{max(p50):.0f}), p95 median {statistics.median(p95):.0f} ms "
                f"({min(p95):.0f}-{max(p95):.0f}) over {len(p95)} run(s)"
            )
    print(f"total {time.monotonic() - started:.0f} s; at the end: {load_average()}")
    return 0 if all(run["stored"] == run["statuses"][200] for _, _, run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
