"""Friendly pseudonyms ("Bright Otter") so nobody has to give a name."""

import secrets

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


def random_pseudonym(taken: set[str]) -> str:
    """A pseudonym not in ``taken``; adds a number once the plain pairs run short."""
    for _ in range(50):
        candidate = f"{secrets.choice(ADJECTIVES)} {secrets.choice(ANIMALS)}"
        if candidate not in taken:
            return candidate
    while True:
        candidate = (
            f"{secrets.choice(ADJECTIVES)} {secrets.choice(ANIMALS)} {secrets.randbelow(1000)}"
        )
        if candidate not in taken:
            return candidate
