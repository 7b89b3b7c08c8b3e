"""Live-update fan-out: from a vote's HTTP response to the last of N screens showing it.

Starts real Daphne (or uvicorn) processes (DEBUG=false) on a PostgreSQL database of its own,
opens N WebSocket clients (one in ten a board, the rest participants with their device
cookie), posts votes at a steady rate through the vote view, and measures for each vote the
time from its HTTP response until the LAST client received a pushed update with data-seq >=
the session's sequence number read from the database right after that response (see
docs/performance.md for why this is sound). Beside it, a bare `websockets` server broadcasts
messages of the same size to the same number of clients, so the app's overhead is a ratio.
Each app measurement is followed by its own bare one (same clients, same split over client
processes), --runs times.

The clients are spread over several processes (--client-processes; by default one per 1,500
clients, at most 4), and each reports the CPU time it used while votes were measured, as a
share of one core: a process near 100 % would be the floor of the measurement. Each app
worker's resident memory is read after a warm-up and again with every client connected; every
run starts fresh workers.

    .venv/bin/python bench/fanout.py            # the full matrix (about 8 to 12 minutes)
    .venv/bin/python bench/fanout.py --quick    # 100 and 500 clients, fewer configurations

With --timeline the workers write when each push was taken, rendered and sent and when each
worker handed it to its sockets (sessions.live.timeline); each run then also prints, for the
votes, the p50/p95 of each stage: to the push (the coalescing window), render, Redis to the
workers, the workers' delivery, the clients' reading.

Not part of the test suite. Talks to 127.0.0.1 only; removes its servers and database on exit.
"""

import argparse
import asyncio
import io
import json
import math
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import (  # noqa: E402
    PYTHON,
    REDIS_BENCH_URL,
    ROOT,
    Server,
    base_env,
    create_database,
    drop_database,
    free_port,
    load_average,
    machine,
    ms,
    percentile,
    quiet_setup_pushes,
    raise_open_files_limit,
    setup_django,
    start_servers,
    stop_servers,
    table,
    vote_headers,
)
from _wsclients import ClientPool, last_read, latencies  # noqa: E402

DATABASE = os.environ.get("BENCH_DATABASE", "commonground_bench_fanout")
BOARD_EVERY = 10  # one client in ten is a board, the others participants' phones
CLIENTS_PER_PROCESS = 1500  # the default split: one client process per this many clients
MAX_CLIENT_PROCESSES = 4


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="a smaller run (about 4 minutes on a loaded machine)"
    )
    parser.add_argument("--clients", help="comma-separated client counts (default 100,500,1000)")
    parser.add_argument(
        "--configs",
        help="comma-separated layer-workers pairs: memory-1, core-1, core-2, pubsub-1, pubsub-2 "
        "(default memory-1,core-2,pubsub-2)",
    )
    parser.add_argument(
        "--coalesce",
        help="comma-separated LIVE_COALESCE_SECONDS values for the Redis configurations "
        "(default 0,0.25; 0.25 only at the two largest client counts)",
    )
    parser.add_argument("--rate", type=float, default=10.0, help="votes per second (default 10)")
    parser.add_argument(
        "--duration", type=float, default=10.0, help="seconds of votes (default 10)"
    )
    parser.add_argument(
        "--server",
        choices=["daphne", "uvicorn", "granian"],
        default="daphne",
        help="ASGI server of the app workers (granian needs `pip install granian`)",
    )
    parser.add_argument(
        "--client-processes",
        type=int,
        help=f"client processes the N clients are split over (default: one per "
        f"{CLIENTS_PER_PROCESS:,} clients, 1 to {MAX_CLIENT_PROCESSES})",
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=1,
        help="app and bare measurements, alternately, per client count (default 1)",
    )
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument(
        "--timeline",
        action="store_true",
        help="also break each vote's latency into stages: to the push, render, Redis, the "
        "workers' delivery, the clients' reading (sessions.live.timeline)",
    )
    parser.add_argument(
        "--tree",
        type=Path,
        default=ROOT,
        help="the checkout the app workers run (another commit's tree, `git archive <commit> | "
        "tar -x -C DIR`, for a before and after; the bench and its clients stay this checkout's)",
    )
    args = parser.parse_args()
    if args.runs < 1 or (args.client_processes is not None and args.client_processes < 1):
        parser.error("--runs and --client-processes must be at least 1")
    if args.quick:
        args.clients = args.clients or "100,500"
        args.configs = args.configs or "memory-1,core-1,pubsub-1"
        args.duration = min(args.duration, 5.0)
    args.clients = [int(n) for n in (args.clients or "100,500,1000").split(",")]
    args.configs = (args.configs or "memory-1,core-2,pubsub-2").split(",")
    args.coalesce = [float(c) for c in (args.coalesce or "0,0.25").split(",")]
    return args


