"""Concurrent writes through the real server: throughput, response times, and none lost.

Starts ASGI workers (DEBUG=false; two behind no proxy with Redis, writers split across their
ports) on a PostgreSQL database of its own, and lets 200 participants, each with their own
device cookie and keep-alive connection, send one of a plenary's writes back to back (htmx
requests, as the phone's outbox sends them) for a bounded time:

- ``--write vote`` (the default): a dot on a need or a mapping, in the voting phase;
- ``--write need``: a new need, in the needs phase;
- ``--write map``: a need mapped onto one strategy (a pair nobody mapped yet), in the mapping
  phase.

Then checks that the dots, needs or mappings stored in the database equal the number of
successful (200) answers, and runs the same writes against bench/_bare_write_server.py (the
write's transaction in hand-written SQL, no framework), alternating with the app.

The per-participant rate limit (WRITES_PER_MINUTE = 40) would cap 200 participants at 133
writes/s, so the servers run with RATE_LIMITS_ENABLED=false (say --rate-limits to keep it).

    .venv/bin/python bench/writes.py                # 200 voters for 20 s (about 1 minute)
    .venv/bin/python bench/writes.py --quick        # 200 voters for 8 s
    .venv/bin/python bench/writes.py --quick --write need
    .venv/bin/python bench/writes.py --quick --write need --no-vacuum   # one long burst

Not part of the test suite. Talks to 127.0.0.1 only; removes its servers and database on exit.
"""

import argparse
import asyncio
import functools
import io
import itertools
import os
import random
import re
import secrets
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import (  # noqa: E402
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
    spread,
    start_servers,
    stop_servers,
    table,
    vote_headers,
)

DATABASE = os.environ.get("BENCH_DATABASE", "commonground_bench_writes")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="8 seconds instead of 20")
    parser.add_argument(
        "--write", choices=["vote", "need", "map"], default="vote", help="which write to send"
    )
    parser.add_argument("--voters", type=int, default=200)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of voting")
    parser.add_argument(
        "--layer",
        choices=["core", "pubsub", "memory"],
        default="core",
        help="channel layer: Redis core or pubsub (2 workers), or in-memory (1 worker)",
    )
    parser.add_argument("--workers", type=int, help="default 2 with Redis, 1 in memory")
    parser.add_argument(
        "--server", choices=["daphne", "uvicorn"], default="daphne", help="ASGI server"
    )
    parser.add_argument("--needs", type=int, default=300)
    parser.add_argument(
        "--runs", type=int, default=3, help="app and bare runs, alternating (default 3)"
    )
    parser.add_argument("--coalesce", type=float, default=0.25, help="LIVE_COALESCE_SECONDS")
    parser.add_argument(
        "--rate-limits", action="store_true", help="keep the per-participant rate limit on"
    )
    parser.add_argument(
        "--no-baseline",
        dest="baseline",
        action="store_false",
        help="skip the bare baseline (the same votes without the framework)",
    )
    parser.add_argument(
        "--bare-bump",
        choices=["after", "inside"],
        default="after",
        help="the bare transaction bumps the session's sequence after commit (as the app "
        "does now) or inside the transaction (as the app did before)",
    )
    parser.add_argument(
        "--no-vacuum",
        dest="vacuum",
        action="store_false",
        help="vacuum only before the first run: each later run meets the dead rows of the runs "
        "before it, as the later seconds of one long burst do (the session table's pages are "
        "printed after each run)",
    )
    parser.add_argument(
        "--tree",
        help="run the app's servers from this checkout (another commit, for a before and after)",
    )
    args = parser.parse_args()
    if args.quick:
        args.duration = min(args.duration, 8.0)
    if args.workers is None:
        args.workers = 1 if args.layer == "memory" else 2
    return args


PHASE_FOR = {"vote": "voting", "need": "needs", "map": "mapping"}


