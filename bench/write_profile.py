"""Where a write's time goes, in one process: queries and CPU of the write's request (a vote,
a need posted, a need mapped), and of the push render it causes, with a cProfile of both.

Builds the writes bench's session (200 voters, 300 needs, 300 mappings, in the write's phase)
on a PostgreSQL database of its own, then sends N writes through Django's test client (the
full middleware stack, production settings, rate limits on) and renders the push each write
causes, as the worker that committed it does. Prints the per-write medians and the top
functions by cumulative time.

    .venv/bin/python bench/write_profile.py [--write vote|need|map] [--votes 300] [--top 25]

Not part of the test suite. Talks to 127.0.0.1 only; removes its database on exit.
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import (  # noqa: E402
    CSRF_SECRET,
    REDIS_BENCH_URL,
    base_env,
    create_database,
    drop_database,
    load_average,
    machine,
    setup_django,
)

DATABASE = os.environ.get("BENCH_DATABASE", "commonground_bench_write_profile")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", choices=["vote", "need", "map"], default="vote")
    parser.add_argument("--votes", type=int, default=300, help="how many writes")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sql", action="store_true", help="print the last vote's queries")
    parser.add_argument(
        "--sort", default="cumulative", help="cProfile order: cumulative (default), tottime..."
    )
    args = parser.parse_args()
    print(f"# {args.write} profile, {time.strftime('%Y-%m-%d')}, {machine()}; {load_average()}")
    create_database(DATABASE)
    try:
        setup_django(
            base_env(
                DATABASE,
                REDIS_URL=REDIS_BENCH_URL,
                CHANNEL_LAYER_BACKEND="pubsub",
                CHANNEL_LAYER_PREFIX=f"cgbench-{os.getpid()}-profile",
                LIVE_COALESCE_SECONDS="0",
            )
        )
        from django.db import connection, reset_queries
        from django.test import Client
        from django.test.utils import CaptureQueriesContext
        from writes import build_session, write_request

        from sessions.live import coalescer, events, render

        live_session, tokens, items = build_session(200, 300, args.write)
        # Capture each vote's change instead of pushing it, and render it here, timed apart.
        changes = []
        events.publish = lambda event: changes.append(render.change_for(event))
        clients = []
        for token in tokens:
            client = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1")
            client.cookies["cg_p_" + live_session.code] = token
            client.cookies["csrftoken"] = CSRF_SECRET
            clients.append(client)
        headers = {
            "HTTP_X_CSRFTOKEN": CSRF_SECRET,
            "HTTP_HX_REQUEST": "true",
            "HTTP_ORIGIN": "http://127.0.0.1",
        }

        def vote(index: int) -> int:
            path, body = write_request(args.write, live_session.code, items, index, 0)
            response = clients[index % len(clients)].post(
                path, body, content_type="application/x-www-form-urlencoded", **headers
            )
            return response.status_code

        for index in range(len(clients)):  # warm: templates, caches, each client's first vote
            vote(index)
        changes.clear()

        # First pass timed bare (no profiler, no query capture); the second counts queries and
        # profiles, so its overhead does not inflate the CPU figures.
        request_cpu, render_cpu, statuses = [], [], []
        for index in range(args.votes):
            started = time.thread_time()
            statuses.append(vote(index))
            request_cpu.append(time.thread_time() - started)
            change = changes.pop()
            started = time.thread_time()
            render.render_messages(live_session.pk, change)
            render_cpu.append(time.thread_time() - started)
        request_queries, render_queries = [], []
        profile, render_profile = cProfile.Profile(), cProfile.Profile()
        for index in range(args.votes, args.votes + min(args.votes, 100)):
            with CaptureQueriesContext(connection) as queries:
                profile.enable()
                statuses.append(vote(index))
                profile.disable()
            request_queries.append(len(queries))
            vote_sql = [query["sql"] for query in queries.captured_queries]
            change = changes.pop()
            with CaptureQueriesContext(connection) as queries:
                render_profile.enable()
                render.render_messages(live_session.pk, change)
                render_profile.disable()
            render_queries.append(len(queries))
            reset_queries()
        coalescer.coalescer.stop()
        connection.close()

        def summary(values, unit=1000):
            values = [v * unit for v in values]
            return (
                f"median {statistics.median(values):.2f}, range {min(values):.2f}-{max(values):.2f}"
            )

        print(f"{args.votes} {args.write}s, statuses {sorted(set(statuses))}")
        print(
            f"{args.write} request: CPU ms {summary(request_cpu)}; queries {summary(request_queries, 1)}"
        )
        print(f"push render:  CPU ms {summary(render_cpu)}; queries {summary(render_queries, 1)}")
        if args.sql:
            print("the last vote's queries:")
            for sql in vote_sql:
                print("  ", sql[:300])
        print()
        for title, recorded in (
            (f"{args.write} request", profile),
            ("push render", render_profile),
        ):
            print(f"## {title}: top {args.top} by {args.sort} time")
            pstats.Stats(recorded).sort_stats(args.sort).print_stats(args.top)
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(DATABASE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