def build_session(participants: int):
    """A voting session on the bundled taxonomy: 30 needs, each mapped onto two strategies,
    and ``participants`` people who joined through services.join_session."""
    from django.core.management import call_command

    from sessions import services
    from sessions.enums import Phase, Presence
    from sessions.models import Mapping, Need
    from taxonomy.models import Strategy
    from taxonomy.queries import default_taxonomy

    call_command("migrate", verbosity=0)
    call_command("load_taxonomy", verbosity=0, stdout=io.StringIO())
    quiet_setup_pushes()
    live_session = services.create_live_session(
        title="Fan-out bench", taxonomy=default_taxonomy(), dot_budget=30000, dot_cap=30000
    )
    tokens = []
    for index in range(participants):
        _participant, token = services.join_session(
            live_session=live_session,
            presence=Presence.REMOTE if index % 4 == 0 else Presence.IN_ROOM,
            agreed=True,
        )
        tokens.append(token)
    authors = list(live_session.participants.all()[:30])
    needs = Need.objects.bulk_create(
        Need(
            live_session=live_session,
            author=author,
            text=f"Need {index}: safer visibility for queer creators on short-video platforms",
            context="TikTok, Instagram",
        )
        for index, author in enumerate(authors)
    )
    strategies = list(Strategy.objects.filter(taxonomy=live_session.taxonomy))
    mappings = Mapping.objects.bulk_create(
        Mapping(
            live_session=live_session,
            need=need,
            author=need.author,
            strategy=strategies[(index * 2 + offset) % len(strategies)],
            reason="It fits",
        )
        for index, need in enumerate(needs)
        for offset in (0, 1)
    )
    services.set_phase(live_session=live_session, phase=Phase.VOTING)
    live_session.refresh_from_db()
    return live_session, tokens, [n.pk for n in needs], [m.pk for m in mappings]


async def drive_votes(ports, code, session_id, tokens, needs, mappings, rate, duration):
    """Votes at a steady rate, each answered by one worker (round robin); returns per vote
    (t_request, t_response, status, sequence read after the response)."""
    import psycopg
    from _common import HttpConnection

    pools = {port: asyncio.Queue() for port in ports}
    for port in ports:
        for _ in range(8):
            pools[port].put_nowait(HttpConnection(port))
    db = await psycopg.AsyncConnection.connect(
        f"host=127.0.0.1 port=5432 user=postgres dbname={DATABASE}", autocommit=True
    )
    results = []

    async def one(index: int) -> None:
        port = ports[index % len(ports)]
        token = tokens[index % len(tokens)]
        kind, item = ("need", needs[index % len(needs)])
        if index % 2:
            kind, item = ("mapping", mappings[index % len(mappings)])
        # As a phone's outbox sends it: with a key, so the vote takes the quick way in
        # (commonground.quick_writes), as bench/plenary.py's taps do.
        body = f"kind={kind}&item={item}&action=add&client_key={secrets.token_hex(8)}".encode()
        conn = await pools[port].get()
        try:
            sent = time.monotonic()
            status, _data = await conn.request(
                "POST", f"/s/{code}/vote/", vote_headers(code, token, port), body
            )
            answered = time.monotonic()
        except Exception:
            conn.close()
            results.append((index, None, None, 0, None))
            return
        finally:
            pools[port].put_nowait(conn)
        cursor = await db.execute(
            "SELECT sequence FROM live_sessions_livesession WHERE id = %s", (session_id,)
        )
        seq = (await cursor.fetchone())[0]
        results.append((index, sent, answered, status, seq))

    tasks = []
    count = int(rate * duration)
    start = time.monotonic()
    for index in range(count):
        delay = start + index / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(index)))
    # A saturated server may never answer some votes: give up on them after a minute and
    # report them as failed (status 0) rather than abort the whole run.
    _done, pending = await asyncio.wait(tasks, timeout=60)
    for task in pending:
        task.cancel()
    answered_indexes = {result[0] for result in results}
    results.extend((i, None, None, 0, None) for i in range(count) if i not in answered_indexes)
    await db.close()
    for port in ports:
        while not pools[port].empty():
            pools[port].get_nowait().close()
    results.sort()
    return results


