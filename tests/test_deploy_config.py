"""The shipped deployment files keep their promises: several workers, no access log of IP
addresses, WebSockets proxied, static files cached."""

import configparser
import re
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


def test_workers_run_without_an_access_log_or_proxy_headers():
    unit = (DEPLOY / "commonground@.service").read_text()
    command = re.search(r"ExecStart=(.*?)\n(?!\s)", unit, re.S).group(1)

    assert "--no-access-log" in command
    assert "--no-proxy-headers" in command
    assert "--ws wsproto" in command
    assert "commonground.asgi:application" in command
    assert "EnvironmentFile=/etc/commonground/commonground.env" in unit
    wants = (DEPLOY / "commonground.target").read_text()
    assert len(re.findall(r"commonground@\d+\.service", wants)) >= 2


def test_nginx_logs_no_address_and_proxies_websockets():
    conf = (DEPLOY / "nginx.conf").read_text()
    code = "\n".join(line.split("#")[0] for line in conf.splitlines())

    assert "$remote_addr" not in code and "x_forwarded_for" not in code.lower()
    for access_log in re.findall(r"access_log\s+([^;]+);", code):
        assert access_log.strip() == "off" or access_log.split()[-1] == "commonground_private"
    assert "listen 443 ssl http2;" in code
    assert "proxy_set_header Upgrade $http_upgrade;" in code
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in code
    assert "immutable" in code and "alias /srv/commonground/app/staticfiles/;" in code
    assert len(re.findall(r"server unix:/run/commonground/uvicorn-\d+\.sock;", code)) >= 2


def test_the_example_environment_names_every_required_variable():
    example = (DEPLOY / "commonground.env.example").read_text()
    names = {line.split("=")[0] for line in example.splitlines() if "=" in line[:40]}

    assert {
        "DATABASE_URL",
        "REDIS_URL",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "CSRF_TRUSTED_ORIGINS",
    } <= names
    assert "DEBUG=false" in example


def _unit(name: str) -> configparser.ConfigParser:
    """A systemd unit file, parsed (keys keep their case; continued lines joined)."""
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str
    text = (DEPLOY / name).read_text().replace("\\\n", " ")
    parser.read_string(text, source=name)
    return parser


def test_websocket_messages_are_small_and_uncompressed_in_every_server():
    command = _unit("commonground@.service")["Service"]["ExecStart"]
    max_size = int(re.search(r"--ws-max-size (\d+)", command).group(1))

    # A screen sends at most 2,048 characters: 8 KiB in UTF-8, with room for the JSON.
    assert 4 * 2048 < max_size <= 64 * 1024
    assert "--ws-per-message-deflate false" in command
    assert max_size == settings.DAPHNE_WEBSOCKET_MAX_FRAME_SIZE  # make run, browser tests
    # Autobahn's message limit also bounds what Daphne sends (snapshots): kept at 1 MiB.
    assert settings.DAPHNE_WEBSOCKET_MAX_MESSAGE_SIZE == 1024 * 1024
    daphne_commands = [
        (DEPLOY / "commonground@.service").read_text(),  # the Daphne alternative, commented
        (ROOT / "bench" / "_common.py").read_text(),
        (ROOT / "bench" / "lighthouse.py").read_text(),
    ]
    for text in daphne_commands:
        assert re.search(rf'--websocket-max-frame-size"?,?\s+"?{max_size}\b', text)
        assert "--websocket-max-message-size 16384" not in text
    bench_uvicorn = (ROOT / "bench" / "_common.py").read_text()
    assert f'"--ws-max-size", "{max_size}"' in bench_uvicorn
    assert '"--ws-per-message-deflate", "false"' in bench_uvicorn


def test_workers_log_nothing_below_warning():
    command = _unit("commonground@.service")["Service"]["ExecStart"]

    assert "--log-level warning" in command
    assert settings.LOGGING["loggers"]["uvicorn.error"]["level"] == "WARNING"
    assert settings.LOGGING["loggers"]["uvicorn.access"]["level"] == "WARNING"


def test_expired_sessions_are_cleared_daily_by_a_timer():
    timer = _unit("commonground-clearsessions.timer")
    service = _unit("commonground-clearsessions.service")
    worker = _unit("commonground@.service")

    assert timer["Timer"]["OnCalendar"] == "daily"
    assert timer["Timer"]["Persistent"] == "true"
    assert timer["Timer"]["Unit"] == "commonground-clearsessions.service"
    assert timer["Install"]["WantedBy"] == "timers.target"
    assert service["Service"]["Type"] == "oneshot"
    assert service["Service"]["ExecStart"].split()[-2:] == ["manage.py", "clearsessions"]
    for key in ("User", "WorkingDirectory", "EnvironmentFile"):
        assert service["Service"][key] == worker["Service"][key], key
    assert "commonground-clearsessions.timer" in (ROOT / "docs" / "deploy.md").read_text()


def test_the_timeouts_are_documented_where_operators_look():
    example = (DEPLOY / "commonground.env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    deploy = (ROOT / "docs" / "deploy.md").read_text()

    for name in ("REDIS_CONNECT_TIMEOUT", "REDIS_SOCKET_TIMEOUT", "DB_CONNECT_TIMEOUT"):
        assert f"\n{name}=" in example, name
        assert f"`{name}`" in readme and f"`{name}`" in deploy, name
    assert f"REDIS_SOCKET_TIMEOUT={settings.REDIS_SOCKET_TIMEOUT}" in example
