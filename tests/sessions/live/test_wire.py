"""Updates framed once per worker and written to each socket as is (sessions.live.wire): the
bytes are those uvicorn's wsproto send writes, and only while that send would write at once."""

import asyncio

import pytest
import wsproto.events
from wsproto.connection import ConnectionType
from wsproto.frame_protocol import FrameProtocol

from sessions.live.wire import Wire, frame

HANDSHAKE = (
    b"GET /ws/s/K7HQ4P/board/ HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
    b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Sec-WebSocket-Version: 13\r\n"
    b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
)


class Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.data: list[bytes] = []
        self.closing = False

    def get_extra_info(self, name, default=None):
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(
            name, default
        )

    def write(self, data) -> None:
        self.data.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def set_write_buffer_limits(self, high=None, low=None) -> None:
        pass


async def uvicorn_socket(per_message_deflate: bool = False):
    """A uvicorn wsproto connection accepted by an app; returns (protocol, transport, send)."""
    from uvicorn.config import Config
    from uvicorn.protocols.websockets.wsproto_impl import WSProtocol
    from uvicorn.server import ServerState

    accepted: asyncio.Future = asyncio.get_running_loop().create_future()

    async def app(scope, receive, send):
        await receive()
        await send({"type": "websocket.accept"})
        accepted.set_result(send)
        await asyncio.Event().wait()

    config = Config(app, ws="wsproto", ws_per_message_deflate=per_message_deflate, lifespan="off")
    config.load()
    protocol = WSProtocol(config, ServerState(), {})
    transport = Transport()
    protocol.connection_made(transport)
    protocol.data_received(HANDSHAKE)
    send = await asyncio.wait_for(accepted, 2)
    transport.data.clear()
    return protocol, transport, send


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 70000])
def test_a_frame_is_what_wsproto_makes_of_the_text(size):
    text = ("é" * size)[: size // 2] + "x" * (size - size // 2)
    expected = FrameProtocol(client=False, extensions=[]).send_data(text, fin=True)
    assert frame(text) == expected
    assert frame(text) is frame(text)  # framed once while it is the update being handed out


@pytest.mark.asyncio
async def test_the_wire_writes_the_bytes_uvicorns_send_would_write():
    protocol, transport, send = await uvicorn_socket()
    wire = Wire.of(send)
    assert wire is not None
    text = '<div id="live-seq" data-seq="3" hidden></div>' + "é" * 300

    await send({"type": "websocket.send", "text": text})
    assert wire.write(text)

    assert transport.data[0] == transport.data[1]
    # The connection's own state is untouched: the next message through uvicorn is still a
    # whole text frame a client reads.
    await send({"type": "websocket.send", "text": "next"})
    client = wsproto.Connection(ConnectionType.CLIENT)
    client.receive_data(b"".join(transport.data))
    messages = [
        event.data for event in client.events() if isinstance(event, wsproto.events.Message)
    ]
    assert messages == [text, text, "next"]


@pytest.mark.asyncio
async def test_the_wire_leaves_to_uvicorn_a_paused_or_closed_socket():
    protocol, transport, send = await uvicorn_socket()
    wire = Wire.of(send)

    protocol.pause_writing()  # the socket's buffer is full: uvicorn's send would wait
    assert not wire.write("<p>")
    protocol.resume_writing()
    assert wire.write("<p>")

    await send({"type": "websocket.close", "code": 1000})
    written = len(transport.data)
    assert not wire.write("<p>")  # nothing after a close
    assert len(transport.data) == written


@pytest.mark.asyncio
async def test_no_wire_with_compression_or_another_server():
    _protocol, _transport, send = await uvicorn_socket(per_message_deflate=True)
    assert Wire.of(send) is None

    async def other_send(message):
        pass

    assert Wire.of(other_send) is None
    assert Wire.of(asyncio.Queue().put) is None
