"""The bare writes baseline: the vote transaction without the framework.

A minimal ASGI app (run by uvicorn with the same flags as the real workers) that answers
``POST /s/<code>/vote/`` by doing what a vote does in PostgreSQL, with psycopg's async pool
and hand-written SQL: find the participant by device cookie and lock their row with the
session's rules, check the item, read their votes for the budget and the cap, add the dot,
bump the session's sequence, commit, and answer a few bytes. BARE_BUMP=after bumps the
sequence after the commit, in a statement of its own that does not wait for the disk, as the
app does (sessions.live.events); BARE_BUMP=inside (the app before) inside the transaction. No CSRF check, no middleware, no
ORM, no template, no live push: what is left is the HTTP server, the driver and PostgreSQL on
this machine, so that the real vote path's cost reads as a ratio to it.

Run by bench/writes.py as ``uvicorn bench._bare_vote_server:app``; DATABASE_URL as for Django."""

import hashlib
import os
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from psycopg_pool import AsyncConnectionPool

DSN = os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
pool: AsyncConnectionPool | None = None
BUMP_AFTER = os.environ.get("BARE_BUMP", "after") == "after"

LOCK_PARTICIPANT = """
    SELECT p.id, p.removed_at, s.id, s.phase, s.input_locked, s.dot_budget, s.dot_cap
    FROM live_sessions_participant p JOIN live_sessions_livesession s ON s.id = p.live_session_id
    WHERE p.token_hash = %s AND s.code = %s
    FOR UPDATE OF p"""
ITEM = {
    "need": "SELECT 1 FROM live_sessions_need WHERE id = %s AND live_session_id = %s"
    " AND status = 'visible'",
    "mapping": "SELECT 1 FROM live_sessions_mapping WHERE id = %s AND live_session_id = %s"
    " AND status = 'visible'",
}


async def answer(send, status: int, text: str) -> None:
    body = text.encode()
    headers = [(b"content-type", b"text/html; charset=utf-8")]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def read_body(receive) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


async def vote(code: str, token: str, kind: str, item: int) -> tuple[int, str]:
    global pool
    if pool is None:
        pool = AsyncConnectionPool(DSN, min_size=4, max_size=16, open=False)
        await pool.open()
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    async with pool.connection() as conn, conn.transaction():
        row = await (await conn.execute(LOCK_PARTICIPANT, (token_hash, code))).fetchone()
        if row is None or row[1] is not None:
            return 403, "not a participant"
        participant_id, _, session_id, phase, locked, budget, cap = row
        if phase != "voting" or locked:
            return 409, "voting is closed"
        if await (await conn.execute(ITEM[kind], (item, session_id))).fetchone() is None:
            return 404, "no such item"
        votes = await (
            await conn.execute(
                "SELECT id, need_id, mapping_id, dots FROM live_sessions_vote"
                " WHERE participant_id = %s",
                (participant_id,),
            )
        ).fetchall()
        if sum(v[3] for v in votes) >= budget:
            return 409, "no dots left"
        column = 1 if kind == "need" else 2
        existing = next((v for v in votes if v[column] == item), None)
        if existing is None:
            await conn.execute(
                "INSERT INTO live_sessions_vote"
                f" (live_session_id, participant_id, {kind}_id, dots, hidden)"
                " VALUES (%s, %s, %s, 1, false)",
                (session_id, participant_id, item),
            )
        elif existing[3] >= cap:
            return 409, "cap reached"
        else:
            await conn.execute(
                "UPDATE live_sessions_vote SET dots = dots + 1 WHERE id = %s", (existing[0],)
            )
        if not BUMP_AFTER:
            await conn.execute(
                "UPDATE live_sessions_livesession SET sequence = sequence + 1 WHERE id = %s",
                (session_id,),
            )
    if BUMP_AFTER:
        async with pool.connection() as conn:
            # One message, its own implicit transaction: the row lock is held only inside
            # PostgreSQL, and the commit does not wait for the disk.
            await conn.set_autocommit(True)
            try:
                await conn.execute(
                    "SET LOCAL synchronous_commit TO OFF;"
                    " UPDATE live_sessions_livesession SET sequence = sequence + 1"
                    f" WHERE id = {int(session_id)}"
                )
            finally:
                await conn.set_autocommit(False)
    return 200, f'<span id="dots-left">{budget - sum(v[3] for v in votes) - 1}</span>'


async def app(scope, receive, send) -> None:
    if scope["type"] != "http":
        return
    parts = scope["path"].strip("/").split("/")
    if scope["method"] != "POST" or len(parts) != 3 or parts[0] != "s" or parts[2] != "vote":
        await answer(send, 404, "not found")
        return
    code = parts[1]
    headers = dict(scope["headers"])
    cookie = SimpleCookie(headers.get(b"cookie", b"").decode("latin-1"))
    morsel = cookie.get(f"cg_p_{code}")
    form = parse_qs((await read_body(receive)).decode())
    kind = form.get("kind", [""])[0]
    item = form.get("item", [""])[0]
    if morsel is None or kind not in ITEM or not item.isdigit():
        await answer(send, 400, "bad request")
        return
    status, text = await vote(code, morsel.value, kind, int(item))
    await answer(send, status, text)
