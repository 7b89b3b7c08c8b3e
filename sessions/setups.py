"""Session set-ups: what a new session can start from, either a session already run (its
question, phases, prompts, dots, moderation and taxonomy; never its people or content) or one
of the templates shipped with the app."""

from dataclasses import dataclass, field

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from sessions.enums import Phase

# The fields of a session that make its set-up; duplicate_session copies exactly these.
SETUP_FIELDS = (
    "question",
    "taxonomy",
    "enabled_phases",
    "prompts",
    "question_fr",
    "prompts_fr",
    "dot_budget",
    "dot_cap",
    "premoderation",
    "allow_display_names",
    "close_input_at_zero",
)


@dataclass(frozen=True)
class SessionTemplate:
    slug: str
    name: Promise
    description: Promise
    question: Promise
    enabled_phases: tuple[str, ...]
    dot_budget: int
    dot_cap: int
    premoderation: bool = False
    allow_display_names: bool = True
    prompts: dict[str, Promise] = field(default_factory=dict)

    def options(self) -> dict:
        """The session fields this template sets: its texts in English, with their French
        versions beside them (a French reader sees those)."""
        with translation.override("en"):
            question = str(self.question)
            prompts = {phase: str(prompt) for phase, prompt in self.prompts.items()}
        with translation.override("fr"):
            question_fr = str(self.question)
            prompts_fr = {phase: str(prompt) for phase, prompt in self.prompts.items()}
        return {
            "question": question,
            "question_fr": question_fr if question_fr != question else "",
            "enabled_phases": list(self.enabled_phases),
            "dot_budget": self.dot_budget,
            "dot_cap": self.dot_cap,
            "premoderation": self.premoderation,
            "allow_display_names": self.allow_display_names,
            "prompts": prompts,
            "prompts_fr": {
                phase: text for phase, text in prompts_fr.items() if text != prompts[phase]
            },
        }


ALL_PHASES = tuple(phase.value for phase in Phase)

TEMPLATES = {
    template.slug: template
    for template in (
        SessionTemplate(
            slug="craft-workshop",
            name=_("Two-hour workshop (CRAFT style)"),
            description=_(
                "Every phase, from needs to gaps, with time to discuss between them: the "
                "format of the FAccT CRAFT session. Five dots each, at most three on one item."
            ),
            question=_(
                "Where does research on collective action against algorithmic harm fall short "
                "of what our communities need?"
            ),
            enabled_phases=ALL_PHASES,
            dot_budget=5,
            dot_cap=3,
        ),
        SessionTemplate(
            slug="plenary",
            name=_("Twenty-minute plenary"),
            description=_(
                "A large room in a short slot: needs, a quick vote and the results, no mapping "
                "or gap notes. Three dots each; pseudonyms only, and posts wait for a "
                "facilitator before they reach the board."
            ),
            question=_("What does your community most need from this research?"),
            enabled_phases=(Phase.LOBBY, Phase.NEEDS, Phase.VOTING, Phase.WRAPUP),
            dot_budget=3,
            dot_cap=2,
            premoderation=True,
            allow_display_names=False,
            prompts={
                Phase.NEEDS: _("One need, in one sentence: what would help your community?"),
                Phase.VOTING: _("Three dots: put them on the needs that matter most to you."),
            },
        ),
        SessionTemplate(
            slug="remote-only",
            name=_("Remote-only session"),
            description=_(
                "Everyone joins from a video call: every phase, with prompts that do not "
                "assume a room or a projector. Five dots each."
            ),
            question=_("Which needs of our communities does the research leave unmet?"),
            enabled_phases=ALL_PHASES,
            dot_budget=5,
            dot_cap=3,
            prompts={
                Phase.LOBBY: _(
                    "Welcome! Open the link shared in the call's chat. We start in a moment."
                ),
                Phase.WRAPUP: _(
                    "Thank you! Keep this page: it shows what we mapped together, also after "
                    "the call."
                ),
            },
        ),
    )
}
