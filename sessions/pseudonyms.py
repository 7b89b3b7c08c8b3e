"""Friendly pseudonyms ("Bright Otter") so nobody has to give a name."""

ADJECTIVES = [
    "Amber",
    "Bold",
    "Brave",
    "Bright",
    "Calm",
    "Clever",
    "Cosmic",
    "Curious",
    "Daring",
    "Gentle",
    "Glowing",
    "Golden",
    "Hopeful",
    "Joyful",
    "Kind",
    "Lively",
    "Lucky",
    "Mellow",
    "Mighty",
    "Misty",
    "Nimble",
    "Patient",
    "Playful",
    "Proud",
    "Quick",
    "Quiet",
    "Radiant",
    "Rosy",
    "Serene",
    "Sparkling",
    "Spirited",
    "Steady",
    "Sunny",
    "Swift",
    "Tender",
    "Vivid",
    "Warm",
    "Wild",
    "Wise",
    "Witty",
]
ANIMALS = [
    "Axolotl",
    "Badger",
    "Beaver",
    "Bison",
    "Crane",
    "Dolphin",
    "Dragonfly",
    "Falcon",
    "Ferret",
    "Finch",
    "Fox",
    "Gecko",
    "Hare",
    "Hedgehog",
    "Heron",
    "Ibis",
    "Jaguar",
    "Koala",
    "Lark",
    "Lemur",
    "Lynx",
    "Magpie",
    "Marten",
    "Moose",
    "Narwhal",
    "Newt",
    "Octopus",
    "Orca",
    "Otter",
    "Owl",
    "Panda",
    "Pangolin",
    "Puffin",
    "Quokka",
    "Raven",
    "Salamander",
    "Seal",
    "Sparrow",
    "Tapir",
    "Walrus",
]


# Stepping through the pairs by a number coprime with their count visits every pair once before
# any repeats, in an order that does not read alphabetically.
_PAIRS = len(ADJECTIVES) * len(ANIMALS)
_STEP = 617


def nth_pseudonym(number: int, *, seed: int) -> str:
    """The pseudonym of a session's ``number``-th participant (from 0): the adjective-animal
    pairs in a per-session order (``seed``), then the same pairs with " 2", " 3"... So a
    session's pseudonyms are unique without reading the ones already taken."""
    index = (seed + number * _STEP) % _PAIRS
    name = f"{ADJECTIVES[index // len(ANIMALS)]} {ANIMALS[index % len(ANIMALS)]}"
    round_number = number // _PAIRS
    return name if round_number == 0 else f"{name} {round_number + 1}"
