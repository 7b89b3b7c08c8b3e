"""Lighthouse (npm package) against Debian's Chromium, at mobile settings, on the home,
taxonomy, participant and board pages of a production-like server. Prints the scores.

    python bench/lighthouse.py            # installs lighthouse into bench/.lighthouse once

Targets (issue "Bilingual interface and an accessible, phone-first experience"):
accessibility 100 and performance at least 95 on each page.
"""

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE_VERSION = "12.8.2"  # the last major that runs on Node 20
TOOL_DIR = ROOT / "bench" / ".lighthouse"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_lighthouse() -> Path:
    binary = TOOL_DIR / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        TOOL_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(TOOL_DIR),
                f"lighthouse@{LIGHTHOUSE_VERSION}",
            ],
            check=True,
        )
    return binary


def main() -> int:
    lighthouse = ensure_lighthouse()
    workdir = Path(tempfile.mkdtemp(prefix="cg-lighthouse-"))
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "commonground.settings",
        "DEBUG": "false",
        "SECRET_KEY": "lighthouse-bench-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
    }
    env.pop("REDIS_URL", None)
    python = sys.executable
    manage = [python, str(ROOT / "manage.py")]

    def run(*args: str) -> None:
        subprocess.run(
            [*manage, *args], env=env, check=True, cwd=ROOT, capture_output=True, text=True
        )

    run("migrate", "--noinput")
    run("collectstatic", "--noinput", "--clear")
    run("load_taxonomy")
    run("seed_demo", "--password", secrets.token_urlsafe(16))  # DEBUG is off: one is required
    info = (
        subprocess.run(
            [
                *manage,
                "shell",
                "-c",
                "from sessions.models import LiveSession; from sessions import services; "
                "s = LiveSession.objects.get(); p, t = services.join_session(live_session=s, presence='room', agreed=True); "
                "import json; print(json.dumps({'code': s.code, 'token': t}))",
            ],
            env=env,
            check=True,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    demo = json.loads(info)
    server = subprocess.Popen(
        [
            python,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "--access-log",
            os.devnull,
            # As the shipped unit: a screen sends at most 2,048 characters; the
            # message limit stays Daphne's 1 MiB, since autobahn applies it to what it sends too.
            "--websocket-max-frame-size",
            "16384",
            "commonground.asgi:application",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        base = f"http://127.0.0.1:{port}"
        code = demo["code"]
        pages = {
            "home": (f"{base}/", {}),
            "taxonomy": (f"{base}/taxonomy/", {}),
            "participant": (f"{base}/s/{code}/", {"Cookie": f"cg_p_{code}={demo['token']}"}),
            "board": (f"{base}/s/{code}/board/", {}),
        }
        print(f"Lighthouse {LIGHTHOUSE_VERSION}, mobile preset (default), Debian Chromium")
        print(f"{'page':<12} {'performance':>11} {'accessibility':>13} {'best-practices':>14}")
        results = {}
        for name, (url, headers) in pages.items():
            out = workdir / f"{name}.json"
            cmd = [
                str(lighthouse),
                url,
                "--quiet",
                "--output=json",
                f"--output-path={out}",
                "--only-categories=performance,accessibility,best-practices",
                "--chrome-flags=--headless --no-sandbox --disable-gpu --disable-background-networking "
                "--disable-component-update --disable-sync --no-first-run",
            ]
            if headers:
                cmd.append(f"--extra-headers={json.dumps(headers)}")
            subprocess.run(cmd, check=True, env={**os.environ, "CHROME_PATH": CHROMIUM})
            report = json.loads(out.read_text())
            scores = {key: round(cat["score"] * 100) for key, cat in report["categories"].items()}
            results[name] = scores
            print(
                f"{name:<12} {scores['performance']:>11} {scores['accessibility']:>13} {scores['best-practices']:>14}"
            )
            metrics = (
                "first-contentful-paint",
                "largest-contentful-paint",
                "total-blocking-time",
                "cumulative-layout-shift",
                "speed-index",
            )
            print(
                "             "
                + ", ".join(f"{m}: {report['audits'][m]['displayValue']}" for m in metrics)
            )
        return (
            0
            if all(s["accessibility"] == 100 and s["performance"] >= 95 for s in results.values())
            else 1
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