def client_specs(ports, code, tokens, n):
    specs = []
    for index in range(n):
        # Clients alternate between the workers; shifting by one every BOARD_EVERY clients
        # spreads the boards too (with index % len(ports), every board, index 0, 10, 20...,
        # landed on the first of two workers).
        port = ports[(index + index // BOARD_EVERY) % len(ports)]
        origin = f"http://127.0.0.1:{port}"
        if index % BOARD_EVERY == 0:
            specs.append((f"ws://127.0.0.1:{port}/ws/s/{code}/board/", {}, origin, "board"))
        else:
            token = tokens[index % len(tokens)]
            specs.append(
                (
                    f"ws://127.0.0.1:{port}/ws/s/{code}/participant/",
                    {"Cookie": f"cg_p_{code}={token}"},
                    origin,
                    "participant",
                )
            )
    return specs


def client_processes(n: int, args) -> int:
    if args.client_processes:
        return args.client_processes
    return max(1, min(MAX_CLIENT_PROCESSES, math.ceil(n / CLIENTS_PER_PROCESS)))


# --- the app workers' memory ----------------------------------------------------------------


def worker_pid(server: Server) -> int:
    """The pid whose memory is the worker's. Server runs ``python -m uvicorn|daphne`` without
    a shell, so it is the Popen pid; checked here (command line, no child processes) so that
    a wrapper or a forking server would fail loudly instead of reporting the wrong RSS.
    Granian always runs the app in a worker process under its supervisor: its one child."""
    pid = server.proc.pid
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    if not any(arg in (b"uvicorn", b"daphne", b"granian") for arg in argv):
        raise RuntimeError(f"pid {pid} is not a uvicorn, daphne or granian process: {argv}")
    children = [
        child
        for task in Path(f"/proc/{pid}/task").iterdir()
        for child in (task / "children").read_text().split()
    ]
    if b"granian" in argv and len(children) == 1:
        return int(children[0])
    if children:
        raise RuntimeError(f"{server.name} (pid {pid}) has child processes {children}")
    return pid


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """VmRSS of the process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def warm_up(clients: ClientPool, servers, live_session, tokens, needs, mappings) -> list[float]:
    """Fresh workers: a few boards and phones on every worker see two votes per worker (so that
    what the first connections and pushes import and cache counts neither as the sockets'
    memory nor in the first votes' latency), then close; returns each worker's RSS afterwards
    (MiB). The votes come from the last participants, not the ones the measured run uses."""
    ports = [server.port for server in servers]
    code = live_session.code
    clients.connect(client_specs(ports, code, tokens, 2 * BOARD_EVERY * len(ports)), 1)
    votes = asyncio.run(
        drive_votes(
            ports, code, live_session.pk, tokens[::-1], needs, mappings, 10.0, len(ports) / 5
        )
    )
    clients.collect(max((v[4] for v in votes if v[3] == 200), default=0), timeout=5)
    time.sleep(1)
    return [rss_mb(worker_pid(server)) for server in servers]


def per_thousand(before: list[float], after: list[float], sockets: list[int]) -> list[float]:
    return [
        (a - b) / count * 1000 if count else float("nan")
        for b, a, count in zip(before, after, sockets, strict=True)
    ]


STAGES = (
    ("to the push", "from the vote's answer until a push holding it is taken from the window"),
    ("render", "the push's render"),
    ("to the workers", "from the render until the first worker receives it through Redis"),
    ("delivery", "until the last worker has handed it to every socket"),
    ("clients", "until the last client has read it"),
)


def stages_of(votes, records, timeline_log: str) -> dict[str, tuple[float, float]] | None:
    """Each vote's latency (from its answer) cut at the push that first carried it: the
    p50 and p95 of each stage over the votes, in seconds (sessions.live.timeline's lines)."""
    import bisect

    from sessions.live import timeline  # the checkout's root is on the path (setup_django)

    try:
        with open(timeline_log) as log:
            pushes, deliveries = timeline.parse(log)
    except OSError:
        return None
    carried = sorted(seq for seq in pushes if deliveries.get(seq))
    spans: list[list[float]] = [[] for _ in STAGES]
    for _index, _sent, answered, _status, target in votes:
        at = bisect.bisect_left(carried, target)
        if at == len(carried):
            continue
        seq = carried[at]
        started, rendered, _sent_all = pushes[seq]
        received = min(d[2] for d in deliveries[seq])
        done = max(d[3] for d in deliveries[seq])
        read = last_read(records, target)
        if read is None:
            continue
        for span, value in zip(
            spans,
            (
                started - answered,
                rendered - started,
                received - rendered,
                done - received,
                read - done,
            ),
            strict=True,
        ):
            span.append(value)
    if not spans[0]:
        return None
    return {
        name: (percentile(span, 50), percentile(span, 95))
        for (name, _), span in zip(STAGES, spans, strict=True)
    }


def stages_line(stages: dict[str, tuple[float, float]]) -> str:
    return "stages p50/p95 ms: " + ", ".join(
        f"{name} {ms(p50)}/{ms(p95)}" for name, (p50, p95) in stages.items()
    )


def run_app(
    clients: ClientPool,
    servers,
    live_session,
    tokens,
    needs,
    mappings,
    n,
    args,
    rss0,
    timeline_log: str = "",
):
    ports = [server.port for server in servers]
    pids = [worker_pid(server) for server in servers]
    specs = client_specs(ports, live_session.code, tokens, n)
    sockets = [sum(1 for spec in specs if f":{port}/" in spec[0]) for port in ports]
    processes = client_processes(n, args)
    ok, failed, errors, connect_seconds = clients.connect(specs, processes)
    if failed:
        print(f"    {failed} of {n} clients failed to connect: {errors}", flush=True)
    rss_connected = [rss_mb(pid) for pid in pids]
    cpu0 = [cpu_seconds(pid) for pid in pids]
    clients.mark()
    votes = asyncio.run(
        drive_votes(
            ports,
            live_session.code,
            live_session.pk,
            tokens,
            needs,
            mappings,
            args.rate,
            args.duration,
        )
    )
    answered = [v for v in votes if v[3] == 200]
    final = max((v[4] for v in answered), default=0)
    if len(answered) < len(votes):
        print(f"    {len(votes) - len(answered)} of {len(votes)} votes failed or unanswered")
    records, cpu = clients.collect(final, timeout=10)
    worker_cpu = [cpu_seconds(pid) - before for pid, before in zip(pids, cpu0, strict=True)]
    after_response, missed = latencies(records, [(v[2], v[4]) for v in answered])
    after_request, _ = latencies(records, [(v[1], v[4]) for v in answered])
    stages = stages_of(answered, records, timeline_log) if timeline_log else None
    sizes = [size for _kind, _s, _t, sizes in records for size in sizes]
    by_kind = {}
    for kind, _s, _t, sizes_ in records:
        by_kind.setdefault(kind, []).extend(sizes_)
    messages = sum(len(r[1]) for r in records)
    per_client = messages / max(1, len(records))
    return {
        "clients": n,
        "connected": ok,
        "connect_failed": failed,
        "connect_seconds": round(connect_seconds, 1),
        "votes": len(votes),
        "votes_ok": len(answered),
        "vote_errors": sorted({v[3] for v in votes if v[3] != 200}),
        "response_p50_ms": round(
            1000 * percentile([v[2] - v[1] for v in answered], 50) if answered else 0, 1
        ),
        "p50": percentile(after_response, 50),
        "p95": percentile(after_response, 95),
        "p99": percentile(after_response, 99),
        "max": max(after_response, default=float("nan")),
        "req_p95": percentile(after_request, 95),
        "req_p50": percentile(after_request, 50),
        "missed": missed,
        "stages": stages,
        "messages_per_client": round(per_client, 1),
        # The workers' CPU while the votes were measured (the votes' requests and renders as
        # well as the pushes), per socket per message a socket received: what the load on the
        # machine does not change much, unlike the latencies.
        "worker_cpu_s": [round(x, 2) for x in worker_cpu],
        "worker_us_per_socket_message": round(
            1e6 * sum(worker_cpu) / max(1.0, sum(sockets) * per_client), 1
        ),
        "size_median": int(statistics.median(sizes)) if sizes else 0,
        "size_board": int(statistics.median(by_kind.get("board") or [0])),
        "size_participant": int(statistics.median(by_kind.get("participant") or [0])),
        "client_processes": processes,
        "client_cpu": cpu,
        "sockets_per_worker": sockets,
        "rss_warm_mb": [round(x, 1) for x in rss0],
        "rss_connected_mb": [round(x, 1) for x in rss_connected],
        # Per 1,000 sockets of each worker: its RSS with every client connected, less its RSS
        # after the warm-up (every run has fresh workers).
        "mb_per_1k": per_thousand(rss0, rss_connected, sockets),
        "load": os.getloadavg(),
    }


def run_baseline(clients: ClientPool, n, size, args):
    import websockets.sync.client

    port = free_port()
    server = Server(
        [PYTHON, str(ROOT / "bench" / "_bare_server.py"), str(port)], dict(os.environ), port, "bare"
    )
    try:
        server.wait_ready()
        url = f"ws://127.0.0.1:{port}/"
        processes = client_processes(n, args)
        ok, failed, errors, _seconds = clients.connect([(url, {}, None, "bare")] * n, processes)
        if failed:
            print(f"    bare: {failed} of {n} clients failed to connect: {errors}", flush=True)
        count = int(args.rate * args.duration)
        cpu0 = cpu_seconds(server.proc.pid)
        clients.mark()
        with websockets.sync.client.connect(f"ws://127.0.0.1:{port}/control") as control:
            control.send(json.dumps({"count": count, "interval": 1 / args.rate, "size": size}))
            sent = json.loads(control.recv(timeout=args.duration + 60))
        records, cpu = clients.collect(count, timeout=10)
        server_cpu = cpu_seconds(server.proc.pid) - cpu0
        result, missed = latencies(records, [(t, seq) for seq, t in enumerate(sent, start=1)])
        received = sum(len(r[1]) for r in records)
        return {
            "clients": n,
            "connected": ok,
            "size": size,
            "p50": percentile(result, 50),
            "p95": percentile(result, 95),
            "p99": percentile(result, 99),
            "missed": missed,
            "client_processes": processes,
            "client_cpu": cpu,
            "server_cpu_s": round(server_cpu, 2),
            "server_us_per_socket_message": round(1e6 * server_cpu / max(1, received), 1),
            "load": os.getloadavg(),
        }
    finally:
        server.stop()


def configurations(args):
    """(name, layer, workers, coalesce, client counts, asgi app) in the order they run."""
    plan = []
    largest = sorted(args.clients)[-2:]
    # The app's consumers are asynchronous since the first runs (docs/performance.md), so the
    # bench-only async port they were compared with is gone.
    app = "commonground.asgi:application"
    for config in args.configs:
        layer, workers = config.split("-")
        if layer == "memory":
            # The in-memory layer pushes at once: LIVE_COALESCE_SECONDS does not apply.
            plan.append((config, layer, int(workers), None, args.clients, app))
            continue
        for coalesce in args.coalesce:
            counts = args.clients if coalesce == 0 or len(args.coalesce) == 1 else largest
            plan.append((config, layer, int(workers), coalesce, counts, app))
    return plan


def server_env(
    layer: str, coalesce: float | None, prefix: str, tree: Path = ROOT, timeline: str = ""
) -> dict[str, str]:
    extra = {
        "LIVE_COALESCE_SECONDS": str(coalesce if coalesce is not None else 0),
        "PYTHONPATH": str(tree.resolve()),
    }
    if timeline:
        extra["LIVE_TIMELINE_LOG"] = timeline
    if layer != "memory":
        extra.update(
            {
                "REDIS_URL": REDIS_BENCH_URL,
                "CHANNEL_LAYER_BACKEND": layer,
                "CHANNEL_LAYER_PREFIX": prefix,
            }
        )
    return base_env(DATABASE, **extra)


def pct(share: float) -> str:
    return f"{100 * share:.0f}%"


def cpu_line(cpu: list[dict]) -> str:
    """Each client process's CPU time over the measured window, as a share of one core."""
    shares = ", ".join(pct(c.get("share", float("nan"))) for c in cpu)
    peaks = ", ".join(pct(c.get("peak", float("nan"))) for c in cpu)
    waits = ", ".join(pct(c.get("waited", float("nan"))) for c in cpu)
    return (
        f"client CPU ({len(cpu)} proc): {shares} of a core (busiest 1 s: {peaks}); "
        f"waited for a CPU {waits} of the time"
    )


def most_busy(cpu: list[dict]) -> tuple[float, float]:
    return (
        max((c.get("share", float("nan")) for c in cpu), default=float("nan")),
        max((c.get("peak", float("nan")) for c in cpu), default=float("nan")),
    )


def busiest_fmt(cpus: list[list[dict]]) -> str:
    """The busiest client process of these runs: whole-window share (busiest 1 s), and the
    longest any of them waited for a CPU."""
    pairs = [most_busy(cpu) for cpu in cpus]
    waited = max((c.get("waited", float("nan")) for cpu in cpus for c in cpu), default=0)
    return (
        f"{pct(max(p[0] for p in pairs))} ({pct(max(p[1] for p in pairs))}), waited {pct(waited)}"
    )


def spread(values: list[float], fmt=ms) -> str:
    """median (min–max) of the runs; just the value for one run."""
    values = [v for v in values if v == v]
    if not values:
        return "n/a"
    if len(values) == 1:
        return fmt(values[0])
    return f"{fmt(statistics.median(values))} ({fmt(min(values))}–{fmt(max(values))})"


def ratio_fmt(value: float) -> str:
    return "n/a" if value != value else f"{value:.1f}x"


def mb_fmt(value: float) -> str:
    return "n/a" if value != value else f"{value:.1f}"


def ratio_of(app: dict, bare: dict) -> float:
    return app["p95"] / bare["p95"] if bare["p95"] > 0 else float("nan")


def main() -> int:
    args = parse_args()
    limit = raise_open_files_limit()
    needed = 2 * max(args.clients) + 200
    if limit < needed:
        print(f"open-files limit {limit} is below {needed}; lower --clients", file=sys.stderr)
        return 2
    started = time.monotonic()
    print(f"# fan-out bench, {time.strftime('%Y-%m-%d')}, {machine()}", flush=True)
    print(f"votes: {args.rate:g}/s for {args.duration:g} s; one client in {BOARD_EVERY} a board")
    print(
        f"server: {args.server}; runs per client count: {args.runs} (app, then bare, alternately)"
    )
    split = ", ".join(f"{n}: {client_processes(n, args)}" for n in sorted(set(args.clients)))
    print(f"client processes per client count: {split}")
    print(f"app workers run {args.tree.resolve()}; at start: {load_average()}", flush=True)
    create_database(DATABASE)
    servers: list = []
    clients = None
    app_rows, base_rows, summary = [], [], []
    try:
        setup_django(base_env(DATABASE, RATE_LIMITS_ENABLED="false", LIVE_COALESCE_SECONDS="0"))
        participants = max(args.clients)
        live_session, tokens, needs, mappings = build_session(participants)
        print(
            f"session {live_session.code}: {participants} participants, {len(needs)} needs, "
            f"{len(mappings)} mappings ({time.monotonic() - started:.0f} s setup)",
            flush=True,
        )
        from django.db import connections

        connections.close_all()
        clients = ClientPool(max(client_processes(n, args) for n in args.clients))
        for name, layer, workers, coalesce, counts, app in configurations(args):
            prefix = f"cgbench-{os.getpid()}-{name}-{coalesce}"
            window = "n/a" if coalesce is None else coalesce
            for n in counts:
                pairs = []
                for run in range(1, args.runs + 1):
                    # Fresh workers for every run: the runs are independent samples, and RSS
                    # growth left by earlier votes does not count as the sockets' memory.
                    timeline_log = ""
                    if args.timeline:
                        timeline_log = f"/tmp/{prefix}-{n}-{run}.timeline"
                        Path(timeline_log).unlink(missing_ok=True)
                    servers = start_servers(
                        server_env(layer, coalesce, prefix, args.tree, timeline_log),
                        workers,
                        name,
                        app,
                        kind=args.server,
                        cwd=args.tree,
                    )
                    try:
                        rss0 = warm_up(clients, servers, live_session, tokens, needs, mappings)
                        row = run_app(
                            clients,
                            servers,
                            live_session,
                            tokens,
                            needs,
                            mappings,
                            n,
                            args,
                            rss0,
                            timeline_log,
                        )
                    finally:
                        stop_servers(servers)
                        servers = []
                        if timeline_log:
                            Path(timeline_log).unlink(missing_ok=True)
                    row.update({"config": name, "coalesce": coalesce, "run": run})
                    app_rows.append(row)
                    print(
                        f"  {name:9} coalesce={window:<4} N={n:<5} run {run}/{args.runs} "
                        f"p50={ms(row['p50'])} p95={ms(row['p95'])} p99={ms(row['p99'])} ms "
                        f"(from the vote's request: p50={ms(row['req_p50'])} "
                        f"p95={ms(row['req_p95'])}) missed={row['missed']} "
                        f"connected={row['connected']}/{n} "
                        f"votes={row['votes_ok']}/{row['votes']} "
                        f"msg={row['size_median']} B; {load_average()}",
                        flush=True,
                    )
                    print(
                        "      memory: worker RSS "
                        + ", ".join(f"{x:.0f}" for x in row["rss_warm_mb"])
                        + " MiB after warm-up, "
                        + ", ".join(f"{x:.0f}" for x in row["rss_connected_mb"])
                        + " MiB with "
                        + ", ".join(str(x) for x in row["sockets_per_worker"])
                        + " sockets: "
                        + ", ".join(mb_fmt(x) for x in row["mb_per_1k"])
                        + " MiB per 1,000 sockets per worker",
                        flush=True,
                    )
                    print(
                        "      worker CPU while measured: "
                        + ", ".join(f"{x:.1f}" for x in row["worker_cpu_s"])
                        + f" s, {row['worker_us_per_socket_message']} µs per socket per message "
                        f"({row['messages_per_client']} messages per client)",
                        flush=True,
                    )
                    print(f"      {cpu_line(row['client_cpu'])}", flush=True)
                    if row.get("stages"):
                        print(f"      {stages_line(row['stages'])}", flush=True)
                    base = run_baseline(clients, n, row["size_median"], args)
                    base.update({"config": name, "coalesce": coalesce, "run": run})
                    base_rows.append(base)
                    row["bare_p95"] = base["p95"]
                    row["ratio"] = ratio_of(row, base)
                    row["req_ratio"] = (
                        row["req_p95"] / base["p95"] if base["p95"] > 0 else float("nan")
                    )
                    print(
                        f"  bare      N={n:<5} run {run}/{args.runs} p50={ms(base['p50'])} "
                        f"p95={ms(base['p95'])} p99={ms(base['p99'])} ms "
                        f"missed={base['missed']} connected={base['connected']}/{n} "
                        f"size={base['size']} B; p95/bare {ratio_fmt(row['ratio'])}; "
                        f"server CPU {base['server_cpu_s']} s, "
                        f"{base['server_us_per_socket_message']} µs per socket per message; "
                        f"{load_average()}",
                        flush=True,
                    )
                    print(f"      {cpu_line(base['client_cpu'])}", flush=True)
                    pairs.append((row, base))
                summary.append(summarise(name, coalesce, n, pairs))
                if args.runs > 1:
                    line = summary[-1]
                    print(
                        f"  => {name} coalesce={window} N={n}, {args.runs} runs: "
                        f"p95 {line['p95']} ms, bare {line['bare_p95']} ms, "
                        f"p95/bare {line['ratio']} (from the request {line['req_p95']} ms, "
                        f"{line['req_ratio']}), missed max {line['missed_max']}, "
                        f"MiB per 1,000 sockets per worker {line['mb_per_1k']}, worker CPU "
                        f"{line['worker_us']} µs per socket per message (bare "
                        f"{line['bare_us']}), load {line['load']}",
                        flush=True,
                    )
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

    print()
    print(
        table(
            [
                "layer-workers",
                "coalesce s",
                "clients",
                "run",
                "connected",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "p95 from request ms",
                "missed",
                "bare p95 ms",
                "p95/bare",
                "vote resp p50 ms",
                "msg bytes",
                "MiB/1k sockets/worker",
                "client CPU max (1 s), CPU wait",
                "load 1 min",
            ],
            [
                [
                    row["config"],
                    "n/a" if row["coalesce"] is None else f"{row['coalesce']:g}",
                    row["clients"],
                    row["run"],
                    row["connected"],
                    ms(row["p50"]),
                    ms(row["p95"]),
                    ms(row["p99"]),
                    ms(row["req_p95"]),
                    row["missed"],
                    ms(row["bare_p95"]),
                    ratio_fmt(row["ratio"]),
                    row["response_p50_ms"],
                    row["size_median"],
                    "/".join(mb_fmt(x) for x in row["mb_per_1k"]),
                    busiest_fmt([row["client_cpu"]]),
                    f"{row['load'][0]:.1f}",
                ]
                for row in app_rows
            ],
        )
    )
    print()
    print(
        table(
            [
                "bare clients",
                "run",
                "connected",
                "msg bytes",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "missed",
                "client CPU max (1 s), CPU wait",
                "load 1 min",
            ],
            [
                [
                    b["clients"],
                    b["run"],
                    b["connected"],
                    b["size"],
                    ms(b["p50"]),
                    ms(b["p95"]),
                    ms(b["p99"]),
                    b["missed"],
                    busiest_fmt([b["client_cpu"]]),
                    f"{b['load'][0]:.1f}",
                ]
                for b in base_rows
            ],
        )
    )
    print()
    print(
        "Median (min–max) over the runs. p95 from the vote's response (as above), then from its"
        " request; bare: from just before the broadcast. MiB per 1,000 sockets: the busier"
        " worker's RSS growth from warm-up to every client connected. Client CPU: the busiest"
        " client process's share of one core over the votes (its busiest 1 s); CPU wait: the"
        " longest share of the votes a client process was runnable but not running."
    )
    if args.timeline:
        print(
            "Stages (--timeline), each vote cut at the first push that carried it: "
            + "; ".join(f"{name}: {meaning}" for name, meaning in STAGES)
            + "."
        )
    print(
        table(
            [
                "layer-workers",
                "coalesce s",
                "clients",
                "runs",
                "connected min",
                "client procs",
                "p95 ms",
                "bare p95 ms",
                "p95/bare",
                "from request: p95 ms",
                "p95/bare",
                "missed max",
                "MiB/1k sockets/worker",
                "client CPU max (1 s), CPU wait max",
                "load 1 min",
            ],
            [
                [
                    s["config"],
                    "n/a" if s["coalesce"] is None else f"{s['coalesce']:g}",
                    s["clients"],
                    s["runs"],
                    s["connected_min"],
                    s["client_processes"],
                    s["p95"],
                    s["bare_p95"],
                    s["ratio"],
                    s["req_p95"],
                    s["req_ratio"],
                    s["missed_max"],
                    s["mb_per_1k"],
                    s["client_cpu"],
                    s["load"],
                ]
                for s in summary
            ],
        )
    )
    print(f"\ntotal {time.monotonic() - started:.0f} s; at the end: {load_average()}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"app": app_rows, "bare": base_rows, "summary": summary}, out, indent=1)
    return 0


def summarise(name, coalesce, n, pairs) -> dict:
    apps = [app for app, _ in pairs]
    bares = [bare for _, bare in pairs]
    loads = [r["load"][0] for r in apps + bares]
    return {
        "config": name,
        "coalesce": coalesce,
        "clients": n,
        "runs": len(pairs),
        "client_processes": apps[0]["client_processes"],
        "p95": spread([a["p95"] for a in apps]),
        "bare_p95": spread([b["p95"] for b in bares]),
        "ratio": spread([a["ratio"] for a in apps], ratio_fmt),
        "req_p95": spread([a["req_p95"] for a in apps]),
        "req_ratio": spread([a["req_ratio"] for a in apps], ratio_fmt),
        "missed_max": max(max(a["missed"] for a in apps), max(b["missed"] for b in bares)),
        "connected_min": min(r["connected"] for r in apps + bares),
        "mb_per_1k": spread([max(a["mb_per_1k"]) for a in apps], mb_fmt),
        "worker_us": spread([a["worker_us_per_socket_message"] for a in apps], mb_fmt),
        "bare_us": spread([b["server_us_per_socket_message"] for b in bares], mb_fmt),
        "client_cpu": busiest_fmt([r["client_cpu"] for r in apps + bares]),
        "load": f"{min(loads):.1f}–{max(loads):.1f}",
    }


if __name__ == "__main__":
    sys.exit(main())
