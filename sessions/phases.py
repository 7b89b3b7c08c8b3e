"""The phases of a live session, each declared once: what it asks of participants (its prompt),
what it lets them do (its actions), what the board shows (its regions, laid out by its screen
partial, and the dashboard's sentence about it) and what the phone puts first (its action
partial, and what the participant's page reads for it).

Adding a phase is a value in sessions.enums.Phase (and its migration), one PhaseSpec here and
its partials; the board's render and update, the phone's page and the dashboard's preview loop
over these declarations (docs/architecture.md, "Phases and regions"). The board regions are
declared in sessions.live.regions."""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from sessions.enums import Phase

BOARD_SCREENS = "sessions/board/screens.html"
PHONE_ACTIONS = "sessions/participant/actions.html"
SUMMARIES = "sessions/facilitator/presenting.html"


@dataclass(frozen=True)
class PhaseSpec:
    """``actions``: the kinds of contribution the phase accepts (withdrawing one's own is always
    allowed: consent does not depend on the phase); templates test these, never the phase's
    name. ``board_regions``: names of sessions.live.regions.REGIONS shown on its board screen,
    besides those on every screen. ``phone_reads``: what the participant's page reads for its
    action (sessions.views.participant.PHONE_READS). ``publishes_evidence``: the facilitators
    may publish the session's evidence (sessions.services.publishing) in this phase.
    ``prompt_door_closed``: the default prompt while the door is closed, for a phase whose
    default asks people to join (a projector must not tell the room to join with a code the
    door refuses)."""

    value: str
    prompt: Promise
    actions: frozenset[str]
    board_regions: tuple[str, ...]
    phone_reads: tuple[str, ...] = ()
    publishes_evidence: bool = False
    prompt_door_closed: Promise | None = None

    @property
    def board_screen(self) -> str:
        """The partial laying out its board regions."""
        return f"{BOARD_SCREENS}#screen-{self.value}"

    @property
    def board_summary(self) -> str:
        """The partial saying in words what its board shows (the dashboard's preview)."""
        return f"{SUMMARIES}#summary-{self.value}"

    @property
    def phone_action(self) -> str:
        """The partial a phone shows first in this phase."""
        return f"{PHONE_ACTIONS}#action-{self.value}"


PHASES: dict[str, PhaseSpec] = {
    spec.value: spec
    for spec in (
        PhaseSpec(
            Phase.LOBBY,
            _("Welcome! Join with the code or QR code. We start in a moment."),
            frozenset(),
            board_regions=("arrivals",),
            prompt_door_closed=_("Welcome! We start in a moment."),
        ),
        PhaseSpec(
            Phase.NEEDS,
            _(
                "What does your community need to resist or recover from algorithmic harm? "
                "One need per note."
            ),
            frozenset({"need"}),
            board_regions=("newest_needs", "needs_total", "need_cards"),
        ),
        PhaseSpec(
            Phase.MAPPING,
            _("Which strategies from the research could serve each need?"),
            frozenset({"need", "mapping"}),
            board_regions=("newest_needs", "needs_total", "need_cards", "grid", "split"),
            phone_reads=("next_to_map",),
        ),
        PhaseSpec(
            Phase.VOTING,
            _("Place your dots on the needs and mappings that matter most."),
            frozenset({"vote"}),
            board_regions=("need_cards", "ranking", "strategy_ranking"),
        ),
        PhaseSpec(
            Phase.GAPS,
            _("Where does research fall short for your community? Annotate the gaps."),
            frozenset({"gap"}),
            board_regions=("gap_board",),
            phone_reads=("gap_form",),
        ),
        PhaseSpec(
            Phase.WRAPUP,
            _("Thank you! Here is what we mapped together."),
            frozenset(),
            board_regions=("wrap_up",),
            phone_reads=("results",),
            publishes_evidence=True,
        ),
    )
}


def spec(phase: str) -> PhaseSpec:
    """The declaration of ``phase`` (the lobby's for a value no longer declared)."""
    return PHASES.get(phase) or PHASES[Phase.LOBBY]


def default_prompt(phase: str) -> str:
    found = PHASES.get(phase)
    return found.prompt if found else ""


def allows(phase: str, action: str) -> bool:
    found = PHASES.get(phase)
    return bool(found) and action in found.actions
