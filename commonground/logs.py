"""Logging filters."""

import logging


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
