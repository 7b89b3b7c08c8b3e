"""Time and memory of every export on a large session, beside a bare baseline.

    python bench/export_large_session.py [--participants 2000] [--needs 10000] [--runs 3]
    python bench/export_large_session.py --participants 200 --needs 1000 --runs 2

Builds a session with 2,000 participants, 10,000 needs, 20,000 mappings, about 10,000 vote rows
and 1,000 gap notes (bulk_create), in a temporary SQLite database, or in DATABASE_URL if set
(the bench session and its taxonomy are deleted afterwards). Then each export runs in a fresh
child process, so that its resident-memory high-water mark is its own: once to time it, once
under tracemalloc for the peak of Python allocations. Prints one line per format: wall and
CPU time (CPU time is the steadier of the two on a busy machine), the file size, the
tracemalloc peak, and the child's maxrss, absolute and above its baseline after start-up.

Beside each export, in the same run and alternating with it, a bare baseline measured the same
way (its own child, the same start-up and warm-up, timed once, then again under tracemalloc):
the session's rows read with one raw SQL query per table (the session; its participants,
needs, mappings, votes and gap notes; its taxonomy's strategies; the columns the export's
tables are made from, without the joins, the dot and mapping totals or the visibility filter)
through the connection's chunked cursor (a server-side cursor on PostgreSQL, sqlite3 on
SQLite), fetched 2,000 rows at a time as the exports' querysets are, and written with the csv
module into one file. It is the floor of any export of these rows: the same database, the same
rows (a little more: hidden needs are not left out), read and written with no ORM, no
per-row Python beyond the csv writer and no format. The ratio export/bare is what the ORM, the
totals, the format (zip, workbook, JSON) or the report's statistics and templates cost on top.
The two reports aggregate in the database rather than read every row, so for them the bare dump
reads more than they need and their ratio understates their own overhead. The bare baseline
is the same for every format, so it is measured again beside each one: a change of load shows
in both. With --runs N every export and its baseline run N times; the summary
gives the median and the range over the runs and the ratio run by run.
"""

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORMATS = ["csv.zip", "session.xlsx", "session.json", "report.md", "report.html"]


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "commonground.settings"
    os.environ["DEBUG"] = "true"
    import django

    django.setup()


