"""Where a worker's time per screen per update goes: the live consumers' delivery path driven
in one process, with N uvicorn wsproto sockets whose transports are fakes.

Each screen is a real ``sessions.live.consumers.LiveConsumer`` whose ``base_send`` is a real
uvicorn ``WSProtocol.send`` (the shipped ``--ws wsproto``, after a real WebSocket handshake);
only the transport is a stand-in that counts the bytes instead of calling ``send(2)`` (the
bare broadcast pays that system call too). An update is handed to every screen as
``sessions.live.fanout`` does (``deliver`` to each, then ``asyncio.sleep(0)``) and the event
loop is run until every screen has written it. Printed: microseconds of CPU per screen per
update for the whole path and for its parts, each measured alone.

    .venv/bin/python bench/fanout_inprocess.py --screens 5000 --updates 20

Not part of the test suite; needs no database, Redis or network."""

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commonground.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
os.environ.setdefault("DEBUG", "false")

HANDSHAKE = (
    b"GET /ws/ HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


class FakeTransport(asyncio.Transport):
    """What uvicorn's protocol needs of a transport; counts what it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.written = 0
        self.writes = 0

    def get_extra_info(self, name, default=None):
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(
            name, default
        )

    def write(self, data) -> None:
        self.written += len(data)
        self.writes += 1

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def set_write_buffer_limits(self, high=None, low=None) -> None:
        pass


async def open_sockets(n: int):
    """N uvicorn wsproto connections, handshake done; returns (protocol, send) pairs."""
    from uvicorn.config import Config
    from uvicorn.protocols.websockets.wsproto_impl import WSProtocol
    from uvicorn.server import ServerState

    sends: list = []
    accepted = asyncio.Event()

    async def app(scope, receive, send):
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        sends.append(send)
        if len(sends) == n:
            accepted.set()
        await asyncio.Event().wait()  # held open

    config = Config(app, ws="wsproto", ws_per_message_deflate=False, lifespan="off")
    config.load()
    state = ServerState()
    protocols = []
    for _ in range(n):
        protocol = WSProtocol(config, state, {})
        transport = FakeTransport()
        protocol.connection_made(transport)
        protocol.data_received(HANDSHAKE)
        protocols.append((protocol, transport))
    await asyncio.wait_for(accepted.wait(), 60)
    return protocols, sends


def consumers_for(sends):
    from sessions.live import consumers

    screens = []
    for send in sends:
        screen = consumers.LiveConsumer()
        screen.base_send = send
        screen.outbox = asyncio.Queue(maxsize=consumers.OUTBOX_LIMIT)
        screen.send_lock = asyncio.Lock()
        screen.closing = False
        if hasattr(consumers, "Wire"):
            screen.wire = consumers.Wire.of(send)
        if hasattr(consumers.LiveConsumer, "write_outbox"):
            screen.writer = asyncio.ensure_future(screen.write_outbox())
        screens.append(screen)
    return screens


async def per_screen_us(screens, html: str, updates: int) -> list[float]:
    """The fan-out's loop, as sessions.live.fanout._pump runs it: CPU µs per screen, each
    update; the loop runs until every screen's transport has been written to."""
    results = []
    for _ in range(updates):
        started = time.thread_time()
        for screen in screens:
            screen.deliver(html)
        await asyncio.sleep(0)
        while any(not screen.outbox.empty() for screen in screens):
            await asyncio.sleep(0)
        results.append((time.thread_time() - started) / len(screens) * 1e6)
    return results


async def parts(sends, html: str, updates: int) -> dict[str, float]:
    """Each part of the path alone, µs per screen."""
    import wsproto
    from wsproto.frame_protocol import Opcode

    n = len(sends)
    out: dict[str, float] = {}

    def timed(fn) -> float:
        samples = []
        for _ in range(updates):
            started = time.thread_time()
            fn()
            samples.append((time.thread_time() - started) / n * 1e6)
        return statistics.median(samples)

    protocols = [send.__self__ for send in sends]

    async def sends_awaited():
        message = {"type": "websocket.send", "text": html}
        for send in sends:
            await send(message)

    samples = []
    for _ in range(updates):
        started = time.thread_time()
        await sends_awaited()
        samples.append((time.thread_time() - started) / n * 1e6)
    out["uvicorn WSProtocol.send, awaited in one task (wsproto framing, write)"] = (
        statistics.median(samples)
    )
    out["  of it wsproto Connection.send(Message) alone"] = timed(
        lambda: [p.conn.send(wsproto.events.Message(data=html)) for p in protocols]
    )
    frame_proto = protocols[0].conn.connection._proto  # noqa: SLF001 (measurement only)
    out["  of it the frame built once, then written to each transport"] = timed(
        lambda: [
            p.transport.write(frame)
            for frame in [frame_proto._serialize_frame(Opcode.TEXT, html.encode())]  # noqa: SLF001
            for p in protocols
        ]
    )

    async def noop(message):
        return None

    bare = consumers_for([noop] * n)
    samples = await per_screen_us(bare, html, updates)
    out["deliver + outbox + writer task + lock, to a send that does nothing"] = statistics.median(
        samples
    )
    for screen in bare:
        if getattr(screen, "writer", None):
            screen.writer.cancel()
    return out


async def main(args) -> None:
    import django

    django.setup(set_prefix=False)
    html = (
        '<div id="live-seq" data-seq="1" hidden></div>' + "x" * (args.size - 45)
        if args.size > 45
        else "x"
    )
    protocols, sends = await open_sockets(args.screens)
    screens = consumers_for(sends)
    await per_screen_us(screens, html, 3)  # warm
    whole = await per_screen_us(screens, html, args.updates)
    print(
        f"{args.screens} screens, {len(html)}-character updates, {args.updates} updates; "
        f"load {os.getloadavg()[0]:.1f}"
    )
    print(
        f"whole path (deliver .. socket written), µs per screen per update: median "
        f"{statistics.median(whole):.1f} (range {min(whole):.1f}-{max(whole):.1f})"
    )
    for screen in screens:
        if getattr(screen, "writer", None):
            screen.writer.cancel()
    for name, value in (await parts(sends, html, args.updates)).items():
        print(f"  {name}: {value:.1f}")
    written = sum(t.written for _, t in protocols)
    print(f"bytes written to the fake transports: {written:,}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--screens", type=int, default=5000)
    parser.add_argument("--updates", type=int, default=20)
    parser.add_argument("--size", type=int, default=700, help="characters per update")
    loop = asyncio.new_event_loop()
    loop.run_until_complete(main(parser.parse_args()))
    sys.stdout.flush()
    os._exit(0)  # the held-open sockets' tasks need no teardown
