"""What the bare baselines' ASGI apps share (bench/_bare_write_server.py,
bench/_bare_join_server.py): psycopg's async pool on DATABASE_URL, the request's body, and a
plain answer. Imported by uvicorn as ``bench._bare_asgi``, so it needs nothing of Django."""

import os

from psycopg_pool import AsyncConnectionPool

DSN = os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
_pool: AsyncConnectionPool | None = None


async def connection_pool() -> AsyncConnectionPool:
    """The process's pool, opened on first use (inside the server's event loop)."""
    global _pool
    if _pool is None:
        _pool = AsyncConnectionPool(DSN, min_size=4, max_size=16, open=False)
        await _pool.open()
    return _pool


async def answer(send, status: int, body: bytes | str = b"", headers=()) -> None:
    body = body.encode() if isinstance(body, str) else body
    head = [(b"content-type", b"text/html; charset=utf-8")]
    head += [(b"content-length", str(len(body)).encode()), *headers]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})


async def read_body(receive) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body