def build_session(code: str, participants: int, needs: int) -> None:
    """The large session, written with bulk_create in batches."""
    from django.db import transaction
    from django.utils import timezone

    from sessions.enums import ContributionStatus, GapKind, Phase, Presence
    from sessions.models import GapNote, LiveSession, Mapping, Need, Participant, Vote
    from taxonomy.enums import Approach, ReferenceKind
    from taxonomy.models import Category, Reference, Strategy, Taxonomy

    now = timezone.now()
    batch = 2000
    approaches = list(Approach.values)
    with transaction.atomic():
        taxonomy = Taxonomy.objects.create(slug=f"bench-{code.lower()}", title="Bench taxonomy")
        references = Reference.objects.bulk_create(
            Reference(
                taxonomy=taxonomy,
                number=n,
                key=f"author{n}2024",
                kind=ReferenceKind.ARTICLE,
                authors=["Ada Author", "Bea Writer"],
                year=2020 + n % 6,
                title=f"A study of collective action, part {n}",
                venue="Journal of Examples",
                doi=f"10.1234/bench.{n}",
            )
            for n in range(1, 30)
        )
        strategies = []
        for c in range(4):
            category = Category.objects.create(
                taxonomy=taxonomy,
                slug=f"cat-{c}",
                name=f"Category {c}",
                goal=f"Goal {c}",
                position=c,
            )
            for s in range(6):
                strategies.append(
                    Strategy(
                        taxonomy=taxonomy,
                        category=category,
                        slug=f"strategy-{c}-{s}",
                        name=f"Strategy {c}.{s}",
                        approach=approaches[s % len(approaches)],
                        summary="A strategy.",
                        position=s,
                    )
                )
        strategies = Strategy.objects.bulk_create(strategies)
        for index, strategy in enumerate(strategies):
            strategy.references.set([references[index % 29], references[(index * 7 + 3) % 29]])

        live_session = LiveSession.objects.create(
            code=code,
            title="A large bench session",
            question="What do our communities need?",
            taxonomy=taxonomy,
            phase=Phase.WRAPUP,
            dot_budget=5,
        )
        Participant.objects.bulk_create(
            (
                Participant(
                    live_session=live_session,
                    token_hash=f"{code}-{n:060d}"[-64:],
                    public_id=f"{code[:4]}{n:08x}",
                    pseudonym=f"Bench Otter {n}",
                    display_name=f"Name {n}" if n % 3 == 0 else "",
                    presence=Presence.REMOTE if n % 10 < 3 else Presence.IN_ROOM,
                    agreed_at=now,
                )
                for n in range(participants)
            ),
            batch_size=batch,
        )
        people = list(
            Participant.objects.filter(live_session=live_session)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        Need.objects.bulk_create(
            (
                Need(
                    live_session=live_session,
                    author_id=people[n % len(people)],
                    text=f"=Need {n}: know why our posts vanish from feeds after we use our own words",
                    context="TikTok" if n % 2 else "",
                    status=ContributionStatus.HIDDEN if n % 50 == 0 else ContributionStatus.VISIBLE,
                )
                for n in range(needs)
            ),
            batch_size=batch,
        )
        need_ids = list(
            Need.objects.filter(live_session=live_session)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        strategy_ids = [strategy.pk for strategy in strategies]
        count = len(strategy_ids)

        def mapped_strategies(n: int) -> tuple[int, int]:
            first = n % count
            second = (first + 1 + (n * 7) % (count - 1)) % count  # never equal to first
            return strategy_ids[first], strategy_ids[second]

        Mapping.objects.bulk_create(
            (
                Mapping(
                    live_session=live_session,
                    need_id=need_id,
                    author_id=people[(n + k) % len(people)],
                    strategy_id=mapped_strategies(n)[k],
                    reason="Because it worked for us" if k == 0 else "",
                )
                for n, need_id in enumerate(need_ids)
                for k in (0, 1)
            ),
            batch_size=batch,
        )
        mapping_ids = list(
            Mapping.objects.filter(live_session=live_session)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        # Five vote rows per participant: three needs and two mappings, all distinct.
        Vote.objects.bulk_create(
            [
                Vote(
                    live_session=live_session,
                    participant_id=person,
                    need_id=need_ids[(p * 5 + k * 1013) % len(need_ids)],
                    dots=1 + k % 2,
                )
                for p, person in enumerate(people)
                for k in range(3)
            ]
            + [
                Vote(
                    live_session=live_session,
                    participant_id=person,
                    mapping_id=mapping_ids[(p * 7 + k * 2003) % len(mapping_ids)],
                    dots=1,
                )
                for p, person in enumerate(people)
                for k in range(2)
            ],
            batch_size=batch,
        )
        kinds = list(GapKind.values)
        GapNote.objects.bulk_create(
            (
                GapNote(
                    live_session=live_session,
                    author_id=people[n % len(people)],
                    strategy_id=strategy_ids[n % count],
                    mapping_id=mapping_ids[n * 13] if n % 2 else None,
                    kind=kinds[n % len(kinds)],
                    text=f"Gap {n}: nothing addresses safety for trans creators here",
                )
                for n in range(needs // 10)
            ),
            batch_size=batch,
        )


def run_export(code: str, identifier: str, output: Path) -> int:
    """One export to ``output``, as the views produce it; returns its size in bytes."""
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from sessions.exports import EXPORTERS
    from sessions.exports.report import build_report
    from sessions.models import LiveSession

    live_session = LiveSession.objects.select_related("taxonomy").get(code=code)
    with output.open("wb") as file:
        if identifier == "report.html":
            request = RequestFactory().get(f"/facilitate/{code}/export/report/")
            html = render_to_string(
                "sessions/exports/report.html",
                {"report": build_report(live_session)},
                request=request,
            )
            file.write(html.encode())
        else:
            # Consume the stream chunk by chunk, as the server does.
            for chunk in EXPORTERS[identifier](live_session).chunks():
                file.write(chunk)
    return output.stat().st_size


# The bare baseline's tables: (model, the column it is filtered on, the fields read).
BARE_TABLES = (
    (
        "live_sessions.Participant",
        "live_session",
        ("id", "pseudonym", "presence", "joined_at", "removed_at"),
    ),
    (
        "live_sessions.Need",
        "live_session",
        ("id", "author", "text", "context", "status", "edited", "created"),
    ),
    (
        "live_sessions.Mapping",
        "live_session",
        ("id", "need", "author", "strategy", "reason", "status", "created"),
    ),
    ("live_sessions.Vote", "live_session", ("participant", "need", "mapping", "dots")),
    (
        "live_sessions.GapNote",
        "live_session",
        ("id", "author", "kind", "strategy", "mapping", "text", "status", "created"),
    ),
    ("taxonomy.Strategy", "taxonomy", ("id", "slug", "name", "category", "approach", "parent")),
)


def run_bare(code: str, output: Path) -> int:
    """The bare baseline to ``output``: one raw query per table, rows fetched in chunks and
    written with the csv module; returns the file's size in bytes."""
    from django.apps import apps
    from django.db import connection

    from sessions.models import LiveSession
    from sessions.queries.visibility import CHUNK_SIZE

    def column(model, name: str) -> str:
        return connection.ops.quote_name(model._meta.get_field(name).column)

    with output.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {column(LiveSession, 'id')}, {column(LiveSession, 'taxonomy')} "  # noqa: S608
                f"FROM {connection.ops.quote_name(LiveSession._meta.db_table)} "
                f"WHERE {column(LiveSession, 'code')} = %s",
                [code],
            )
            session_id, taxonomy_id = cursor.fetchone()
        keys = {"live_session": session_id, "taxonomy": taxonomy_id}
        for label, key, fields in BARE_TABLES:
            model = apps.get_model(label)
            writer.writerow([model._meta.db_table, *fields])
            with connection.chunked_cursor() as cursor:
                cursor.execute(
                    f"SELECT {', '.join(column(model, name) for name in fields)} "  # noqa: S608
                    f"FROM {connection.ops.quote_name(model._meta.db_table)} "
                    f"WHERE {column(model, key)} = %s ORDER BY {column(model, 'id')}",
                    [keys[key]],
                )
                while rows := cursor.fetchmany(CHUNK_SIZE):
                    writer.writerows(rows)
    return output.stat().st_size


def measure(code: str, identifier: str, workdir: Path, bare: bool = False) -> dict:
    """Run in a child process: the export (or, with ``bare``, the bare baseline) timed, then
    again under tracemalloc."""
    from django.db import connection, reset_queries
    from django.template.loader import get_template

    from sessions import exports  # noqa: F401  (imported before the baseline)
    from sessions.models import LiveSession

    # Connect, import and compile templates before taking the baseline.
    LiveSession.objects.get(code=code)
    get_template("sessions/exports/report.html")
    get_template("sessions/exports/report.md")
    baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if bare:
        output = workdir / f"{code}-bare-{identifier}.csv"

        def work() -> int:
            return run_bare(code, output)
    else:
        output = workdir / f"{code}-{identifier}"

        def work() -> int:
            return run_export(code, identifier, output)

    started, cpu_started = time.perf_counter(), time.process_time()
    size = work()
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    maxrss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    reset_queries()
    tracemalloc.start()
    work()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    connection.close()
    return {
        "format": "  bare" if bare else identifier,
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu_seconds, 3),
        "bytes": size,
        "tracemalloc_peak_mb": round(peak / 2**20, 1),
        "maxrss_mb": round(maxrss_kb / 1024, 1),
        "maxrss_over_baseline_mb": round((maxrss_kb - baseline_kb) / 1024, 1),
    }


def build(code: str, participants: int, needs: int) -> None:
    """Run in a child process: migrate and build the session."""
    from django.core.management import call_command
    from django.db import connection

    from sessions.models import LiveSession, Mapping, Vote

    call_command("migrate", verbosity=0, interactive=False)
    LiveSession.objects.filter(code=code).delete()
    started = time.perf_counter()
    build_session(code, participants, needs)
    live_session = LiveSession.objects.get(code=code)
    print(
        f"Built {live_session.participants.count()} participants, {needs} needs, "
        f"{Mapping.objects.filter(live_session=live_session).count()} mappings, "
        f"{Vote.objects.filter(live_session=live_session).count()} vote rows in "
        f"{time.perf_counter() - started:.1f} s on {connection.vendor}"
    )


def clean_up(code: str) -> None:
    from sessions.models import LiveSession

    live_session = LiveSession.objects.filter(code=code).select_related("taxonomy").first()
    if live_session:
        taxonomy = live_session.taxonomy
        live_session.delete()
        taxonomy.delete()


def child(*arguments: str) -> str:
    # Children, not this process, import Django and hold data: Linux carries a process's
    # maxrss over exec, so a lean parent keeps each child's high-water mark its own.
    result = subprocess.run(
        [sys.executable, __file__, *arguments],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ,
        timeout=900,
    )
    return result.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=2000)
    parser.add_argument("--needs", type=int, default=10000)
    parser.add_argument(
        "--runs", type=int, default=3, help="runs of every export and its bare baseline"
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        setup_django()
        action, code, *rest = args.child
        if action == "build":
            build(code, args.participants, args.needs)
        elif action in ("measure", "bare"):
            identifier, workdir = rest
            print(json.dumps(measure(code, identifier, Path(workdir), bare=action == "bare")))
        else:
            clean_up(code)
            print("cleaned up")
        return

    # Only this lean parent imports the shared helpers: the children's memory stays as it was.
    sys.path.insert(0, str(ROOT / "bench"))
    from _common import load_average

    begun = time.monotonic()
    print(
        f"# export bench, {time.strftime('%Y-%m-%d')}, {args.participants} participants, "
        f"{args.needs} needs"
    )
    print(f"at start: {load_average()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="cg-bench-") as tmp:
        workdir = Path(tmp)
        if not os.environ.get("DATABASE_URL"):
            os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
        code = "BNCH" + str(os.getpid() % 100).zfill(2)
        sizes = ["--participants", str(args.participants), "--needs", str(args.needs)]
        results: dict[str, list[tuple[dict, dict]]] = {identifier: [] for identifier in FORMATS}
        try:
            print(child(*sizes, "--child", "build", code), flush=True)
            print(f"{args.runs} run(s), each export followed by its bare baseline (raw SQL to CSV)")
            print(
                f"{'format':<14}{'time (s)':>10}{'cpu (s)':>9}{'size (MB)':>11}{'tracemalloc peak (MB)':>23}"
                f"{'maxrss (MB)':>13}{'maxrss over baseline (MB)':>27}{'run':>5}",
                flush=True,
            )
            for run in range(1, args.runs + 1):
                for identifier in FORMATS:
                    pair = []
                    for action in ("measure", "bare"):
                        row = json.loads(child("--child", action, code, identifier, str(workdir)))
                        pair.append(row)
                        print(
                            f"{row['format']:<14}{row['seconds']:>10.2f}{row['cpu_seconds']:>9.2f}"
                            f"{row['bytes'] / 2**20:>11.1f}"
                            f"{row['tracemalloc_peak_mb']:>23}{row['maxrss_mb']:>13}"
                            f"{row['maxrss_over_baseline_mb']:>27}{run:>5}",
                            flush=True,
                        )
                    results[identifier].append((pair[0], pair[1]))
                print(f"run {run} done; {load_average()}", flush=True)
        finally:
            child("--child", "clean-up", code)
        print()
        print(summary(results))
        print(f"total {time.monotonic() - begun:.0f} s; at the end: {load_average()}")


SUMMARY_FIGURES = (
    ("wall s", "seconds", "{:.2f}"),
    ("CPU s", "cpu_seconds", "{:.2f}"),
    ("tracemalloc peak MB", "tracemalloc_peak_mb", "{:.1f}"),
    ("maxrss over baseline MB", "maxrss_over_baseline_mb", "{:.1f}"),
)


def summary(results: dict[str, list[tuple[dict, dict]]]) -> str:
    """Per format and figure: the export's and the bare baseline's median (range), and the
    ratio export/bare run by run, median (range)."""
    from _common import median_range, table

    headers = ["format"]
    for label, _key, _fmt in SUMMARY_FIGURES:
        headers += [f"{label} export", f"{label} bare", f"{label} export/bare"]
    rows = []
    for identifier, pairs in results.items():
        row = [identifier]
        for _label, key, fmt in SUMMARY_FIGURES:
            app = [first[key] for first, _ in pairs]
            bare = [second[key] for _, second in pairs]
            ratios = [a / b for a, b in zip(app, bare, strict=True) if b > 0]
            for values, value_fmt in ((app, fmt), (bare, fmt), (ratios, "{:.1f}")):
                middle, span = median_range(values, value_fmt)
                row.append(f"{middle} ({span})")
            row[-1] = row[-1].replace(" (", "x (", 1)
        rows.append(row)
    return (
        table(headers, rows)
        + "\nmedian (range) over the runs; export/bare is run by run; bare = raw SQL, one query"
        " per table, to one CSV file"
    )


if __name__ == "__main__":
    main()
