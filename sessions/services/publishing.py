"""Publishing a finished session's aggregate results to the evidence across workshops on the
public taxonomy site, and taking them back. Opt-in, after a preview (the dashboard's evidence
page shows sessions.stats.evidence.workshop_evidence first)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sessions.enums import Phase
from sessions.models import LiveSession
from sessions.services.common import locked_session, log
from sessions.services.errors import InvalidInput, PhaseClosed
from sessions.stats.evidence import workshop_evidence
from taxonomy.models import EVIDENCE_MINIMUM, EvidenceCount, PublishedWorkshop


@transaction.atomic
def publish_evidence(*, live_session: LiveSession, actor) -> PublishedWorkshop:
    """Publish (or publish again, replacing) the session's counts per strategy and approach:
    withheld where fewer than EVIDENCE_MINIMUM people are behind a figure. Refuses with
    PhaseClosed before wrap-up or after a purge, InvalidInput when fewer than EVIDENCE_MINIMUM
    people contributed (joining alone does not count). Emits nothing: no live screen shows the
    evidence."""
    live_session = locked_session(live_session)
    if live_session.purged_at:
        raise PhaseClosed(_("The contributions were purged: publish before purging."))
    if live_session.phase != Phase.WRAPUP:
        raise PhaseClosed(_("Publish the results once the session has reached wrap-up."))
    evidence = workshop_evidence(live_session)
    if not evidence.publishable:
        raise InvalidInput(
            _(
                "At least %(minimum)d people who contributed (mapped, voted on a mapping or "
                "noted a gap) are needed before anything is published."
            )
            % {"minimum": EVIDENCE_MINIMUM}
        )
    workshop, _created = PublishedWorkshop.objects.update_or_create(
        source=live_session.code,
        defaults={
            "taxonomy_id": live_session.taxonomy_id,
            "title": live_session.title,
            "held_on": timezone.localdate(live_session.created),
            "participants": evidence.participants,
        },
    )
    workshop.counts.all().delete()
    EvidenceCount.objects.bulk_create(
        [
            EvidenceCount(
                workshop=workshop,
                strategy=row.strategy,
                approach=row.approach,
                suppressed=row.withheld,
                **(
                    {}
                    if row.withheld
                    else {
                        "participants": row.participants,
                        "needs_mapped": row.needs_mapped,
                        "dots": row.dots,
                        "gap_notes": row.gap_notes,
                    }
                ),
            )
            for row in evidence.strategies + evidence.approaches
        ]
    )
    log(live_session, actor, "publish-evidence", "session")
    return workshop


@transaction.atomic
def unpublish_evidence(*, live_session: LiveSession, actor) -> bool:
    """Take the session's contribution out of the evidence at once; returns whether there was
    one. Emits nothing."""
    deleted, _by_model = PublishedWorkshop.objects.filter(source=live_session.code).delete()
    if deleted:
        log(LiveSession.objects.get(pk=live_session.pk), actor, "unpublish-evidence", "session")
    return bool(deleted)
