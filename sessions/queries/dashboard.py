"""What only the facilitators' dashboard reads: the session with what its panels show, the
moderation queue and list, the merge suggestions, the gap notes, the participants and the
strategies to spotlight. Hidden contributions included where a facilitator acts on them; each
says so."""

from django.db.models import Count, Prefetch

from sessions.enums import ContributionStatus
from sessions.models import GapNote, LiveSession, Mapping, MergeSuggestion, Need, Participant
from sessions.queries.visibility import Visibility
from taxonomy.models import Strategy

GAP_NOTES_ON_DASHBOARD = 200


def facilitated_sessions(user):
    """The sessions ``user`` facilitates (every session for a superuser), with how many
    participants each has (one query)."""
    sessions = LiveSession.objects.annotate(participant_count=Count("participants"))
    if not user.is_superuser:
        sessions = sessions.filter(facilitators=user)
    return sessions


def dashboard_session(live_session: LiveSession) -> LiveSession:
    """The session as it is now, with its taxonomy and what is in the spotlight (one query)."""
    return LiveSession.objects.select_related(
        "taxonomy", "spotlight_need", "spotlight_strategy"
    ).get(pk=live_session.pk)


def recent_gap_notes(live_session: LiveSession, limit: int = GAP_NOTES_ON_DASHBOARD) -> list:
    """The newest gap notes, hidden and pending ones too, with authors and strategies."""
    return (
        GapNote.objects.filter(live_session=live_session)
        .select_related("author", "strategy")
        .order_by("-created")[:limit]
    )


def participants(live_session: LiveSession):
    """Every participant, removed ones too (the dashboard offers to undo a removal), in the
    order they joined."""
    return Participant.objects.filter(live_session=live_session).order_by("joined_at")


def strategies(live_session: LiveSession):
    """The strategies of the session's taxonomy, in the taxonomy's order."""
    return Strategy.objects.filter(taxonomy_id=live_session.taxonomy_id).order_by(
        "category__position", "position"
    )


def moderation_queue(live_session: LiveSession) -> dict:
    """Contributions waiting for approval (pre-moderation)."""
    pending = ContributionStatus.PENDING
    return {
        "needs": list(
            Need.objects.filter(live_session=live_session, status=pending).select_related("author")
        ),
        "mappings": list(
            Mapping.objects.filter(live_session=live_session, status=pending).select_related(
                "need", "strategy", "author"
            )
        ),
        "gaps": list(
            GapNote.objects.filter(live_session=live_session, status=pending).select_related(
                "strategy", "author"
            )
        ),
    }


def needs_for_moderation(live_session: LiveSession, limit: int = 300) -> list[Need]:
    """The newest needs, hidden ones too (not those merged into another), with dots and
    mappings, newest first."""
    return list(
        Need.objects.filter(live_session=live_session)
        .exclude(status=ContributionStatus.MERGED)
        .select_related("author")
        .annotate(dot_total=Visibility(live_session).dots_on("need"))
        .prefetch_related(
            Prefetch(
                "mappings",
                queryset=Mapping.objects.exclude(status=ContributionStatus.MERGED).select_related(
                    "strategy", "author"
                ),
            )
        )
        .order_by("-created", "-pk")[:limit]
    )


def merge_suggestions(live_session: LiveSession, limit: int = 10) -> list[MergeSuggestion]:
    """The open merge suggestions whose two needs are both still shown, likeliest first, with
    both needs and their authors (one query)."""
    gone = [ContributionStatus.HIDDEN, ContributionStatus.MERGED]
    return list(
        MergeSuggestion.objects.filter(live_session=live_session, dismissed_at__isnull=True)
        .exclude(need__status__in=gone)
        .exclude(other__status__in=gone)
        .select_related("need__author", "other__author")
        .order_by("-score", "pk")[:limit]
    )
