"""Whole-state snapshots for screens that are behind, rendered once and reused.

A snapshot (the live state of one audience, in one language) costs a full render, tens of
milliseconds of CPU. Screens ask for one when they (re)connect behind the session, and so does
polling; after a Wi-Fi blip a room's phones all ask at once, and a hostile client could ask
again and again. The same (session, sequence, audience, language) is the same HTML, so it is
rendered once per worker and handed to every screen that asks: concurrent askers wait for the
one render instead of starting their own."""

import threading
from collections import OrderedDict

from django.utils import translation

from sessions.live import render
from sessions.models import LiveSession

KEEP = 64  # snapshots kept per worker: a few per live session and audience

_lock = threading.Lock()
_rendered: "OrderedDict[tuple, str]" = OrderedDict()
_rendering: dict[tuple, threading.Lock] = {}


def snapshot(live_session: LiveSession, audience: str) -> str:
    """The whole live state of ``audience`` as of ``live_session.sequence``, in the active
    language; rendered at most once per worker for each sequence number."""
    key = (live_session.pk, live_session.sequence, audience, translation.get_language())
    with _lock:
        if key in _rendered:
            _rendered.move_to_end(key)
            return _rendered[key]
        one_render = _rendering.setdefault(key, threading.Lock())
    with one_render:
        with _lock:
            if key in _rendered:
                return _rendered[key]
        html = render.render_snapshot(live_session, audience)
        with _lock:
            # Older renders of this session are never asked for again (a screen asks for the
            # state as of now), and may hold what someone has erased since: dropped.
            for older in [k for k in _rendered if k[0] == key[0] and k[1] < key[1]]:
                del _rendered[older]
            _rendered[key] = html
            while len(_rendered) > KEEP:
                _rendered.popitem(last=False)
            _rendering.pop(key, None)
        return html


def forget() -> None:
    """Drop every kept snapshot (tests)."""
    with _lock:
        _rendered.clear()
