"""Writes keyed by the phone that sent them: each write a participant makes carries a key of its
own (the phone's outbox gives one to every item, the no-JavaScript forms one per form shown), so
that the write happens once however often it is sent: a double tap, a retry after a lost
answer, the outbox sending again what waited through a drop.

A keyed service calls ``replayed`` right after ``locked_participant``: one person's requests run
one after another behind that row lock, so the second copy of a write sent twice at once waits
for the first and then finds it. It calls ``remember`` inside its own transaction, after the
write: a write that was refused or rolled back is not remembered, and is tried afresh when it is
sent again (the phase may have reopened). Needs keep their key on the row
(``Need.client_key``); every other write is remembered as a ``ClientWrite``."""

import re

from sessions.models import CLIENT_KEY_MAX_LENGTH, ClientWrite, Participant

_KEY = re.compile(rf"^[A-Za-z0-9_-]{{1,{CLIENT_KEY_MAX_LENGTH}}}$")


def clean_key(client_key: str | None) -> str:
    """The key as sent, or "" (no key: the write is not deduplicated) when it is not one."""
    client_key = (client_key or "").strip()
    return client_key if _KEY.match(client_key) else ""


def replayed(participant: Participant, client_key: str) -> ClientWrite | None:
    """The write ``participant`` already made with ``client_key``, if any. Call it holding the
    participant's row lock (``locked_participant``)."""
    if not client_key:
        return None
    return ClientWrite.objects.filter(participant=participant, key=client_key).first()


def remember(participant: Participant, client_key: str, kind: str, **result) -> None:
    """Keep ``client_key`` as done by this write (``result``: the ids it created, to answer a
    replay), in the write's transaction."""
    if client_key:
        ClientWrite.objects.create(
            participant=participant, key=client_key, kind=kind, result=result
        )


def already_written(*, participant: Participant, client_key: str) -> bool:
    """Whether a write with this key is stored: a view asks before answering "no longer here"
    to a replayed delete, whose item its first copy took away."""
    client_key = clean_key(client_key)
    return bool(client_key) and (
        ClientWrite.objects.filter(participant=participant, key=client_key).exists()
    )
