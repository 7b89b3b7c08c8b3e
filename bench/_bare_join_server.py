"""The bare joins baseline: joining without the framework.

A minimal ASGI app (run by uvicorn with the same flags as the real workers) that answers
``GET /join/<code>/`` with a small page and a device cookie, and ``POST /join/<code>/`` by
doing what a join does in PostgreSQL with psycopg's async pool and hand-written SQL: lock the
session's row, take the next pseudonym number, insert the participant, bump the sequence,
commit, and answer 302 with the participant's cookie. No CSRF check, no form, no template, no
rate limit, no live push: what is left is the HTTP server, the driver and PostgreSQL on this
machine, so that the real join's cost reads as a ratio to it.

Run by bench/joins.py as ``uvicorn bench._bare_join_server:app``; DATABASE_URL as for Django."""

import hashlib
import secrets

from bench._bare_asgi import answer, connection_pool, read_body

PAGE = b"<!doctype html><title>Join</title><form method=post><button>Join</button></form>"


async def join(code: str) -> str | None:
    token = secrets.token_urlsafe(32)
    async with (await connection_pool()).connection() as conn, conn.transaction():
        row = await (
            await conn.execute(
                "SELECT id, joined_count FROM live_sessions_livesession WHERE code = %s FOR UPDATE",
                (code,),
            )
        ).fetchone()
        if row is None:
            return None
        session_id, number = row
        await conn.execute(
            "INSERT INTO live_sessions_participant (live_session_id, token_hash, public_id,"
            " device_hash, pseudonym, display_name, presence, agreed_at, joined_at,"
            " last_seen_at) VALUES (%s, %s, %s, '', %s, '', 'room', now(), now(), now())",
            (
                session_id,
                hashlib.sha256(token.encode()).hexdigest(),
                secrets.token_hex(6),
                f"Bare {number}",
            ),
        )
        await conn.execute(
            "UPDATE live_sessions_livesession SET joined_count = joined_count + 1,"
            " sequence = sequence + 1 WHERE id = %s",
            (session_id,),
        )
    return token


async def app(scope, receive, send) -> None:
    if scope["type"] != "http":
        return
    parts = scope["path"].strip("/").split("/")
    if len(parts) == 2 and parts[0] == "join":
        if scope["method"] == "GET":
            cookie = f"cg_device={secrets.token_urlsafe(16)}; HttpOnly; Path=/".encode()
            await answer(send, 200, PAGE, [(b"set-cookie", cookie)])
            return
        await read_body(receive)
        token = await join(parts[1])
        if token is None:
            await answer(send, 404, b"no such session")
            return
        cookie = f"cg_p_{parts[1]}={token}; HttpOnly; Path=/".encode()
        location = f"/s/{parts[1]}/".encode()
        await answer(send, 302, b"", [(b"location", location), (b"set-cookie", cookie)])
        return
    if len(parts) == 2 and parts[0] == "s":
        await answer(send, 200, PAGE)
        return
    await answer(send, 404, b"not found")
