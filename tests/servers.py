"""Real servers for the tests that need them: app workers started as the shipped systemd unit
starts them, a redis-server of the test's own, and a TCP proxy of the test's own in front of
PostgreSQL that can cut or hang the database.

A test that breaks a service breaks only these: never the shared PostgreSQL or Redis.
Workers run tests.server_settings (the production settings, plain static files)."""

import asyncio
import contextlib
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import redis
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "deploy" / "commonground@.service"
APP = "commonground.asgi:application"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def shipped_uvicorn_flags() -> list[str]:
    """uvicorn's flags in deploy/commonground@.service, without its binary, unix socket and
    application: what every worker a test starts runs with."""
    unit = UNIT.read_text()
    command = re.search(r"^ExecStart=(.*?)\n(?!\s)", unit, re.S | re.M).group(1)
    words = shlex.split(command.replace("\\\n", " "))
    flags = []
    skip = False
    for word in words[1:]:
        if skip:
            skip = False
        elif word == "--uds":
            skip = True
        elif word != APP:
            flags.append(word)
    return flags


def database_url(port: int | None = None) -> str:
    """The test database, as a DATABASE_URL for a worker process; ``port`` (PostgreSQL): reach
    it through a proxy on 127.0.0.1 at that port."""
    db = connection.settings_dict  # NAME is pytest-django's test database here
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = quote(db["USER"] or "postgres", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    host = "127.0.0.1" if port else db["HOST"] or "127.0.0.1"
    return f"postgres://{user}{password}@{host}:{port or db['PORT'] or 5432}/{db['NAME']}"


def worker_env(**overrides: str) -> dict[str, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.server_settings"}
    env["DATABASE_URL"] = database_url()
    for name in ("DJANGO_ALLOW_ASYNC_UNSAFE", "REDIS_URL", "CHANNEL_LAYER_PREFIX"):
        env.pop(name, None)
    env.update(overrides)
    return env


class Worker:
    """One app server process, its output (stdout and stderr) in a temporary file."""

    def __init__(self, argv: list[str], env: dict[str, str], port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            argv, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    @classmethod
    def uvicorn(cls, env: dict[str, str], port: int | None = None) -> "Worker":
        """uvicorn with the shipped unit's flags, on a TCP port instead of a unix socket."""
        port = port or free_port()
        argv = [sys.executable, "-m", "uvicorn", *shipped_uvicorn_flags()]
        return cls([*argv, "--host", "127.0.0.1", "--port", str(port), APP], env, port)

    @classmethod
    def daphne(cls, env: dict[str, str], port: int | None = None) -> "Worker":
        """Daphne as the unit's comment shows it, on a TCP port."""
        port = port or free_port()
        argv = [sys.executable, "-m", "daphne", "--access-log", "/dev/null"]
        argv += [  # as `make run` and the unit's comment
            "--websocket-max-frame-size",
            str(settings.DAPHNE_WEBSOCKET_MAX_FRAME_SIZE),
            "--websocket-max-message-size",
            str(settings.DAPHNE_WEBSOCKET_MAX_MESSAGE_SIZE),
        ]
        return cls([*argv, "-b", "127.0.0.1", "-p", str(port), APP], env, port)

    @classmethod
    def runserver(cls, env: dict[str, str], port: int | None = None) -> "Worker":
        """Daphne's runserver as `make run` starts it (DEBUG on), without the autoreloader."""
        port = port or free_port()
        argv = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
        return cls(argv, {**env, "DEBUG": "true"}, port)

    async def wait_until_serving(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient() as client:
            while True:
                assert self.process.poll() is None, f"the worker exited:\n{self.output()}"
                try:
                    if (await client.get(f"{self.url}/join/")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, f"the worker did not start:\n{self.output()}"
                await asyncio.sleep(0.2)

    def rss_kib(self) -> int:
        """Resident memory of the worker process (Linux)."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1))

    def output(self) -> str:
        """Everything the worker wrote so far (all of it once stopped)."""
        if self.log.closed:
            return self.final_output
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def kill(self) -> None:
        """As the kernel's OOM killer or a crash would: no shutdown."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        if not self.log.closed:
            self.final_output = self.output()
            self.log.close()


class RedisServer:
    """A redis-server of the test's own on a free port: stopped, restarted, paused (SIGSTOP,
    as a hung Redis: connections accepted, nothing answered) and resumed."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - a fixed local binary, no shell
            [
                shutil.which("redis-server"),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(host="127.0.0.1", port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()

    def pause(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None:
            self.resume()  # a stopped process does not act on SIGTERM until continued
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


class TcpProxy:
    """A TCP proxy the test owns, e.g. between the app and PostgreSQL.

    ``cut()`` is the server gone: open connections are closed and new ones refused.
    ``hang()`` is the server hung: connections stay open (new ones are accepted) and nothing is
    forwarded either way. ``restore()`` forwards again; what a hang held back is delivered."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = free_port()
        self._flowing = threading.Event()
        self._flowing.set()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        self._flowing.set()
        with self._lock:
            if self._listener is not None:
                # shutdown() wakes the accept() blocked on it; close() alone would not.
                self._close(self._listener)
                self._listener = None
            for sock in self._sockets:
                self._close(sock)
            self._sockets.clear()

    def hang(self) -> None:
        self._flowing.clear()

    def restore(self) -> None:
        if self._listener is None:
            self.start()
        self._flowing.set()

    def close(self) -> None:
        self.cut()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _address = listener.accept()
            except OSError:
                return  # cut or closed
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with self._lock:
            self._sockets.add(client)
        self._flowing.wait()
        try:
            upstream = socket.create_connection(self.upstream, timeout=5)
            upstream.settimeout(None)
        except OSError:
            self._close(client)
            return
        with self._lock:
            self._sockets.add(upstream)
        threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
        self._pump(upstream, client)

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            self._flowing.wait()  # a hang holds the bytes here until restore()
            if not data:
                self._close(target)
                self._close(source)
                return
            try:
                target.sendall(data)
            except OSError:
                self._close(source)
                return

    @staticmethod
    def _close(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()
