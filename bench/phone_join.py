"""A phone's extra time to join through the door's proof of work.

Starts two uvicorn workers as production runs them (DEBUG=false, PostgreSQL, Redis, static
files collected) on a database of its own, one asking the proof of work (JOIN_CHALLENGE=true)
and one not (the baseline), and has each phone join through one and then the other, back to
back (which first alternates), so that the machine's load weighs on both alike. The phone is
Chromium at a 390x844 touch viewport with 4x CPU throttling through CDP
(Emulation.setCPUThrottlingRate). That throttling slows the page's main thread but not the
threads WebCrypto's PBKDF2 runs on (measured: 4x changes a two-worker solve by a few per
cent), so each measure is also taken with the whole browser inside half a core (a cgroup CPU
quota, --cpu-quota 0 0.5), where the web workers' search is slowed too: a pessimistic phone
(its main thread then suffers both). A phone scans the QR code (the page opens with "in the
room" chosen), ticks the agreement and taps Join, either at once ("hurried": as soon as the
button can be tapped, the worst case) or after 3 s of reading ("reading"). Prints, per case,
the median and range of the time from opening the link to the participant page with and
without the check and of their difference, the check's own time, and the phone's time per
attempt (what bench/joins.py uses to account for 1,000 phones' work).

    .venv/bin/python bench/phone_join.py                       # 8 phones per case
    .venv/bin/python bench/phone_join.py --phones 12 --cpu-quota 0

Not part of the test suite. Talks to 127.0.0.1 only; removes its servers, database and cgroup
on exit.
"""

import argparse
import base64
import json
import os
import shutil
import stat
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import (  # noqa: E402
    REDIS_BENCH_URL,
    base_env,
    create_database,
    drop_database,
    load_average,
    machine,
    setup_django,
    start_servers,
    stop_servers,
    table,
)

DATABASE = "commonground_bench_phone"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CGROUP = Path("/sys/fs/cgroup/cpu/commonground-bench-phone")
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phones", type=int, default=8, help="joins per case")
    parser.add_argument("--throttle", type=float, default=4.0, help="CDP CPU throttling rate")
    parser.add_argument(
        "--cpu-quota",
        type=float,
        nargs="+",
        default=[0.0, 0.5],
        help="cores the browser may use, one configuration each (0: no limit)",
    )
    parser.add_argument("--reading", type=float, default=3.0, help="seconds a reader waits")
    return parser.parse_args()


def browser_in_cgroup(quota: float) -> str | None:
    """An executable that starts Chromium inside a cgroup limited to ``quota`` cores, or None
    (with the reason printed) where cgroups cannot be made."""
    if quota <= 0:
        return None
    try:
        CGROUP.mkdir(exist_ok=True)
        (CGROUP / "cpu.cfs_period_us").write_text("100000")
        (CGROUP / "cpu.cfs_quota_us").write_text(str(int(quota * 100000)))
    except OSError as exc:
        print(f"no CPU quota for the browser ({exc}): the phone's workers run unthrottled")
        return None
    wrapper = Path(tempfile.mkdtemp(prefix="bench-phone-")) / "chromium-in-cgroup"
    wrapper.write_text(f'#!/bin/sh\necho $$ > {CGROUP}/cgroup.procs\nexec {CHROMIUM} "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    return str(wrapper)


def remove_cgroup() -> None:
    if CGROUP.exists():
        try:
            CGROUP.rmdir()
        except OSError as exc:
            print(f"warning: could not remove {CGROUP}: {exc}", file=sys.stderr)


def new_session() -> str:
    from django.db import connections

    from sessions import services
    from taxonomy.queries import default_taxonomy

    code = services.create_live_session(title="Phone", taxonomy=default_taxonomy()).code
    connections.close_all()
    return code


def one_join(browser, port: int, code: str, throttle: float, wait: float) -> dict:
    """One phone from the QR link to the participant page: seconds, and the check's figures."""
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        cdp = context.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": throttle})
        started = time.monotonic()
        page.goto(f"http://127.0.0.1:{port}/join/{code}/?at=room", wait_until="commit")
        agree = page.get_by_label("I agree")
        agree.check()
        if wait:
            page.wait_for_timeout(wait * 1000)
        with page.expect_navigation(url=f"**/s/{code}/", timeout=60_000):
            page.get_by_role("button", name="Join").click()
        took = time.monotonic() - started
        return {"seconds": took, "errors": errors}
    finally:
        context.close()


def check_time(browser, port: int, code: str, throttle: float) -> dict:
    """The check alone: from opening the page to the widget's answer, and that answer."""
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": throttle})
        started = time.monotonic()
        page.goto(f"http://127.0.0.1:{port}/join/{code}/?at=room", wait_until="commit")
        page.locator("#join-check[data-ready]").wait_for(state="attached")
        ready = page.locator("#join-check").get_attribute("data-ready")
        page.locator("#join-check", has_text=ready).wait_for(timeout=60_000)
        seconds = time.monotonic() - started
        payload = page.locator('input[name="altcha"]').input_value()
        solution = json.loads(base64.b64decode(payload))["solution"]
        return {"seconds": seconds, "counter": solution["counter"], "ms": solution["time"]}
    finally:
        context.close()


def summary(values: list[float]) -> str:
    if not values:
        return "n/a"
    return f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})"


