"""Production as shipped, on this machine: Debian's nginx with deploy/nginx.conf (paths, ports
and the certificate substituted, a self-signed certificate made for the test), two uvicorn
workers on unix sockets with the systemd unit's own flags and the production settings
(DEBUG off, the manifest static storage after collectstatic), and a Redis of the test's own
between them. Used by tests/test_production_stack.py and bench/plenary.py."""

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.servers import ROOT, RedisServer, database_url, free_port, shipped_uvicorn_flags

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SITE = ROOT / "deploy" / "nginx.conf"
APP = "commonground.asgi:application"


def site_config(
    *,
    sockets: list[Path],
    https_port: int,
    http_port: int,
    certificate: Path,
    key: Path,
    static_root: Path,
    logs: Path,
) -> str:
    """deploy/nginx.conf with this machine's paths and ports; everything else as shipped."""
    conf = SITE.read_text()
    upstreams = "\n".join(f"    server unix:{socket};" for socket in sockets)
    conf, found = re.subn(
        r"(?:^\s*server unix:/run/commonground/uvicorn-\d+\.sock;\n)+",
        upstreams + "\n",
        conf,
        flags=re.M,
    )
    assert found == 1, "the upstream block of deploy/nginx.conf changed shape"
    replacements = [
        (r"listen \[::\]:\d+[^;]*;\n\s*", ""),  # the test listens on 127.0.0.1 only
        (r"listen 80;", f"listen 127.0.0.1:{http_port};"),
        (r"listen 443 ", f"listen 127.0.0.1:{https_port} "),
        (r"server_name commonground\.example\.org;", "server_name localhost;"),
        (r"/etc/letsencrypt/live/commonground\.example\.org/fullchain\.pem", str(certificate)),
        (r"/etc/letsencrypt/live/commonground\.example\.org/privkey\.pem", str(key)),
        (r"/srv/commonground/app/staticfiles/", f"{static_root}/"),
        (r"/var/log/nginx/", f"{logs}/"),
    ]
    for pattern, replacement in replacements:
        conf, count = re.subn(pattern, replacement, conf)
        assert count, f"deploy/nginx.conf no longer has {pattern!r}"
    return conf


def main_config(workdir: Path) -> str:
    """What Debian's /etc/nginx/nginx.conf gives the site, in the test's own directory."""
    temp = workdir / "temp"
    return f"""
# The test's files are root's (0700): the workers read them as root. In production Debian's
# nginx runs its workers as www-data, the group the unit gives the sockets (UMask=0007).
user root root;
daemon off;
worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/logs/main-error.log warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {workdir}/site.conf;
}}
"""


class ProductionStack:
    """Start with ``start()``, stop with ``stop()``; ``https_url`` is the site."""

    def __init__(self, *, workers: int = 2, env: dict[str, str] | None = None) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="cg-production-"))
        self.https_port, self.http_port = free_port(), free_port()
        self.https_url = f"https://localhost:{self.https_port}"
        self.http_url = f"http://localhost:{self.http_port}"
        self.sockets = [self.workdir / f"uvicorn-{n}.sock" for n in range(1, workers + 1)]
        self.static_root = self.workdir / "staticfiles"
        self.logs = self.workdir / "logs"
        self.redis = RedisServer()
        self.extra_env = env or {}
        self.processes: list[subprocess.Popen] = []
        self.outputs: list[Path] = []

    def env(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "CHANNEL_LAYER_PREFIX", "REDIS_URL"}
        }
        env.update(
            DJANGO_SETTINGS_MODULE="commonground.settings",
            DEBUG="false",
            SECRET_KEY="production-stack-test-" + "x" * 40,
            DATABASE_URL=database_url(),
            REDIS_URL=self.redis.url,
            ALLOWED_HOSTS="localhost",
            # nginx passes $host (no port): behind it on a port of its own, the page's origin
            # must be trusted explicitly, as docs/deploy.md says for any proxy.
            CSRF_TRUSTED_ORIGINS=self.https_url,
            STATIC_ROOT=str(self.static_root),
            PUBLIC_URL=self.https_url,
        )
        env.update(self.extra_env)
        return env

    def start(self) -> "ProductionStack":
        self.logs.mkdir()
        for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.workdir / "temp" / name).mkdir(parents=True)
        certificate, key = self.workdir / "cert.pem", self.workdir / "key.pem"
        subprocess.run(  # noqa: S603 - a fixed local binary
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost",
                "-keyout",
                str(key),
                "-out",
                str(certificate),
            ],
            check=True,
            capture_output=True,
        )
        subprocess.run(  # noqa: S603 - our own interpreter
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=self.env(),
            check=True,
            capture_output=True,
        )
        self.redis.start()
        for number, path in enumerate(self.sockets, start=1):
            self._spawn(
                f"uvicorn-{number}",
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    *shipped_uvicorn_flags(),
                    "--uds",
                    str(path),
                    APP,
                ],
            )
        (self.workdir / "site.conf").write_text(
            site_config(
                sockets=self.sockets,
                https_port=self.https_port,
                http_port=self.http_port,
                certificate=certificate,
                key=key,
                static_root=self.static_root,
                logs=self.logs,
            )
        )
        (self.workdir / "nginx.conf").write_text(main_config(self.workdir))
        self._spawn(
            "nginx",
            [
                NGINX,
                "-p",
                str(self.workdir),
                "-c",
                str(self.workdir / "nginx.conf"),
                "-e",
                str(self.logs / "startup-error.log"),
            ],
        )
        self._wait_until_serving()
        return self

    def _spawn(self, name: str, argv: list[str]) -> None:
        output = self.workdir / f"{name}.out"
        with output.open("wb") as out:
            self.processes.append(
                subprocess.Popen(  # noqa: S603 - fixed binaries and our own arguments
                    argv, cwd=ROOT, env=self.env(), stdout=out, stderr=subprocess.STDOUT
                )
            )
        self.outputs.append(output)

    def _wait_until_serving(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        for path in self.sockets:
            while not self._accepts(path):
                self._assert_running()
                assert time.monotonic() < deadline, self.output()
                time.sleep(0.2)
        with httpx.Client(verify=False) as client:  # noqa: S501 - the test's own certificate
            while True:
                self._assert_running()
                with contextlib.suppress(httpx.TransportError):
                    if client.get(f"{self.https_url}/join/").status_code == 200:
                        return
                assert time.monotonic() < deadline, self.output()
                time.sleep(0.2)

    @staticmethod
    def _accepts(path: Path) -> bool:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(str(path))
            except OSError:
                return False
        return True

    def _assert_running(self) -> None:
        for process in self.processes:
            assert process.poll() is None, f"a server exited:\n{self.output()}"

    def output(self) -> str:
        """What every server wrote to its stdout and stderr."""
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}"
            for path in self.outputs
            if path.exists()
        )

    def nginx_logs(self) -> dict[str, str]:
        return {path.name: path.read_text(errors="replace") for path in self.logs.iterdir()}

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
        self.redis.stop()

    def cleanup(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)
