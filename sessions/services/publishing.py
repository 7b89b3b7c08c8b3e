"""Publishing a finished session's aggregate results to the evidence across workshops on the
public taxonomy site, and taking them back. Opt-in, after a preview (the dashboard's evidence
page shows sessions.queries.evidence.workshop_evidence first).

Every release is differentially private (taxonomy/privacy.py): it draws fresh noise and spends
privacy.EPSILON_PER_RELEASE from the session's budget (privacy.EPSILON_PER_SESSION), kept in
EvidenceRelease rows that outlive the publication."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from sessions.models import EvidenceRelease, LiveSession
from sessions.queries.evidence import noisy_release, workshop_evidence
from sessions.services.common import locked_session, log
from sessions.services.errors import InvalidInput, PhaseClosed, PrivacyBudgetSpent
from taxonomy import privacy
from taxonomy.models import EVIDENCE_MINIMUM, EvidenceCount, PublishedWorkshop


@dataclass
class Budget:
    """A session's privacy budget: what its releases spent, and how many more it allows."""

    spent: Decimal
    total: Decimal
    per_release: Decimal

    @property
    def left(self) -> Decimal:
        return max(self.total - self.spent, Decimal(0))

    @property
    def releases_left(self) -> int:
        return int(self.left // self.per_release)


def evidence_budget(live_session: LiveSession) -> Budget:
    """The session's privacy budget as it stands (one query)."""
    spent = EvidenceRelease.objects.filter(live_session=live_session).aggregate(
        spent=Sum("epsilon")
    )["spent"]
    return Budget(spent or Decimal(0), privacy.EPSILON_PER_SESSION, privacy.release_epsilon())


@transaction.atomic
def publish_evidence(*, live_session: LiveSession, actor) -> PublishedWorkshop:
    """Publish (or publish again, replacing) the session's counts per strategy and approach,
    with fresh noise on each (the evidence withholds a total whose noisy count of people is
    under EVIDENCE_MINIMUM). Spends privacy.release_epsilon() from the session's budget.

    Refuses with PhaseClosed before wrap-up or after a purge, InvalidInput when fewer than
    EVIDENCE_MINIMUM people contributed (joining alone does not count), PrivacyBudgetSpent
    when the release would go past the session's budget. Emits nothing: no live screen shows
    the evidence."""
    # The session's row lock also serialises two publications, so that both cannot read the
    # same budget left and spend it twice.
    live_session = locked_session(live_session)
    if live_session.purged_at:
        raise PhaseClosed(_("The contributions were purged: publish before purging."))
    if not live_session.phase_spec.publishes_evidence:
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
    budget = evidence_budget(live_session)
    if budget.spent + budget.per_release > budget.total:
        raise PrivacyBudgetSpent(
            _(
                "This session's privacy budget is spent: its evidence cannot be published "
                "again. What is published stays until you take it back."
            )
        )
    release = noisy_release(evidence)
    EvidenceRelease.objects.create(live_session=live_session, epsilon=budget.per_release)
    workshop, _created = PublishedWorkshop.objects.update_or_create(
        source=live_session.code,
        defaults={
            "taxonomy_id": live_session.taxonomy_id,
            "title": live_session.title,
            "held_on": timezone.localdate(live_session.created),
            "participants": release.participants,
            "epsilon": budget.spent + budget.per_release,
        },
    )
    workshop.counts.all().delete()
    EvidenceCount.objects.bulk_create(
        [
            EvidenceCount(
                workshop=workshop,
                strategy=row.strategy,
                approach=row.approach,
                participants=row.participants,
                needs_mapped=row.needs_mapped,
                dots=row.dots,
                gap_notes=row.gap_notes,
            )
            for row in release.strategies + release.approaches
        ]
    )
    log(live_session, actor, "publish-evidence", "session")
    return workshop


@transaction.atomic
def unpublish_evidence(*, live_session: LiveSession, actor) -> bool:
    """Take the session's contribution out of the evidence at once; returns whether there was
    one. What its releases spent stays spent. Emits nothing."""
    deleted, _by_model = PublishedWorkshop.objects.filter(source=live_session.code).delete()
    if deleted:
        log(LiveSession.objects.get(pk=live_session.pk), actor, "unpublish-evidence", "session")
    return bool(deleted)
