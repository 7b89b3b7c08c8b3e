"""The shipped deployment files keep their promises: several workers, no access log of IP
addresses, WebSockets proxied, static files cached."""

import re
from pathlib import Path

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def test_workers_run_without_an_access_log_or_proxy_headers():
    unit = (DEPLOY / "commonground@.service").read_text()
    command = re.search(r"ExecStart=(.*?)\n(?!\s)", unit, re.S).group(1)

    assert "--no-access-log" in command
    assert "--no-proxy-headers" in command
    assert "--ws websockets-sansio" in command
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
    assert "http2 on;" in code and "listen 443 ssl;" in code
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