def build_session(voters: int, need_count: int, write: str = "vote"):
    """A session in the write's phase with ``voters`` participants and ``need_count`` needs.
    Returns (session, device tokens, what to write on): for votes, (kind, id) of every need
    and mapping; for mappings, the session's strategy ids and needs (mapped by nobody yet)."""
    from django.core.management import call_command

    from sessions import services
    from sessions.enums import Presence
    from sessions.models import Mapping, Need
    from taxonomy.models import Strategy
    from taxonomy.queries import default_taxonomy

    call_command("migrate", verbosity=0)
    call_command("load_taxonomy", verbosity=0, stdout=io.StringIO())
    quiet_setup_pushes()
    live_session = services.create_live_session(
        title="Writes bench", taxonomy=default_taxonomy(), dot_budget=30000, dot_cap=30000
    )
    tokens = [
        services.join_session(
            live_session=live_session,
            presence=Presence.REMOTE if index % 4 == 0 else Presence.IN_ROOM,
            agreed=True,
        )[1]
        for index in range(voters)
    ]
    authors = list(live_session.participants.all())
    needs = Need.objects.bulk_create(
        Need(
            live_session=live_session,
            author=authors[index % len(authors)],
            # Votes keep the text their figures were first measured with; needs and mappings
            # get a room's variety, since a need posted is compared with the others (merge
            # suggestions) and near-identical texts would make every pair a suggestion.
            text=(
                f"Need {index}: safer visibility for queer creators"
                if write == "vote"
                else need_text(index, -1)
            ),
        )
        for index in range(need_count)
    )
    strategies = list(Strategy.objects.filter(taxonomy=live_session.taxonomy).order_by("pk"))
    if write != "vote":
        # As in a room, the needs already there have been compared (merge suggestions) before
        # the next is posted.
        while services.refresh_merge_suggestions(live_session=live_session):
            pass
    services.set_phase(live_session=live_session, phase=PHASE_FOR[write])
    if write == "map":
        return live_session, tokens, ([s.pk for s in strategies], [n.pk for n in needs])
    mappings = Mapping.objects.bulk_create(
        Mapping(
            live_session=live_session,
            need=need,
            author=need.author,
            strategy=strategies[index % len(strategies)],
        )
        for index, need in enumerate(needs)
    )
    items = [("need", n.pk) for n in needs] + [("mapping", m.pk) for m in mappings]
    return live_session, tokens, items


# The field's words (a need's topic) and the taxonomy's wider vocabulary (the rest of what
# people write): 1,000 such needs make about a dozen pairs alike enough to suggest merging,
# as a room's duplicates would; words of a few dozen alone made one in nine pairs alike, and
# the merge suggestions' cost with them.
_FIELD = (  # noqa: SIM905 (a sentence reads better than a list of 34 strings)
    "safer visibility trans queer creators artists posts hidden shadowban appeal contest "
    "legal help data collection opt out dating apps recommendations pronouns deadnaming "
    "moderation reports harassment feed ranking audit explain why tiktok instagram youtube"
).split()


@functools.cache
def _wide_vocabulary() -> list[str]:
    with open(ROOT / "taxonomy" / "data" / "commonground-taxonomy.yaml", encoding="utf-8") as file:
        data = yaml.safe_load(file)
    words = set()
    for item in data["strategies"] + data["cases"]:
        for key in ("name", "summary", "description"):
            if isinstance(item.get(key), str):
                words |= {word.lower() for word in re.findall(r"[^\W\d_]{4,}", item[key])}
    return sorted(words)


def need_text(index: int, step: int) -> str:
    """A topic of the field and a few other words, the same for the same writer and step."""
    rng = random.Random(index * 100_003 + step)
    return " ".join(
        rng.sample(_FIELD, rng.randint(1, 3)) + rng.sample(_wide_vocabulary(), rng.randint(3, 7))
    )


# Mappings: every request maps a pair nobody mapped yet, across all runs of this process (the
# app's and the bare runs share the database), so that each 200 is one mapping stored.
_pairs = itertools.count()


