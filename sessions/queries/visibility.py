"""Which rows of a live session count: the one visibility rule of every read (sessions.queries).

``Visibility(live_session)`` is what the board shows: visible contributions on targets that
are themselves shown (a visible mapping of a hidden need is left out, and so are the dots and
gap notes on it). An export's scope (sessions/exports/scope.py) is a Visibility set from its
options: by default the same rows without anything by a participant a facilitator removed,
with ``include_hidden`` every row."""

from collections.abc import Iterable

from django.db.models import Aggregate, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from sessions.enums import ContributionStatus
from sessions.models import GapNote, LiveSession, Mapping, Need, Participant, Vote

VISIBLE = ContributionStatus.VISIBLE
CHUNK_SIZE = 2000  # rows fetched per database round trip when a list can be long


class Visibility:
    """The rows of one session that count.

    ``exclude_removed`` also leaves out what a removed participant wrote or voted. Removing
    someone hides all they wrote and their dots (services.remove_participant; hidden votes
    are left out of every read by sessions.models.CountedVotes), so this changes something
    only if a facilitator showed some of it again: the board then shows it, an export does
    not. ``include_hidden``: every row, but for needs and mappings a merge made part of
    another (status MERGED: their dots and gap notes are counted where they moved)."""

    # Whether long reads stream in chunks through a server-side cursor: an export's may be
    # huge and keep memory flat that way; the board's are read again on every push, where the
    # cursor's extra round trips cost more than they save.
    streams = False

    def __init__(
        self,
        live_session: LiveSession,
        *,
        include_hidden: bool = False,
        exclude_removed: bool = False,
    ) -> None:
        self.live_session = live_session
        self.include_hidden = include_hidden
        self.exclude_removed = exclude_removed and not include_hidden

    def rows(self, queryset: QuerySet) -> Iterable:
        """The rows of a long read, streamed if this visibility ``streams``."""
        return queryset.iterator(chunk_size=CHUNK_SIZE) if self.streams else queryset

    def _removed(self) -> QuerySet:
        # A subquery (usually empty) rather than a join to each row's author.
        return Participant.objects.filter(
            live_session=self.live_session, removed_at__isnull=False
        ).values("pk")

    def included(self, prefix: str = "") -> Q:
        """Rows whose contribution at ``prefix`` is visible (and, with ``exclude_removed``,
        whose author was not removed)."""
        if self.include_hidden:
            return ~Q(**{f"{prefix}status": ContributionStatus.MERGED})
        included = Q(**{f"{prefix}status": VISIBLE})
        if self.exclude_removed:
            included &= ~Q(**{f"{prefix}author__in": self._removed()})
        if prefix:
            # Always true (a target is in its contribution's session), but it lets the
            # database read the joined table by session rather than scan all of it: the
            # board reads these statistics again on every vote.
            included &= Q(**{f"{prefix}live_session": self.live_session})
        return included

    def _voter_included(self) -> Q:
        return ~Q(participant__in=self._removed()) if self.exclude_removed else Q()

    def _on(self, target: str) -> Q:
        """Votes on an included need (``target`` "need") or mapping ("mapping")."""
        on_target = Q(**{f"{target}__isnull": False})
        if target == "mapping":
            return on_target & self.included("mapping__") & self.included("mapping__need__")
        return on_target & self.included("need__")

    def participants(self) -> QuerySet[Participant]:
        queryset = Participant.objects.filter(live_session=self.live_session)
        if not self.include_hidden:
            queryset = queryset.filter(removed_at__isnull=True)
        return queryset.order_by("joined_at", "pk")

    def needs(self) -> QuerySet[Need]:
        return Need.objects.filter(self.included(), live_session=self.live_session).order_by(
            "created", "pk"
        )

    def mappings(self) -> QuerySet[Mapping]:
        return Mapping.objects.filter(
            self.included(), self.included("need__"), live_session=self.live_session
        ).order_by("created", "pk")

    def votes(self, target: str | None = None) -> QuerySet[Vote]:
        """Vote rows by included participants on included needs and mappings, or only on
        ``target`` ("need" or "mapping")."""
        queryset = Vote.objects.filter(live_session=self.live_session).order_by("pk")
        if target is not None:
            return queryset.filter(self._voter_included(), self._on(target))
        if self.include_hidden:
            return queryset
        # Either target, matched by id against the included ones: joining both would make
        # the database read every session's needs and mappings.
        on_either = Q(need__in=self.needs().order_by().values("pk")) | Q(
            mapping__in=self.mappings().order_by().values("pk")
        )
        return queryset.filter(self._voter_included(), on_either)

    def gap_notes(self) -> QuerySet[GapNote]:
        queryset = GapNote.objects.filter(live_session=self.live_session).order_by("created", "pk")
        if self.include_hidden:
            # Not through the Q objects below: Q(...) | Q() is Q(...), not "everything".
            return queryset
        on_mapping = self.included("mapping__") & self.included("mapping__need__")
        return queryset.filter(self.included(), Q(mapping__isnull=True) | on_mapping)

    def dots_on(self, target: str) -> Coalesce:
        """Included dots on each row of a need or mapping queryset (``target``: its field on
        Vote), for ``.annotate()``; the target itself is assumed included."""
        return total_per(Vote.objects.filter(self._voter_included()), target, Sum("dots"))

    def mapping_count(self) -> Coalesce:
        """Included mappings of each row of a need queryset, for ``.annotate()``."""
        return total_per(Mapping.objects.filter(self.included()), "need", Count("pk"))


def total_per(rows: QuerySet, field_name: str, total: Aggregate) -> Coalesce:
    """``total`` over the ``rows`` whose ``field_name`` is the outer row, as a subquery (0
    when there are none), for ``.annotate()``."""
    per_row = (
        rows.filter(**{field_name: OuterRef("pk")})
        .order_by()
        .values(field_name)
        .annotate(total=total)
        .values("total")
    )
    return Coalesce(Subquery(per_row, output_field=IntegerField()), 0)
