"""The join's proof of work: each new participant's browser solves a small ALTCHA challenge
(the `altcha` library, self-hosted: no third-party request) before it may join, so that a
script that drops its cookies pays CPU for every participant it makes.

A challenge is PBKDF2/SHA-256 at ``JOIN_CHALLENGE_COST`` iterations an attempt; the server
picks the answer (a counter) at random below a ceiling, and the browser tries counters from 0
until it finds it: on average half the ceiling's attempts, never more than all of them, in
web workers while the person reads the join page. The ceiling is ``JOIN_CHALLENGE_NUMBER`` up
to a plenary's pace (1,000 joins in the last minute) and grows with the pace beyond it, up to
four times at the session's own join limit: a flood pays more per participant, a plenary
does not (``ceiling``).

Challenges are signed with a key derived from SECRET_KEY, bound to one session, expire after
``JOIN_CHALLENGE_SECONDS``, and are single-use: the cache (Redis in production) remembers each
solved challenge's nonce until it expires, so a solution cannot be replayed. Like the rate
limits, that memory fails open if the cache is unreachable (logged). Nothing here knows who
asked: no address, no cookie.

Browsers do the calculation only in a secure context (HTTPS, or localhost): ``asked`` says
whether a request's page can, and a laptop serving a room over plain HTTP (``make run`` on
the room's Wi-Fi) asks none (docs/door.md)."""

import json
import logging
import math
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

import altcha
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.http.request import split_domain_port
from django.utils import timezone
from django.utils.crypto import salted_hmac

from sessions.models import LiveSession, Participant

logger = logging.getLogger(__name__)

ALGORITHM = "PBKDF2/SHA-256"
# A plenary's pace: up to this many joins in the last minute, the ceiling stays the base one.
PLENARY_PACE = 1000
# At the session's own join limit (services.common.JOINS_PER_MINUTE_PER_SESSION) the ceiling
# is this many times the base one.
FLOOD_PACE, FLOOD_FACTOR = 3000, 4
# A payload is a few hundred characters; anything much longer is not one.
PAYLOAD_MAX_LENGTH = 4000
_LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "[::1]"}


class Refused(Exception):
    """A proof that does not let its bearer in; ``kind`` says why: ``invalid`` (malformed,
    tampered, of another session, or a wrong solution), ``expired`` or ``replayed``."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def asked(request: HttpRequest) -> bool:
    """Does joining through this request need a proof? When the setting is on and the page
    is in a secure context, where browsers can do the calculation (HTTPS, or the loopback:
    Chromium and Firefox count http://localhost and 127.0.0.1 as secure)."""
    if not settings.JOIN_CHALLENGE:
        return False
    host, _port = split_domain_port(request.get_host())
    return request.is_secure() or host in _LOOPBACK_HOSTS


def _keys() -> tuple[str, str]:
    """The key that signs challenges and the one that signs their answers' derived keys (so a
    solution is checked with one HMAC, not a PBKDF2 of its own), both derived from SECRET_KEY."""
    return (
        salted_hmac("commonground.join-challenge", "challenge").hexdigest(),
        salted_hmac("commonground.join-challenge", "derived-key").hexdigest(),
    )


def joins_in_last_minute(live_session: LiveSession) -> int:
    since = timezone.now() - timedelta(seconds=60)
    return Participant.objects.filter(live_session=live_session, joined_at__gte=since).count()


def ceiling(joins_last_minute: int) -> int:
    """The most attempts a challenge can take at this pace of joins: the base up to a
    plenary's pace, then growing in proportion, up to FLOOD_FACTOR times the base."""
    base = settings.JOIN_CHALLENGE_NUMBER
    if joins_last_minute <= PLENARY_PACE:
        return base
    share = min(1.0, (joins_last_minute - PLENARY_PACE) / (FLOOD_PACE - PLENARY_PACE))
    return math.ceil(base * (1 + share * (FLOOD_FACTOR - 1)))


@dataclass(frozen=True)
class Cost:
    """What joining costs a browser at the session's current pace (for the dashboard)."""

    joins_last_minute: int
    ceiling: int
    raised: bool


def current_cost(live_session: LiveSession, joins_last_minute: int | None = None) -> Cost:
    if joins_last_minute is None:
        joins_last_minute = joins_in_last_minute(live_session)
    number = ceiling(joins_last_minute)
    return Cost(joins_last_minute, number, number > settings.JOIN_CHALLENGE_NUMBER)


def new_challenge(live_session: LiveSession, *, answer: int | None = None) -> dict:
    """A signed challenge for a browser about to join ``live_session``, as the ALTCHA widget
    reads it (JSON). ``answer``: the counter to hide (random below the current ceiling if not
    given; the door's bench names it to account for a phone's work without doing it)."""
    if answer is None:
        answer = secrets.randbelow(current_cost(live_session).ceiling)
    challenge_key, derived_key_key = _keys()
    challenge = altcha.create_challenge(
        ALGORITHM,
        settings.JOIN_CHALLENGE_COST,
        counter=answer,
        expires_at=int(time.time()) + settings.JOIN_CHALLENGE_SECONDS,
        data={"session": live_session.code},
        hmac_secret=challenge_key,
        hmac_key_secret=derived_key_key,
    )
    return challenge.to_dict()


def check(live_session: LiveSession, payload: str) -> None:
    """Let a solved challenge in once. Raises Refused("invalid") for anything but a genuine
    solution of a challenge this server made for this session, Refused("expired") past its
    time, Refused("replayed") for a solution already used (remembered until it expires)."""
    if not payload or len(payload) > PAYLOAD_MAX_LENGTH or not payload.isascii():
        raise Refused("invalid")
    challenge_key, derived_key_key = _keys()
    result = altcha.verify_solution(payload, challenge_key, hmac_key_secret=derived_key_key)
    if result.expired:
        raise Refused("expired")
    if not result.verified:
        raise Refused("invalid")
    # Verified, so the payload parses and its parameters are the ones this server signed.
    parameters = altcha.Payload.from_base64(payload).challenge.parameters
    if (parameters.data or {}).get("session") != live_session.code:
        raise Refused("invalid")
    expires_in = int(parameters.expires_at or 0) - int(time.time())
    if not _first_use(parameters.nonce, timeout=max(expires_in, 0) + 5):
        raise Refused("replayed")


def _first_use(nonce: str, *, timeout: int) -> bool:
    """Remember ``nonce`` as used; False if it already was. add() is atomic, so two requests
    with the same solution at once cannot both pass. Fails open if the cache is unreachable."""
    try:
        return bool(cache.add(f"pow-used:{nonce}", 1, timeout=timeout))
    except Exception:
        logger.warning("join challenge single use not checked: the cache is unavailable")
        return True


def widget_config() -> str:
    """The ALTCHA widget's configuration (its ``configuration`` attribute), as JSON: invisible
    (the join page says what happens in its own words), no logo or link to altcha.org, no
    pointer-movement collection, no artificial delay."""
    return json.dumps(
        {
            "display": "invisible",
            "hideFooter": True,
            "hideLogo": True,
            "humanInteractionSignature": False,
            "minDuration": 0,
        }
    )
