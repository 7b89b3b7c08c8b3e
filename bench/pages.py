"""Page cost with a large session: queries, server time and bytes per page, and what a phone
downloads on first load of the participant page.

Builds (bulk_create) a session with 2,000 participants, 10,000 needs, 20,000 mappings, 10,000
votes and 300 gap notes on a PostgreSQL database of its own, collects static files as a
deployment does (whitenoise's compressed manifest storage, into a temporary STATIC_ROOT), then
requests each page with Django's test Client under DEBUG=false, counting queries
(CaptureQueriesContext) and timing the server side.

Beside each page, in the same run, a bare baseline: the same bytes (the body the page just
returned, its status and content type) served by a plain Django view that does nothing but
return them, added to the URLconf under /__bench__/bare/, requested through the same test Client
(same cookies), the same settings and the same middleware. The ratio app/bare is therefore the
cost of the page's own work (its queries, its Python and its templates) over what any response
of that size costs in this stack; it leaves out what both share (request parsing, middleware,
the client), so it is fair to the app rather than flattering it. The app and bare requests
alternate page by page, run by run, so a change of load on the shared machine shows in both.
Each run times ``--repeat`` requests per page (after one warm-up) and keeps their median; the
table gives the median and the range of those over ``--runs`` runs.

After the bulk load the bench runs ANALYZE, as autovacuum would within a minute or so on a real
database: without it the planner sees tables it believes empty, and the board's query for the
dots on mappings becomes a nested loop of several seconds (say --no-analyze to see that case).

    .venv/bin/python bench/pages.py            # the sizes above, 3 runs (about 4 minutes)
    .venv/bin/python bench/pages.py --quick    # a tenth of them
    .venv/bin/python bench/pages.py --quick --runs 2 --repeat 3

Not part of the test suite. Talks to 127.0.0.1 only; removes its database on exit.
"""

import argparse
import gzip
import io
import os
import re
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from urllib.parse import urljoin, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import (  # noqa: E402
    base_env,
    create_database,
    drop_database,
    load_average,
    machine,
    median_range,
    setup_django,
    table,
)

DATABASE = "commonground_bench_pages"
ASSET_RE = re.compile(r"""<(?:link|script|img)\b[^>]*?\b(?:href|src)=["']([^"']+)["']""", re.I)
CSS_URL_RE = re.compile(r"""url\(\s*["']?([^"')]+)["']?\s*\)""")
HOST = "127.0.0.1"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the data")
    parser.add_argument("--repeat", type=int, default=5, help="timed requests per page and run")
    parser.add_argument(
        "--runs", type=int, default=3, help="runs of every page, app and bare alternating"
    )
    parser.add_argument(
        "--no-analyze",
        dest="analyze",
        action="store_false",
        help="measure with the planner statistics as the bulk load left them (stale)",
    )
    args = parser.parse_args()
    args.scale = 0.1 if args.quick else 1.0
    return args


def build(scale: float):
    from django.core.management import call_command
    from django.utils import timezone

    from sessions import identity
    from sessions.enums import GapKind, Phase, Presence
    from sessions.models import GapNote, LiveSession, Mapping, Need, Participant, Vote
    from taxonomy.models import Strategy
    from taxonomy.queries import default_taxonomy

    call_command("migrate", verbosity=0)
    call_command("load_taxonomy", verbosity=0, stdout=io.StringIO())
    n_participants, n_needs = int(2000 * scale), int(10000 * scale)
    live_session = LiveSession.objects.create(
        code="BNCHPG",
        title="Pages bench",
        taxonomy=default_taxonomy(),
        phase=Phase.VOTING,
        dot_budget=5,
        dot_cap=3,
        sequence=1,
    )
    now = timezone.now()
    token = secrets.token_urlsafe(16)
    participants = Participant.objects.bulk_create(
        Participant(
            live_session=live_session,
            token_hash=identity.hash_token(token if index == 0 else f"bench-{index}"),
            public_id=f"p{index:09d}",
            pseudonym=f"Brave Otter {index}",
            presence=Presence.REMOTE if index % 4 == 0 else Presence.IN_ROOM,
            agreed_at=now,
        )
        for index in range(n_participants)
    )
    needs = Need.objects.bulk_create(
        (
            Need(
                live_session=live_session,
                author=participants[index % n_participants],
                text=f"Need {index}: safer visibility for queer creators when a recommender "
                "quietly demotes posts that mention trans healthcare",
                context="TikTok, Instagram" if index % 3 == 0 else "",
            )
            for index in range(n_needs)
        ),
        batch_size=2000,
    )
    strategies = list(Strategy.objects.filter(taxonomy=live_session.taxonomy))
    mappings = Mapping.objects.bulk_create(
        (
            Mapping(
                live_session=live_session,
                need=need,
                author=need.author,
                strategy=strategies[(index + offset * 7) % len(strategies)],
                reason="It fits" if offset == 0 else "",
            )
            for index, need in enumerate(needs)
            for offset in (0, 1)
        ),
        batch_size=4000,
    )
    votes = []
    for index, participant in enumerate(participants):
        for k in range(5):  # every participant spends the budget: 5 dots, on distinct items
            item = (index * 37 + k * 1009) % (n_needs + len(mappings))
            if item < n_needs:
                votes.append(
                    Vote(
                        live_session=live_session, participant=participant, need=needs[item], dots=1
                    )
                )
            else:
                votes.append(
                    Vote(
                        live_session=live_session,
                        participant=participant,
                        mapping=mappings[item - n_needs],
                        dots=1,
                    )
                )
    Vote.objects.bulk_create(votes, batch_size=4000)
    kinds = list(GapKind)
    GapNote.objects.bulk_create(
        GapNote(
            live_session=live_session,
            author=participants[index % n_participants],
            strategy=strategies[index % len(strategies)],
            kind=kinds[index % len(kinds)],
            text="Nothing here addresses safety for trans creators.",
        )
        for index in range(int(300 * scale) or 1)
    )
    counts = {
        "participants": n_participants,
        "needs": n_needs,
        "mappings": len(mappings),
        "votes": len(votes),
        "gap notes": GapNote.objects.filter(live_session=live_session).count(),
    }
    return live_session, token, strategies[0], counts


