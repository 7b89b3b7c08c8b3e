"""What each phase asks of participants and which actions it allows."""

from django.utils.translation import gettext_lazy as _

from sessions.enums import Phase

DEFAULT_PROMPTS = {
    Phase.LOBBY: _("Welcome! Join with the code or QR code. We start in a moment."),
    Phase.NEEDS: _(
        "What does your community need to resist or recover from algorithmic harm? "
        "One need per note."
    ),
    Phase.MAPPING: _("Which strategies from the research could serve each need?"),
    Phase.VOTING: _("Place your dots on the needs and mappings that matter most."),
    Phase.GAPS: _("Where does research fall short for your community? Annotate the gaps."),
    Phase.WRAPUP: _("Thank you! Here is what we mapped together."),
}

# Which kinds of contribution each phase accepts. Withdrawing (deleting one's own) is always
# allowed: consent does not depend on the phase.
ACTIONS = {
    Phase.LOBBY: frozenset(),
    Phase.NEEDS: frozenset({"need"}),
    Phase.MAPPING: frozenset({"need", "mapping"}),
    Phase.VOTING: frozenset({"vote"}),
    Phase.GAPS: frozenset({"gap"}),
    Phase.WRAPUP: frozenset(),
}


def default_prompt(phase: str) -> str:
    return DEFAULT_PROMPTS.get(phase, "")


def allows(phase: str, action: str) -> bool:
    return action in ACTIONS.get(phase, frozenset())
