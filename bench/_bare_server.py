"""The bare broadcast baseline: a minimal `websockets` server that sends the same number of
bytes as a pushed fragment to every connected client, with nothing else in between.

Run as ``python bench/_bare_server.py PORT``. A connection to /control sends
``{"count": n, "interval": s, "size": bytes}``; the server broadcasts n messages (each with its
own data-seq, padded to ``size`` bytes) every ``interval`` seconds to every other connection
and answers with the time.monotonic() of each send."""

import asyncio
import json
import sys
import time

from websockets.asyncio.server import broadcast, serve

clients: set = set()


def payload(seq: int, size: int) -> str:
    head = f'<div id="live-seq" data-seq="{seq}" hidden></div>'
    return head + "x" * max(0, size - len(head))


async def handler(ws) -> None:
    if ws.request.path == "/control":
        async for message in ws:
            spec = json.loads(message)
            sent = []
            for seq in range(1, spec["count"] + 1):
                text = payload(seq, spec["size"])
                sent.append(time.monotonic())
                broadcast(clients, text)
                await asyncio.sleep(spec["interval"])
            await ws.send(json.dumps(sent))
        return
    clients.add(ws)
    try:
        await ws.wait_closed()
    finally:
        clients.discard(ws)


async def main(port: int) -> None:
    async with serve(
        handler, "127.0.0.1", port, compression=None, ping_interval=None, max_size=2**16
    ) as server:
        await server.serve_forever()


if __name__ == "__main__":
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(main(int(sys.argv[1])))
