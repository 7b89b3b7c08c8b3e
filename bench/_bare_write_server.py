"""The bare writes baseline: a plenary's writes without the framework.

A minimal ASGI app (run by uvicorn with the same flags as the real workers) that answers the
three writes a plenary makes at once by doing what each does in PostgreSQL, with psycopg's
async pool and hand-written SQL:

- ``POST /s/<code>/vote/``: find the participant by device cookie and lock their row with the
  session's rules, look for the write's key already done (a retry from the phone's outbox),
  check the item and lock it FOR SHARE, read their votes for the budget and the cap, add the
  dot and keep the key.
- ``POST /s/<code>/needs/``: lock the participant, check the phase, look for the submission
  id already posted (a retry), insert the need.
- ``POST /s/<code>/needs/<id>/map/``: lock the participant, look for the write's key already
  done, check the phase, read the need under a share lock, check the strategies belong to the
  session's taxonomy and which pairs exist, insert the mappings and the write's key.

Each then bumps the session's sequence and commits. BARE_BUMP=after bumps the sequence after
the commit, in a statement of its own that does not wait for the disk, as the app does
(sessions.live.events); BARE_BUMP=inside (the app before) inside the transaction. No CSRF
check, no middleware, no ORM, no template, no live push: what is left is the HTTP server, the
driver and PostgreSQL on this machine, so that the real path's cost reads as a ratio to it.

Run by bench/writes.py and bench/plenary.py as ``uvicorn bench._bare_write_server:app``;
DATABASE_URL as for Django."""

import hashlib
import json
import os
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from bench._bare_asgi import answer, connection_pool, read_body

BUMP_AFTER = os.environ.get("BARE_BUMP", "after") == "after"

LOCK_PARTICIPANT = """
    SELECT p.id, p.removed_at, s.id, s.phase, s.input_locked, s.dot_budget, s.dot_cap
    FROM live_sessions_participant p JOIN live_sessions_livesession s ON s.id = p.live_session_id
    WHERE p.token_hash = %s AND s.code = %s
    FOR UPDATE OF p"""
# The item voted on, locked FOR SHARE as the app locks it (a hide or a merge of it waits for
# the vote, and the vote for them).
ITEM = {
    "need": "SELECT 1 FROM live_sessions_need WHERE id = %s AND live_session_id = %s"
    " AND status = 'visible' FOR SHARE",
    "mapping": "SELECT 1 FROM live_sessions_mapping WHERE id = %s AND live_session_id = %s"
    " AND status = 'visible' FOR SHARE",
}


async def locked_participant(conn, code: str, token: str):
    """The participant's row, locked, with their session's rules; None for a stranger."""
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    row = await (await conn.execute(LOCK_PARTICIPANT, (token_hash, code))).fetchone()
    return None if row is None or row[1] is not None else row


async def replayed(conn, participant_id: int, key: str) -> bool:
    """Whether the phone's outbox sent this write already (its key was kept)."""
    already = await (
        await conn.execute(
            "SELECT 1 FROM live_sessions_clientwrite WHERE participant_id = %s AND key = %s",
            (participant_id, key),
        )
    ).fetchone()
    return already is not None


async def remember(conn, participant_id: int, key: str, kind: str, result: str) -> None:
    """Keep the write's key, so that the outbox's retry is not done twice."""
    await conn.execute(
        "INSERT INTO live_sessions_clientwrite (participant_id, key, kind, result, created)"
        " VALUES (%s, %s, %s, %s, now())",
        (participant_id, key, kind, result),
    )


async def bump(conn, session_id: int) -> None:
    if not BUMP_AFTER:
        await conn.execute(
            "UPDATE live_sessions_livesession SET sequence = sequence + 1 WHERE id = %s",
            (session_id,),
        )


async def bump_after(session_id: int) -> None:
    if not BUMP_AFTER:
        return
    async with (await connection_pool()).connection() as conn:
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


async def vote(code: str, token: str, kind: str, item: int, key: str) -> tuple[int, str]:
    async with (await connection_pool()).connection() as conn, conn.transaction():
        row = await locked_participant(conn, code, token)
        if row is None:
            return 403, "not a participant"
        participant_id, _, session_id, phase, locked, budget, cap = row
        if key and await replayed(conn, participant_id, key):
            return 200, "already placed"
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
        if key:
            await remember(conn, participant_id, key, "add_dot", "{}")
        await bump(conn, session_id)
    await bump_after(session_id)
    return 200, f'<span id="dots-left">{budget - sum(v[3] for v in votes) - 1}</span>'


