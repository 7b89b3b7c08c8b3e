"""Shared plumbing for the benchmarks: databases, server processes, a small HTTP client.

Everything here talks to 127.0.0.1 only, and every wait is bounded."""

import asyncio
import contextlib
import os
import platform
import resource
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
# A database of its own for rate-limit keys; BENCH_REDIS_URL chooses another (several people
# benching on one machine).
REDIS_BENCH_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
# BENCH_PORTS="8750-8799": servers listen only on ports in that range (a shared machine).
_PORTS = os.environ.get("BENCH_PORTS", "")

# CSRF: the cookie holds the secret, the header repeats it (Django accepts an unmasked secret).
CSRF_SECRET = "b" * 16 + secrets.token_hex(8)


def base_env(database: str, **extra: str) -> dict[str, str]:
    """Production settings (DEBUG false) for a server or for the bench process itself."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REDIS_URL", "CHANNEL_LAYER_BACKEND", "DATABASE_URL")
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "commonground.settings",
            "DEBUG": "false",
            "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",  # plain HTTP on the loopback, no proxy
            "SECURE_HSTS_SECONDS": "0",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


def raise_open_files_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def machine() -> str:
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        model = platform.processor()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({model}), {mem:.0f} GB RAM, Python {platform.python_version()}"


def load_average() -> str:
    """The machine is shared: print the load with every result so noisy runs show."""
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


# --- PostgreSQL ---------------------------------------------------------------------------------


def create_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except Exception as exc:  # cleanup must not hide the real error
        print(f"warning: could not drop database {name}: {exc}", file=sys.stderr)


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    for key in ("REDIS_URL", "CHANNEL_LAYER_BACKEND"):
        if key not in env:
            os.environ.pop(key, None)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    import django

    django.setup()


def quiet_setup_pushes() -> None:
    """While the bench builds its data nobody watches: skip the live pushes of setup writes."""
    from sessions.live import events

    events.publish = lambda event: None


# --- server processes -----------------------------------------------------------------------


_given: list[int] = []


def free_port() -> int:
    """A free port on the loopback: any, or the first free one in BENCH_PORTS."""
    low, _, high = _PORTS.partition("-")
    candidates = list(range(int(low), int(high or low) + 1)) if low else [0]
    # A port handed out a moment ago may not be bound yet: start after the last one given.
    start = (candidates.index(_given[-1]) + 1) if _given and _given[-1] in candidates else 0
    for port in candidates[start:] + candidates[:start]:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            _given.append(sock.getsockname()[1])
            return _given[-1]
    raise RuntimeError(f"no free port in BENCH_PORTS={_PORTS}")


class Server:
    """One server process (own process group), its log in a temporary file."""

    def __init__(
        self, argv: list[str], env: dict[str, str], port: int, name: str, cwd: Path = ROOT
    ) -> None:
        self.port = port
        self.name = name
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in stop())
            prefix=f"bench-{name}-", suffix=".log", delete=False
        )
        self.proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @classmethod
    def daphne(
        cls, env: dict[str, str], name: str = "daphne", app: str = "commonground.asgi:application"
    ) -> "Server":
        port = free_port()
        argv = [
            PYTHON,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            # As the shipped unit's Daphne command: a screen sends at most 2,048 characters; the
            # message limit stays Daphne's 1 MiB, since autobahn applies it to what it sends too.
            "--websocket-max-frame-size",
            "16384",
            app,
        ]
        return cls(argv, env, port, name)

    @classmethod
    def uvicorn(
        cls,
        env: dict[str, str],
        name: str = "uvicorn",
        app: str = "commonground.asgi:application",
        cwd: Path = ROOT,
    ) -> "Server":
        port = free_port()
        argv = [PYTHON, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port)]
        # As deploy/commonground@.service runs it.
        argv += ["--no-access-log", "--no-proxy-headers", "--log-level", "warning"]
        # BENCH_UVICORN_WS compares uvicorn's other WebSocket implementations (websockets-sansio,
        # websockets) with the shipped one (wsproto).
        ws = os.environ.get("BENCH_UVICORN_WS", "wsproto")
        argv += ["--lifespan", "off", "--ws", ws, "--ws-max-size", "16384"]
        argv += ["--ws-per-message-deflate", "false", app]
        return cls(argv, env, port, name, cwd)

    @classmethod
    def granian(
        cls, env: dict[str, str], name: str = "granian", app: str = "commonground.asgi:application"
    ) -> "Server":
        """Granian (Rust HTTP and WebSocket server, ASGI interface), one worker process, no
        access log, as a candidate to uvicorn (bench/fanout.py --server granian)."""
        port = free_port()
        argv = [PYTHON, "-m", "granian", "--interface", "asgi", "--host", "127.0.0.1"]
        argv += ["--port", str(port), "--workers", "1", "--no-access-log", "--log-level"]
        argv += ["warning", app]
        return cls(argv, env, port, name)

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not listen on {self.port} within {timeout}s")

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(Path(self.log.name).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=8)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(timeout=5)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    pass
        self.log.close()
        with contextlib.suppress(OSError):
            os.unlink(self.log.name)


def start_servers(
    env: dict[str, str],
    workers: int,
    name: str,
    app: str = "commonground.asgi:application",
    kind: str = "daphne",
    cwd: Path = ROOT,
) -> list[Server]:
    """``cwd``: the checkout the servers run (another commit's tree, for a before and after)."""
    servers: list[Server] = []
    try:
        for index in range(workers):
            if kind == "uvicorn":
                servers.append(Server.uvicorn(env, name=f"{name}-{index}", app=app, cwd=cwd))
            elif kind == "granian":
                servers.append(Server.granian(env, name=f"{name}-{index}", app=app))
            else:
                servers.append(Server.daphne(env, name=f"{name}-{index}", app=app))
        for server in servers:
            server.wait_ready()
    except BaseException:
        stop_servers(servers)
        raise
    return servers


def stop_servers(servers: list[Server]) -> None:
    for server in servers:
        server.stop()


# --- a small keep-alive HTTP/1.1 client -----------------------------------------------------


class HttpConnection:
    """One persistent connection; enough HTTP/1.1 for Daphne's answers (length or chunked)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b"", timeout=30.0
    ) -> tuple[int, bytes]:
        return await asyncio.wait_for(self._request(method, path, headers, body), timeout)

    async def _request(self, method, path, headers, body) -> tuple[int, bytes]:
        if self.writer is None or self.writer.is_closing():
            await self._connect()
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}"]
        lines += [f"{key}: {value}" for key, value in headers.items()]
        lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            # The server closed an idle keep-alive connection: retry once on a fresh one.
            await self._connect()
            self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
            head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
        response_headers = {}
        self.set_cookies = {}  # name -> value, from this answer's Set-Cookie headers
        for line in header_lines:
            if ":" in line:
                key, value = line.split(":", 1)
                response_headers[key.strip().lower()] = value.strip()
                if key.strip().lower() == "set-cookie":
                    name, _, rest = value.strip().partition("=")
                    self.set_cookies[name] = rest.split(";", 1)[0]
        if "content-length" in response_headers:
            data = await self.reader.readexactly(int(response_headers["content-length"]))
        elif response_headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                chunks.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            data = b"".join(chunks)
        else:
            data = await self.reader.read()
            self.close()
        if response_headers.get("connection", "").lower() == "close":
            self.close()
        return status, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def vote_headers(code: str, token: str, port: int) -> dict[str, str]:
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"cg_p_{code}={token}; csrftoken={CSRF_SECRET}",
        "X-CSRFToken": CSRF_SECRET,
        "Origin": f"http://127.0.0.1:{port}",
        "HX-Request": "true",
    }


# --- numbers ------------------------------------------------------------------------------------


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median_range(values: list[float], fmt: str = "{:.0f}") -> tuple[str, str]:
    """The median and the range ("A–B") of one figure over several runs, formatted."""
    if not values:
        return "n/a", "n/a"
    low, high = fmt.format(min(values)), fmt.format(max(values))
    return fmt.format(statistics.median(values)), f"{low}–{high}"


def spread(values: list[float], fmt: str = "{:.0f}") -> str:
    """Several runs as "median X (range A–B, n runs)"."""
    middle, span = median_range(values, fmt)
    return f"median {middle} (range {span}, {len(values)} runs)"


def ms(value: float) -> str:
    return "n/a" if value != value else f"{value * 1000:.0f}"


def table(headers: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    out += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(out)