def main() -> int:
    args = parse_args()
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread: the ORM calls between pages are
    # the bench's own, one at a time (as in tests/e2e).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

    print(f"# phone join, {time.strftime('%Y-%m-%d %H:%M')}, {machine()}")
    print(f"at start: {load_average()}", flush=True)
    static_root = tempfile.mkdtemp(prefix="bench-static-")
    common = {
        "DJANGO_SETTINGS_MODULE": "bench._pages_settings",
        "BENCH_STATIC_ROOT": static_root,
        "REDIS_URL": REDIS_BENCH_URL,
        "CHANNEL_LAYER_PREFIX": f"cgbench-{os.getpid()}-phone",
        "RATE_LIMITS_ENABLED": "true",
    }
    create_database(DATABASE)
    servers: list = []
    report: list[str] = []
    failures: list[str] = []
    try:
        setup_django(base_env(DATABASE, **common))
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        call_command("load_taxonomy", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
        call_command("collectstatic", interactive=False, verbosity=0)
        with sync_playwright() as playwright:
            for quota in args.cpu_quota:
                executable = browser_in_cgroup(quota)
                browser = playwright.chromium.launch(
                    executable_path=executable or CHROMIUM,
                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
                    headless=True,
                )
                results: dict[tuple[str, str], list[float]] = {}
                checks: list[dict] = []
                # Both servers at once, each phone joining through one then the other (in
                # turn first): the machine's load, shared with other work, weighs on both.
                doors = {}
                for challenge in ("true", "false"):
                    env = base_env(DATABASE, **common, JOIN_CHALLENGE=challenge)
                    started = start_servers(env, 1, f"phone-{challenge}", kind="uvicorn")
                    servers += started
                    label = "with the check" if challenge == "true" else "without (baseline)"
                    doors[label] = (started[0].port, new_session())
                    one_join(browser, *doors[label], args.throttle, 0)  # warm it up
                for index in range(args.phones):
                    order = list(doors) if index % 2 == 0 else list(reversed(doors))
                    for case, wait in (("hurried", 0.0), ("reading", args.reading)):
                        for label in order:
                            run = one_join(browser, *doors[label], args.throttle, wait)
                            results.setdefault((label, case), []).append(run["seconds"] - wait)
                            failures += run["errors"]
                    checks.append(check_time(browser, *doors["with the check"], args.throttle))
                stop_servers(servers)
                servers = []
                print(f"{quota:g} core done; {load_average()}", flush=True)
                browser.close()
                remove_cgroup()
                limit = f"inside {quota:g} core" if executable else "no CPU quota"
                report.append(describe(args, limit, results, checks))
    finally:
        stop_servers(servers)
        remove_cgroup()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:
            pass
        drop_database(DATABASE)
        shutil.rmtree(static_root, ignore_errors=True)

    print("\n\n".join(report))
    if failures:
        print("console errors:\n" + "\n".join(sorted(set(failures))))
    print(f"at the end: {load_average()}")
    return 0 if not failures else 1


def describe(args, limit: str, results: dict, checks: list[dict]) -> str:
    lines = [
        f"\nChromium 390x844, CDP throttling {args.throttle:g}x, {limit}; {args.phones} joins "
        f"per case. Seconds from opening the link to the participant page (without the "
        f"{args.reading:g} s of reading), median (range):\n"
    ]
    rows = []
    for case in ("hurried", "reading"):
        with_check = results[("with the check", case)]
        without = results[("without (baseline)", case)]
        # Each pair was measured back to back (one phone through each door).
        extra = [a - b for a, b in zip(with_check, without, strict=True)]
        rows.append(
            [
                case,
                summary(with_check),
                summary(without),
                f"{statistics.median(with_check) - statistics.median(without):+.2f}",
                summary(extra),
            ]
        )
    lines.append(
        table(
            [
                "tap",
                "with the check",
                "without (baseline)",
                "extra (medians)",
                "extra, each pair",
            ],
            rows,
        )
    )
    seconds = [c["seconds"] for c in checks]
    per_attempt = [c["ms"] / (c["counter"] + 1) for c in checks]
    answers = [c["counter"] for c in checks]
    lines.append(
        f"\nthe check alone (page opened to answer found): {summary(seconds)} s; answers "
        f"{summary(answers)}; a phone's time per attempt {summary(per_attempt)} ms "
        f"(total over answers: {sum(c['ms'] for c in checks) / sum(a + 1 for a in answers):.2f})"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