def facilitating(live_session):
    """A facilitator of the session (the dashboard is theirs only)."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("bench-facilitator")
    live_session.facilitators.add(user)
    return user


def measure(client, path: str, repeat: int, **extra):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    started = time.perf_counter()
    client.get(path, **extra)  # warm: templates, caches, connection
    if time.perf_counter() - started > 2:
        repeat = 1  # a page this slow is measured once: the run must stay bounded
    times, queries, response = [], 0, None
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(path, **extra)
            body = response.content
            times.append(time.perf_counter() - started)
        queries = len(captured)
    return {
        "status": response.status_code,
        "queries": queries,
        "ms": statistics.median(times) * 1000,
        "bytes": len(body),
        "gzip": len(gzip.compress(body, 6)) if body else 0,
        "body": body,
        "content_type": response.get("Content-Type", "text/html; charset=utf-8"),
        "repeat": repeat,
    }


BARE_PATH = "/__bench__/bare/{}/"
BARE_PAGES: dict[int, tuple[int, str, bytes]] = {}  # index -> (status, content type, body)


def bare_page(request, index: int):
    """The bare baseline: the bytes a page returned, with its status and content type, and no
    other work."""
    from django.http import HttpResponse

    status, content_type, body = BARE_PAGES[index]
    return HttpResponse(body, status=status, content_type=content_type)


def add_bare_view() -> None:
    """Route /__bench__/bare/<index>/ to bare_page, in this process's URLconf only."""
    from django.urls import clear_url_caches, path

    from commonground import urls

    urls.urlpatterns.append(path("__bench__/bare/<int:index>/", bare_page))
    clear_url_caches()


def ms_text(value: float) -> str:
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def first_load(client, path: str, html: bytes) -> dict:
    """HTML (gzip, as a compressing proxy would send it) plus every asset it references,
    fetched through whitenoise with Accept-Encoding: gzip, and the assets their CSS names."""
    total = {"html": len(gzip.compress(html, 6))}
    foreign, missing, seen = [], [], set()
    queue = [
        (urljoin(f"http://{HOST}{path}", url), "html") for url in ASSET_RE.findall(html.decode())
    ]
    while queue:
        url, source = queue.pop(0)
        parts = urlsplit(url)
        if url.startswith("data:") or parts.scheme == "data":
            continue
        if parts.netloc and parts.netloc != HOST:
            foreign.append(url)
            continue
        if parts.path in seen:
            continue
        seen.add(parts.path)
        response = client.get(parts.path, HTTP_ACCEPT_ENCODING="gzip")
        if response.status_code != 200:
            missing.append(f"{parts.path} ({response.status_code})")
            continue
        data = b"".join(response.streaming_content) if response.streaming else response.content
        total[parts.path] = len(data)
        if parts.path.endswith(".css"):
            text = gzip.decompress(data) if response.get("Content-Encoding") == "gzip" else data
            for ref in CSS_URL_RE.findall(text.decode("utf-8", "replace")):
                queue.append((urljoin(f"http://{HOST}{parts.path}", ref), parts.path))
    return {"parts": total, "foreign": foreign, "missing": missing}


