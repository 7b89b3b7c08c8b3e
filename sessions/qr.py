import segno
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _


def qr_svg(url: str, *, title: str) -> SafeString:
    """An inline SVG QR code of ``url``, made on the server (no third-party service)."""
    qr = segno.make(url, error="m")
    # segno escapes the title; the SVG uses presentation attributes only (no style: CSP).
    # bandit B308/B703 accepted: segno's own SVG, whose only text (the title) it escapes.
    return mark_safe(  # nosec B308 B703
        qr.svg_inline(scale=8, border=2, title=title, svgclass="qr-code", lineclass=None)
    )  # noqa: S308


# Whoever scans the QR code is in the room: the join page opens with "in the room" chosen
# (sessions.views.joining.join), one tap fewer. A typed link leaves the choice open.
SCANNED_IN_THE_ROOM = "?at=room"


def join_qr(join_url: str) -> SafeString:
    """The QR code of a session's join link, as the board and the dashboard show it."""
    return qr_svg(
        join_url + SCANNED_IN_THE_ROOM, title=_("QR code to join: %(url)s") % {"url": join_url}
    )
