"""An update framed once for all the screens of a worker, written as is to each socket.

With thousands of screens, uvicorn's send frames the same text again for every socket (wsproto's
events, frame protocol and serialisation: about 5 µs of the worker's event loop per socket per
update, bench/fanout_inprocess.py), where a broadcast frames it once. A WebSocket text message
from a server is the same bytes on every connection when no extension is negotiated (RFC 6455
5.2: no mask from a server; permessage-deflate is off in deploy/ and in the benches), so the
fan-out frames each update once and writes those bytes to each socket's transport.

Only for uvicorn's wsproto protocol (``--ws wsproto``, the shipped one) with
``--ws-per-message-deflate false``, and only while its own send would write at once: the
handshake done, no close sent or received, the transport not paused. Anything else (another
server, the tests' communicator, a paused socket) goes through the ASGI send as before.
``Wire.of`` checks what it relies on once per socket; tests/sessions/live/test_wire.py checks
the bytes against wsproto's own and fails if uvicorn's protocol changes under it."""

import struct

TEXT_FIN = 0x81  # FIN, opcode 1 (text)

_last: tuple[str | None, bytes] = (None, b"")


def frame(text: str) -> bytes:
    """``text`` as one unmasked WebSocket text frame, built once per update: every screen of
    the worker is handed the same string in turn, so the last one framed is the one asked."""
    global _last
    if _last[0] is text:
        return _last[1]
    payload = text.encode()
    size = len(payload)
    if size < 126:
        head = bytes((TEXT_FIN, size))
    elif size < 1 << 16:
        head = struct.pack("!BBH", TEXT_FIN, 126, size)
    else:
        head = struct.pack("!BBQ", TEXT_FIN, 127, size)
    framed = head + payload
    _last = (text, framed)
    return framed


class Wire:
    """A socket's uvicorn wsproto protocol, written to directly while it would write at once."""

    __slots__ = ("protocol",)

    def __init__(self, protocol) -> None:
        self.protocol = protocol

    @classmethod
    def of(cls, send) -> "Wire | None":
        """The wire behind an ASGI ``send`` once the socket is accepted, or None when it is
        not uvicorn's wsproto protocol without extensions (then the send does the framing)."""
        protocol = getattr(send, "__self__", None)
        kind = type(protocol)
        if (kind.__module__, kind.__qualname__) != (
            "uvicorn.protocols.websockets.wsproto_impl",
            "WSProtocol",
        ):
            return None
        try:
            if protocol.config.ws_per_message_deflate is not False:
                return None
            if not protocol.handshake_complete or protocol.response_started:
                return None
            for name in ("writable", "close_sent", "disconnected", "transport"):
                getattr(protocol, name)
        except AttributeError:
            return None
        return cls(protocol)

    def write(self, text: str) -> bool:
        """Write ``text`` as a frame if the protocol's own send would write it at once;
        False (nothing written) otherwise: the caller sends it through the ASGI send."""
        protocol = self.protocol
        if (
            protocol.close_sent
            or protocol.disconnected
            or not protocol.writable.is_set()
            or protocol.transport.is_closing()
        ):
            return False
        protocol.transport.write(frame(text))
        return True
