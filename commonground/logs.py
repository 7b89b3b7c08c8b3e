"""Logging filters."""

import ipaddress
import logging
import re


class OneLineClientErrors(logging.Filter):
    """A refused request is one line: Django logs a PermissionDenied (403) or a
    SuspiciousOperation (400) with its whole traceback, which says nothing about the server and
    buries real errors. Server errors (5xx) keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
        return True


# Candidates only: each is kept out of the line if ``ipaddress`` reads it as an address, so a
# time ("09:12:47") or a version ("5.2.19") stays as it is. A port written after an address
# ("127.0.0.1:49468", "[::1]:8000") goes with it.
_ADDRESS = re.compile(
    r"(?<![\w.:])\[?(?P<address>\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})"
    r"\]?(?::\d{1,5})?(?![\w.:])"
)


def _replace_address(match: re.Match) -> str:
    try:
        ipaddress.ip_address(match.group("address"))
    except ValueError:
        return match.group()
    return "[address]"


def without_addresses(text: str) -> str:
    """``text`` with every IPv4 or IPv6 address (and its port) replaced by "[address]"."""
    return _ADDRESS.sub(_replace_address, text)


class NoClientAddress(logging.Filter):
    """No log line names a client's address, whatever the level: Daphne's runserver writes it
    into every request line ("HTTP GET / 200 [0.03, 127.0.0.1:49468]"), uvicorn into its INFO
    lines. The app stores and logs no IP address (PRODUCT.md), so the line is kept without it.
    Applied to the console handler and to the servers' own loggers (settings.LOGGING)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = without_addresses(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = without_addresses(record.exc_text)
        return True
