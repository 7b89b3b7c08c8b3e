import segno
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

# The four modules of white the QR specification asks for around the code: without them a
# phone camera cannot tell the code from what surrounds it (a dark board in projector mode).
QUIET_ZONE = 4


def qr_svg(url: str, *, title: str) -> SafeString:
    """An inline SVG QR code of ``url``, made on the server (no third-party service).

    It has a viewBox and no width or height, so CSS sizes it whole at any size (a fixed size
    forced smaller by CSS crops it), dark modules on white, quiet zone included."""
    qr = segno.make(url, error="m")
    # segno escapes the title; the SVG uses presentation attributes only (no style: CSP).
    # bandit B308/B703 accepted: segno's own SVG, whose only text (the title) it escapes.
    svg = qr.svg_inline(
        scale=1,
        border=QUIET_ZONE,
        dark="#000",
        light="#fff",
        omitsize=True,
        title=title,
        svgclass="qr-code",
        lineclass=None,
    )
    # Whole pixels per module edge where the size allows: sharper for a camera.
    svg = svg.replace("<svg ", '<svg shape-rendering="crispEdges" ', 1)
    return mark_safe(svg)  # nosec B308 B703  # noqa: S308


# Whoever scans the QR code is in the room: the join page opens with "in the room" chosen
# (sessions.views.joining.join), one tap fewer. A typed link leaves the choice open.
SCANNED_IN_THE_ROOM = "?at=room"


def join_qr(join_url: str) -> SafeString:
    """The QR code of a session's join link, as the board and the dashboard show it."""
    return qr_svg(
        join_url + SCANNED_IN_THE_ROOM, title=_("QR code to join: %(url)s") % {"url": join_url}
    )