def write_request(write: str, code: str, items, index: int, step: int) -> tuple[str, bytes]:
    """The path and body of one write, with its key, as the phone's outbox sends it."""
    key = secrets.token_hex(8)
    if write == "need":
        body = urlencode({"text": need_text(index, step), "context": "", "submission_id": key})
        return f"/s/{code}/needs/", body.encode()
    if write == "map":
        strategies, needs = items
        pair = next(_pairs)
        need, strategy = needs[pair % len(needs)], strategies[pair // len(needs) % len(strategies)]
        if pair >= len(needs) * len(strategies):
            raise RuntimeError("every pair is mapped: raise --needs")
        return (
            f"/s/{code}/needs/{need}/map/",
            f"strategies={strategy}&reason=&client_key={key}".encode(),
        )
    kind, item = items[(index * 7 + step) % len(items)]
    return f"/s/{code}/vote/", f"kind={kind}&item={item}&action=add&client_key={key}".encode()


async def run_voters(ports, code, tokens, items, duration, per_voter=None, write="vote"):
    """Each voter posts votes back to back until the deadline. Returns (results, seconds)
    where results are (status, seconds, started) per request; status 0 = no answer."""
    results = []
    start = time.monotonic()
    deadline = start + duration

    async def voter(index: int) -> None:
        port = ports[index % len(ports)]
        conn = HttpConnection(port)
        headers = vote_headers(code, tokens[index], port)
        step = 0
        try:
            while time.monotonic() < deadline and (per_voter is None or step < per_voter):
                path, body = write_request(write, code, items, index, step)
                step += 1
                sent = time.monotonic()
                try:
                    status, _ = await conn.request("POST", path, headers, body, timeout=30)
                except Exception:
                    conn.close()
                    status = 0
                results.append((status, time.monotonic() - sent, sent))
        finally:
            conn.close()

    await asyncio.wait_for(asyncio.gather(*(voter(i) for i in range(len(tokens)))), duration + 60)
    return results, time.monotonic() - start


def stored(live_session, write: str = "vote") -> int:
    """The dots, needs or mappings stored in the session."""
    from django.db import connections
    from django.db.models import Sum

    from sessions.models import Mapping, Need, Vote

    if write == "need":
        total = Need.objects.filter(live_session=live_session).count()
    elif write == "map":
        total = Mapping.objects.filter(live_session=live_session).count()
    else:
        total = Vote.objects.filter(live_session=live_session).aggregate(total=Sum("dots"))["total"]
    connections.close_all()
    return total or 0


def forget_written(live_session, write: str, seeded_up_to: int, vacuumed: bool = True) -> None:
    """Every run posts needs or maps them on the session as it was built: what a run wrote
    goes, so that the next run (the app's or the bare one's) does not meet thousands more
    needs to compare with (merge suggestions) than the first did."""
    from django.db import connections

    from sessions.models import ClientWrite, Mapping, Need

    if write == "need":
        Need.objects.filter(live_session=live_session, pk__gt=seeded_up_to).delete()
    elif write == "map":
        Mapping.objects.filter(live_session=live_session).delete()
        ClientWrite.objects.filter(participant__live_session=live_session).delete()
    if vacuumed:
        vacuum()
    else:
        print(f"  the sessions' table: {session_pages()}", flush=True)
    connections.close_all()


def session_pages() -> str:
    """The pages of the sessions' table and the dead versions counted in it: one session's
    row, which every write bumps."""
    from django.db import connections

    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT pg_relation_size(relid) / current_setting('block_size')::int, n_dead_tup"
            " FROM pg_stat_user_tables WHERE relname = 'live_sessions_livesession'"
        )
        pages, dead = cursor.fetchone()
    return f"{pages} pages, {dead} dead versions counted"


def vacuum() -> None:
    """Every run starts from a database without dead rows: not those of the deletes above, nor
    of the session's row, which every write bumps (its sequence), nor the participants' rows.
    With only the needs', mappings' and keys' tables vacuumed, each run was slower than the
    one before, the bare ones most (needs: 861, 467, 293 a second; the app 306, 269, 207),
    which made a later run's ratio look better than the first's; with the whole database
    vacuumed, 951, 856, 999 and 307, 288, 330 (docs/performance.md)."""
    from django.db import connections

    with connections["default"].cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def measure(servers, live_session, tokens, items, duration, write="vote") -> dict:
    """Warm up (every writer's first write, not timed), then write for ``duration`` seconds;
    what is stored meanwhile must equal the writes answered 200."""
    ports = [server.port for server in servers]
    before = stored(live_session, write)
    code = live_session.code
    warmup, _ = asyncio.run(run_voters(ports, code, tokens, items, 30, per_voter=1, write=write))
    results, seconds = asyncio.run(run_voters(ports, code, tokens, items, duration, write=write))
    statuses = Counter(status for status, _, _ in results)
    warmup_ok = sum(1 for status, _, _ in warmup if status == 200)
    return {
        "seconds": seconds,
        "requests": len(results),
        "statuses": statuses,
        "ok": [took for status, took, _ in results if status == 200],
        "warmup_ok": warmup_ok,
        "stored": stored(live_session, write) - before,
        "expected": statuses[200] + warmup_ok,
        "errors": [server.tail(5) for server in servers if "Traceback" in server.tail(200)],
    }


def row(name: str, args, run: dict) -> list:
    statuses, ok, seconds = run["statuses"], run["ok"], run["seconds"]
    return [
        name,
        run["index"],
        args.voters,
        args.workers,
        args.layer if name == "django" else "-",
        f"{seconds:.1f}",
        run["requests"],
        statuses[200],
        f"{rate(run):.0f}",
        f"{percentile(ok, 50) * 1000:.0f}",
        f"{percentile(ok, 95) * 1000:.0f}",
        f"{percentile(ok, 99) * 1000:.0f}",
        dict(sorted((k, v) for k, v in statuses.items() if k != 200)) or "none",
        run["stored"],
        run["expected"],
        "OK" if run["stored"] == run["expected"] else "MISMATCH",
        run["load"],
    ]


def rate(run: dict) -> float:
    return run["statuses"][200] / run["seconds"]