def main() -> int:
    args = parse_args()
    started = time.monotonic()
    print(f"# pages bench, {time.strftime('%Y-%m-%d')}, {machine()}")
    print(f"at start: {load_average()}", flush=True)
    static_root = tempfile.mkdtemp(prefix="bench-static-")
    create_database(DATABASE)
    try:
        setup_django(
            base_env(
                DATABASE,
                DJANGO_SETTINGS_MODULE="bench._pages_settings",
                BENCH_STATIC_ROOT=static_root,
            )
        )
        from django.core.management import call_command
        from django.test import Client
        from django.urls import reverse

        call_command("collectstatic", interactive=False, verbosity=0)
        add_bare_view()
        live_session, token, strategy, counts = build(args.scale)
        print("session: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()), flush=True)
        if args.analyze:
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print(
            "planner statistics: "
            + ("ANALYZE after the load" if args.analyze else "as the load left them (no ANALYZE)"),
            flush=True,
        )
        code = live_session.code
        anonymous = Client(HTTP_HOST=HOST)
        phone = Client(HTTP_HOST=HOST)
        phone.cookies[f"cg_p_{code}"] = token
        facilitator = Client(HTTP_HOST=HOST, HTTP_HX_REQUEST="true")
        facilitator.force_login(facilitating(live_session))
        dashboard = reverse("sessions:dashboard", args=[code])
        pages = [
            ("home", anonymous, "/"),
            ("taxonomy", anonymous, reverse("taxonomy:overview")),
            ("strategy", anonymous, reverse("taxonomy:strategy", args=[strategy.slug])),
            ("join", anonymous, reverse("sessions:join", args=[code])),
            ("participant", phone, reverse("sessions:participant", args=[code])),
            ("board", anonymous, reverse("sessions:board", args=[code])),
            ("live (board, behind)", anonymous, f"/s/{code}/live/?audience=board&since=0"),
            (
                "live (participant, behind)",
                phone,
                f"/s/{code}/live/?audience=participants&since=0",
            ),
            (
                "live (current: 204)",
                anonymous,
                f"/s/{code}/live/?audience=board&since={live_session.sequence}",
            ),
            ("dashboard", facilitator, dashboard),
            # What a facilitator's dashboard asks for, region by region, on each change its
            # socket announces (static/js/facilitator.js).
            *(
                (f"dashboard region {region}", facilitator, f"{dashboard}?region={region}")
                for region in ("controls", "door", "presenting", "overview", "moderation")
            ),
        ]
        print(
            f"{args.runs} run(s) of {args.repeat} timed request(s) per page, "
            "the app and the bare view alternating",
            flush=True,
        )
        results: dict[str, list[tuple[dict, dict]]] = {name: [] for name, _, _ in pages}
        bodies = {}
        for run in range(1, args.runs + 1):
            for index, (name, client, path) in enumerate(pages):
                app = measure(client, path, args.repeat)
                bodies[name] = app["body"]
                BARE_PAGES[index] = (app["status"], app["content_type"], app["body"])
                bare = measure(client, BARE_PATH.format(index), args.repeat)
                if (bare["status"], bare["bytes"]) != (app["status"], app["bytes"]):
                    raise RuntimeError(f"bare {name}: {bare['status']} {bare['bytes']} bytes")
                bare.pop("body")
                results[name].append(({**app, "body": None}, bare))
                print(
                    f"  run {run} {name}: app {ms_text(app['ms'])} ms, "
                    f"bare {ms_text(bare['ms'])} ms, {app['queries']} queries",
                    flush=True,
                )
            print(f"run {run} done; {load_average()}", flush=True)
        rows = []
        for name, _, path in pages:
            app_ms = [app["ms"] for app, _ in results[name]]
            bare_ms = [bare["ms"] for _, bare in results[name]]
            ratios = [app["ms"] / bare["ms"] for app, bare in results[name]]
            last, last_bare = results[name][-1]
            app_range = median_range(app_ms, "{:.1f}")[1]
            bare_median, bare_range = median_range(bare_ms, "{:.1f}")
            ratio_median, ratio_range = median_range(
                ratios, "{:.1f}" if max(ratios) < 100 else "{:.0f}"
            )
            rows.append(
                [
                    name,
                    path.replace(code, "<CODE>"),
                    last["status"],
                    last["queries"],
                    ms_text(statistics.median(app_ms))
                    + ("" if last["repeat"] > 1 else " (1 req/run)"),
                    f"{last['bytes'] / 1024:.0f}",
                    f"{last['gzip'] / 1024:.0f}",
                    app_range,
                    bare_median,
                    bare_range,
                    last_bare["queries"],
                    f"{ratio_median}x ({ratio_range})",
                ]
            )
        load = first_load(
            phone, reverse("sessions:participant", args=[code]), bodies["participant"]
        )
        from django.db import connections

        connections.close_all()
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:
            pass
        drop_database(DATABASE)
        shutil.rmtree(static_root, ignore_errors=True)

    print()
    print(
        table(
            [
                "page",
                "path",
                "status",
                "queries",
                "server ms (median)",
                "HTML KB",
                "gzip KB",
                "app range ms",
                "bare ms (median)",
                "bare range ms",
                "bare queries",
                "app/bare (range)",
            ],
            rows,
        )
    )
    print(
        f"median of {args.runs} run(s), each the median of {args.repeat} request(s) after a "
        "warm-up; app/bare is run by run"
    )
    parts = load["parts"]
    print()
    print(
        table(
            ["participant page, first load", "bytes as served (gzip)"],
            [[name, f"{size:,}"] for name, size in parts.items()]
            + [["**total**", f"**{sum(parts.values()):,}** ({sum(parts.values()) / 1024:.0f} KB)"]],
        )
    )
    print(
        f"assets from another host: {load['foreign'] or 'none'}; missing: {load['missing'] or 'none'}"
    )
    print(f"total {time.monotonic() - started:.0f} s; at the end: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