async def post_need(code: str, token: str, text: str, context: str, key: str) -> tuple[int, str]:
    async with (await connection_pool()).connection() as conn, conn.transaction():
        row = await locked_participant(conn, code, token)
        if row is None:
            return 403, "not a participant"
        participant_id, _, session_id, phase, locked, _, _ = row
        if key:
            already = await (
                await conn.execute(
                    "SELECT id FROM live_sessions_need WHERE author_id = %s AND client_key = %s",
                    (participant_id, key),
                )
            ).fetchone()
            if already is not None:
                return 200, f'<li id="need-{already[0]}">{text}</li>'
        if phase not in ("needs", "mapping") or locked:
            return 409, "needs are closed"
        if not text.strip() or len(text) > 280 or len(context) > 120:
            return 422, "check the need"
        (need_id,) = await (
            await conn.execute(
                "INSERT INTO live_sessions_need (live_session_id, author_id, status, text,"
                " context, client_key, edited, status_before_removal, created, updated)"
                " VALUES (%s, %s, 'visible', %s, %s, %s, false, '', now(), now()) RETURNING id",
                (session_id, participant_id, text.strip(), context.strip(), key),
            )
        ).fetchone()
        await bump(conn, session_id)
    await bump_after(session_id)
    return 200, f'<li id="need-{need_id}">{text}</li>'


async def map_need(
    code: str, token: str, need_id: int, strategy_ids: list[int], reason: str, key: str
) -> tuple[int, str]:
    async with (await connection_pool()).connection() as conn, conn.transaction():
        row = await locked_participant(conn, code, token)
        if row is None:
            return 403, "not a participant"
        participant_id, _, session_id, phase, locked, _, _ = row
        if key and await replayed(conn, participant_id, key):
            return 200, "already mapped"
        if phase != "mapping" or locked:
            return 409, "mapping is closed"
        need = await (
            await conn.execute(
                "SELECT live_session_id, status FROM live_sessions_need WHERE id = %s FOR SHARE",
                (need_id,),
            )
        ).fetchone()
        if need is None or need[0] != session_id or need[1] != "visible":
            return 404, "no such need"
        strategies = await (
            await conn.execute(
                "SELECT st.id FROM taxonomy_strategy st"
                " JOIN live_sessions_livesession s ON s.taxonomy_id = st.taxonomy_id"
                " WHERE s.id = %s AND st.id = ANY(%s)",
                (session_id, strategy_ids),
            )
        ).fetchall()
        if not strategies or len(strategies) != len(set(strategy_ids)):
            return 422, "choose a strategy of this taxonomy"
        existing = {
            strategy_id
            for (strategy_id,) in await (
                await conn.execute(
                    "SELECT strategy_id FROM live_sessions_mapping"
                    " WHERE need_id = %s AND strategy_id = ANY(%s)",
                    (need_id, strategy_ids),
                )
            ).fetchall()
        }
        created = []
        for strategy_id in strategy_ids:
            if strategy_id in existing:
                continue
            (mapping_id,) = await (
                await conn.execute(
                    "INSERT INTO live_sessions_mapping (live_session_id, author_id, need_id,"
                    " strategy_id, status, reason, status_before_removal, created, updated)"
                    " VALUES (%s, %s, %s, %s, 'visible', %s, '', now(), now()) RETURNING id",
                    (session_id, participant_id, need_id, strategy_id, reason.strip()),
                )
            ).fetchone()
            created.append(mapping_id)
        if key:
            await remember(conn, participant_id, key, "map_need", json.dumps({"mappings": created}))
        await bump(conn, session_id)
    await bump_after(session_id)
    return 200, f'<p role="status">Mapped ({len(created)}).</p>'


async def app(scope, receive, send) -> None:
    if scope["type"] != "http":
        return
    parts = scope["path"].strip("/").split("/")
    write = (
        "vote"
        if parts[2:] == ["vote"]
        else "need"
        if parts[2:] == ["needs"]
        else "map"
        if len(parts) == 5 and parts[2] == "needs" and parts[3].isdigit() and parts[4] == "map"
        else None
    )
    if scope["method"] != "POST" or len(parts) < 3 or parts[0] != "s" or write is None:
        await answer(send, 404, "not found")
        return
    code = parts[1]
    headers = dict(scope["headers"])
    cookie = SimpleCookie(headers.get(b"cookie", b"").decode("latin-1"))
    morsel = cookie.get(f"cg_p_{code}")
    form = parse_qs((await read_body(receive)).decode(), keep_blank_values=True)

    def field(name: str) -> str:
        return form.get(name, [""])[0]

    if morsel is None:
        await answer(send, 403, "not a participant")
        return
    if write == "vote":
        kind, item = field("kind"), field("item")
        if kind not in ITEM or not item.isdigit():
            await answer(send, 400, "bad request")
            return
        status, text = await vote(code, morsel.value, kind, int(item), field("client_key")[:64])
    elif write == "need":
        status, text = await post_need(
            code, morsel.value, field("text"), field("context"), field("submission_id")[:64]
        )
    else:
        chosen = form.get("strategies", [])
        if not chosen or not all(value.isdigit() for value in chosen):
            await answer(send, 422, "choose a strategy")
            return
        status, text = await map_need(
            code,
            morsel.value,
            int(parts[3]),
            [int(value) for value in chosen],
            field("reason"),
            field("client_key")[:64],
        )
    await answer(send, status, text)
