"""A demo session with fourteen sample needs (two of them duplicates a facilitator would merge),
mappings, dots and gap notes, built through the same services participants use, so the demo
exercises the real rules."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from sessions import services
from sessions.enums import Phase
from sessions.models import LiveSession
from taxonomy.models import Strategy, Taxonomy

DEMO_TITLE = "Common Ground: demo session"
DEMO_QUESTION = (
    "What do LGBTQIA2S+ communities need to resist algorithmic harm, and where does research "
    "fall short?"
)

# (text, context, presence, strategy slugs)
DEMO_NEEDS = [
    (
        "Know why our posts vanish from feeds after we use words like 'trans'",
        "TikTok",
        "room",
        ["folk-theorisation", "everyday-algorithmic-auditing"],
    ),
    (
        "Share evidence of shadow-banning safely, without outing anyone",
        "Instagram",
        "remote",
        ["everyday-algorithmic-auditing"],
    ),
    (
        "Keep our selfies out of face recognition training sets",
        "",
        "room",
        ["style-and-identity-cloaking", "data-refusal"],
    ),
    (
        "A way to leave a platform together without losing our community",
        "X to Bluesky",
        "room",
        ["platform-migration", "conscious-data-contribution"],
    ),
    (
        "Contest automated tenant screening that rejects trans renters",
        "Housing",
        "remote",
        ["legal-contestation", "algorithmic-recourse"],
    ),
    (
        "Job application filters that do not penalise name changes",
        "Hiring platforms",
        "room",
        ["optimising-for-screening-systems", "algorithmic-recourse"],
    ),
    (
        "Protect queer artists' styles from generative models",
        "Artists",
        "room",
        ["style-and-identity-cloaking", "unlearnable-examples"],
    ),
    (
        "Stop ad targeting that infers our sexuality",
        "Advertising",
        "remote",
        ["obfuscation", "data-defences"],
    ),
    (
        "Organise boycotts that actually change the recommender",
        "",
        "room",
        ["algorithmic-collective-action", "data-strikes"],
    ),
    (
        "Plain-language explanations when content moderation removes our posts",
        "YouTube",
        "room",
        ["counterfactual-explanations", "demanding-less-discriminatory-algorithms"],
    ),
    (
        "Tools that work on low-end phones and in languages other than English",
        "",
        "remote",
        ["data-defences"],
    ),
    (
        "Evidence that platforms will accept, to push for fairer models",
        "",
        "room",
        ["demanding-less-discriminatory-algorithms", "model-extraction"],
    ),
    # Two needs that say again what others said, as a room does (one in French), so that the
    # dashboard shows merge suggestions from the start.
    (
        "Savoir pourquoi nos publications disparaissent des fils quand on écrit « trans »",
        "TikTok",
        "remote",
        ["folk-theorisation"],
    ),
    (
        "Find out if we are shadowbanned, and collect proof without outing anyone",
        "Instagram",
        "room",
        ["everyday-algorithmic-auditing"],
    ),
]

DEMO_GAPS = [
    (
        "algorithmic-collective-action",
        "no_research",
        "No study asks whether queer communities can coordinate at the scale these models need.",
    ),
    (
        "style-and-identity-cloaking",
        "accessibility",
        "Cloaking tools need a powerful computer; most of us are on phones.",
    ),
    (
        "model-extraction",
        "awareness",
        "We had never heard of this; nobody explains it to communities.",
    ),
]


@transaction.atomic
def create_demo_session(*, taxonomy: Taxonomy, facilitator: AbstractBaseUser) -> LiveSession:
    """Create the demo session once; later calls return the existing one unchanged."""
    existing = LiveSession.objects.filter(title=DEMO_TITLE).first()
    if existing:
        existing.facilitators.add(facilitator)
        return existing
    live_session = services.create_live_session(
        title=DEMO_TITLE, question=DEMO_QUESTION, taxonomy=taxonomy, facilitator=facilitator
    )
    strategies = {s.slug: s for s in Strategy.objects.filter(taxonomy=taxonomy)}
    participants = []
    for _text, _context, presence, _slugs in DEMO_NEEDS:
        participant, _token = services.join_session(
            live_session=live_session, presence=presence, agreed=True
        )
        participants.append(participant)

    services.set_phase(live_session=live_session, phase=Phase.NEEDS)
    needs = [
        services.post_need(participant=participant, text=text, context=context)
        for participant, (text, context, _presence, _slugs) in zip(
            participants, DEMO_NEEDS, strict=True
        )
    ]
    services.set_phase(live_session=live_session, phase=Phase.MAPPING)
    mappings = []
    for index, (need, (*_, slugs)) in enumerate(zip(needs, DEMO_NEEDS, strict=True)):
        chosen = [strategies[slug] for slug in slugs if slug in strategies]
        if chosen:
            # Someone else maps each need, as in the room.
            mapper = participants[(index + 1) % len(participants)]
            mappings += services.map_need(participant=mapper, need=need, strategies=chosen)
    services.set_phase(live_session=live_session, phase=Phase.VOTING)
    for index, participant in enumerate(participants):
        for offset in range(3):
            services.add_dot(participant=participant, need=needs[(index * 2 + offset) % len(needs)])
        if mappings:
            services.add_dot(participant=participant, mapping=mappings[index % len(mappings)])
    services.set_phase(live_session=live_session, phase=Phase.GAPS)
    for index, (slug, kind, text) in enumerate(DEMO_GAPS):
        if slug in strategies:
            services.annotate_gap(
                participant=participants[index], strategy=strategies[slug], kind=kind, text=text
            )
    # Leave it open for newcomers to post and map.
    return services.set_phase(live_session=live_session, phase=Phase.MAPPING)