def main() -> int:
    args = parse_args()
    raise_open_files_limit()
    started = time.monotonic()
    print(f"# writes bench ({args.write}), {time.strftime('%Y-%m-%d')}, {machine()}")
    print(f"at start: {load_average()}", flush=True)
    create_database(DATABASE)
    servers: list = []
    runs: list[tuple[str, dict]] = []
    try:
        setup_django(base_env(DATABASE, RATE_LIMITS_ENABLED="false", LIVE_COALESCE_SECONDS="0"))
        if args.write == "map":  # enough pairs for every run: needs × strategies
            args.needs = max(args.needs, 1500)
        live_session, tokens, items = build_session(args.voters, args.needs, args.write)
        from sessions.models import Need

        seeded_up_to = Need.objects.filter(live_session=live_session).latest("pk").pk
        from django.db import connections

        connections.close_all()
        extra = {
            "LIVE_COALESCE_SECONDS": str(args.coalesce),
            "RATE_LIMITS_ENABLED": "true" if args.rate_limits else "false",
        }
        if args.layer != "memory":
            extra.update(
                {
                    "REDIS_URL": REDIS_BENCH_URL,
                    "CHANNEL_LAYER_BACKEND": args.layer,
                    "CHANNEL_LAYER_PREFIX": f"cgbench-{os.getpid()}-writes",
                }
            )
        print(
            f"session {live_session.code}: {args.voters} writers of {args.write}s, "
            f"{args.needs} needs; "
            f"{args.workers} {args.server} worker(s), layer {args.layer}, "
            f"LIVE_COALESCE_SECONDS={args.coalesce:g}, "
            f"rate limits {'on' if args.rate_limits else 'off (RATE_LIMITS_ENABLED=false)'}; "
            f"bare bumps the sequence {args.bare_bump} its transaction; "
            f"{args.runs} run(s), the app and the bare baseline alternating",
            flush=True,
        )
        vacuum()  # the first run starts as the others do
        # Alternating app and bare runs: a change of load on the shared machine shows in both.
        for index in range(1, args.runs + 1):
            servers = start_servers(
                base_env(DATABASE, **extra),
                args.workers,
                "writes",
                kind=args.server,
                cwd=Path(args.tree) if args.tree else ROOT,
            )
            run = measure(servers, live_session, tokens, items, args.duration, args.write)
            runs.append(("django", {**run, "index": index, "load": load_average()}))
            stop_servers(servers)
            servers = []
            # Once the workers are gone: their merge suggestions' thread may still be comparing.
            forget_written(live_session, args.write, seeded_up_to, args.vacuum)
            print(
                f"run {index} django: {rate(run):.0f} {args.write}s/s; {load_average()}", flush=True
            )
            if args.baseline:
                servers = start_servers(
                    base_env(DATABASE, BARE_BUMP=args.bare_bump),
                    args.workers,
                    "writes-bare",
                    app="bench._bare_write_server:app",
                    kind="uvicorn",
                )
                run = measure(servers, live_session, tokens, items, args.duration, args.write)
                runs.append(("bare", {**run, "index": index, "load": load_average()}))
                stop_servers(servers)
                servers = []
                forget_written(live_session, args.write, seeded_up_to, args.vacuum)
                print(
                    f"run {index} bare: {rate(run):.0f} {args.write}s/s; {load_average()}",
                    flush=True,
                )
    finally:
        stop_servers(servers)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:
            pass
        drop_database(DATABASE)

    print()
    print(
        table(
            [
                "server",
                "run",
                "voters",
                "workers",
                "layer",
                "seconds",
                "requests",
                "ok",
                "per s",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "other statuses",
                "stored",
                "expected",
                "check",
                "load after",
            ],
            [row(name, args, run) for name, run in runs],
        )
    )
    for name, run in runs:
        if run["errors"]:
            print(f"{name} run {run['index']} server errors:\n" + "\n".join(run["errors"]))
    app = [rate(run) for name, run in runs if name == "django"]
    print(f"app {args.write}s/s: {spread(app)}")
    bare = [rate(run) for name, run in runs if name == "bare"]
    if bare:
        print(f"bare {args.write}s/s: {spread(bare)}")
        ratios = [b / a for a, b in zip(app, bare, strict=True)]
        print(f"bare / app, run by run: {spread(ratios, '{:.1f}x')}")
        app_p95 = [percentile(run["ok"], 95) * 1000 for name, run in runs if name == "django"]
        bare_p95 = [percentile(run["ok"], 95) * 1000 for name, run in runs if name == "bare"]
        print(f"p95 ms: app {spread(app_p95)}; bare {spread(bare_p95)}")
    print(f"total {time.monotonic() - started:.0f} s; at the end: {load_average()}")
    return 0 if all(run["stored"] == run["expected"] for _, run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
