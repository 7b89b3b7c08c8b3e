"""What the dashboard's door panel shows: how fast people are joining now, who just arrived,
and the burst of those who joined and have done nothing since (what a script leaves behind).
Three queries, whatever the size of the room."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from sessions import proof_of_work
from sessions.models import GapNote, LiveSession, Mapping, Need, Participant, Vote

# The bars under the join rate: joins per BAR_SECONDS over the last BARS × BAR_SECONDS.
BAR_SECONDS, BARS = 10, 12
# The windows a facilitator can sweep a silent burst from, in minutes.
BURST_WINDOWS = (2, 10)
ARRIVALS_SHOWN = 6


def silent(participants: QuerySet) -> QuerySet:
    """Those of ``participants`` who have contributed nothing: no need, mapping or gap note
    (hidden or not) and no dot."""
    author = {"author": OuterRef("pk")}
    return participants.filter(
        ~Exists(Need.objects.filter(**author)),
        ~Exists(Mapping.objects.filter(**author)),
        ~Exists(GapNote.objects.filter(**author)),
        ~Exists(Vote.objects.filter(participant=OuterRef("pk"))),
    )


def silent_burst(live_session: LiveSession, *, since: datetime, until: datetime) -> QuerySet:
    """The participants still in ``live_session`` (not removed) who joined between ``since``
    and ``until`` and have contributed nothing."""
    return silent(
        Participant.objects.filter(
            live_session=live_session,
            removed_at__isnull=True,
            joined_at__gte=since,
            joined_at__lte=until,
        )
    )


@dataclass(frozen=True)
class Arrival:
    name: str
    seconds_ago: int
    contributed: bool
    removed: bool


@dataclass(frozen=True)
class Burst:
    """``count`` participants joined in the last ``minutes`` and contributed nothing."""

    minutes: int
    count: int


@dataclass(frozen=True)
class DoorActivity:
    closed: bool
    last_minute: int
    last_ten_minutes: int
    # Joins per BAR_SECONDS, oldest first, and each bar's height from 0 to 8 (0 only for none).
    bars: list[int]
    bar_levels: list[int]
    arrivals: list[Arrival]
    bursts: list[Burst]
    # When the figures were read: a sweep removes the burst as it was then (those who joined
    # after the facilitator looked are not in it).
    read_at: datetime
    # What joining costs a phone now; None where the join page asks no proof of work.
    cost: proof_of_work.Cost | None


def door_activity(live_session: LiveSession, *, challenge: bool = True) -> DoorActivity:
    """The door panel's figures; ``challenge``: whether joins here go through the proof of
    work (sessions.proof_of_work.asked for the dashboard's own request, same origin)."""
    now = timezone.now()
    recent = list(
        Participant.objects.filter(
            live_session=live_session, joined_at__gte=now - timedelta(minutes=10)
        ).values_list("joined_at", flat=True)
    )
    ages = [(now - joined).total_seconds() for joined in recent]
    bars = [0] * BARS
    for age in ages:
        slot = int(age // BAR_SECONDS)
        if 0 <= slot < BARS:
            bars[BARS - 1 - slot] += 1
    tallest = max(bars) or 1
    last_minute = sum(1 for age in ages if age <= 60)

    newest = Participant.objects.filter(live_session=live_session).annotate(
        is_silent=Exists(silent(Participant.objects.filter(pk=OuterRef("pk"))))
    )
    arrivals = [
        Arrival(
            name=person.name,
            seconds_ago=max(0, int((now - person.joined_at).total_seconds())),
            contributed=not person.is_silent,
            removed=person.removed_at is not None,
        )
        for person in newest.order_by("-joined_at", "-pk")[:ARRIVALS_SHOWN]
    ]

    windows = silent(
        Participant.objects.filter(
            live_session=live_session,
            removed_at__isnull=True,
            joined_at__gte=now - timedelta(minutes=max(BURST_WINDOWS)),
        )
    ).aggregate(
        **{
            f"in_{minutes}": Count("pk", filter=Q(joined_at__gte=now - timedelta(minutes=minutes)))
            for minutes in BURST_WINDOWS
        }
    )
    bursts: list[Burst] = []
    for minutes in BURST_WINDOWS:
        count = windows[f"in_{minutes}"]
        if count and (not bursts or count > bursts[-1].count):
            bursts.append(Burst(minutes, count))
    return DoorActivity(
        closed=live_session.door_closed,
        last_minute=last_minute,
        last_ten_minutes=len(recent),
        bars=bars,
        bar_levels=[0 if n == 0 else max(1, round(8 * n / tallest)) for n in bars],
        arrivals=arrivals,
        bursts=bursts,
        read_at=now,
        cost=proof_of_work.current_cost(live_session, last_minute) if challenge else None,
    )
