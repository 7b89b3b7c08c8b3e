"""Friendly pseudonyms ("Bright Otter") so nobody has to give a name, shown in the reader's
language ("Loutre Lumineuse").

A pseudonym is stored as its English words, which identify the pair of words (and stay the
same in exports and the moderation log's details); ``in_language`` renders the same pair in
French, the adjective agreeing with the animal's gender. Participant.name uses it, so every
page, board region and live update that shows a participant's name shows it in the language
it is rendered in."""

from functools import cache

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


# The French words, in the same order: each animal with its gender, each adjective in the
# masculine and the feminine. Every pair renders to a different name (a test checks it).
ANIMALS_FR = [
    ("Axolotl", "m"),
    ("Blaireau", "m"),
    ("Castor", "m"),
    ("Bison", "m"),
    ("Grue", "f"),
    ("Dauphin", "m"),
    ("Libellule", "f"),
    ("Faucon", "m"),
    ("Furet", "m"),
    ("Pinson", "m"),
    ("Renard", "m"),
    ("Gecko", "m"),
    ("Lièvre", "m"),
    ("Hérisson", "m"),
    ("Héron", "m"),
    ("Ibis", "m"),
    ("Jaguar", "m"),
    ("Koala", "m"),
    ("Alouette", "f"),
    ("Lémurien", "m"),
    ("Lynx", "m"),
    ("Pie", "f"),
    ("Martre", "f"),
    ("Orignal", "m"),
    ("Narval", "m"),
    ("Triton", "m"),
    ("Pieuvre", "f"),
    ("Orque", "f"),
    ("Loutre", "f"),
    ("Chouette", "f"),
    ("Panda", "m"),
    ("Pangolin", "m"),
    ("Macareux", "m"),
    ("Quokka", "m"),
    ("Corbeau", "m"),
    ("Salamandre", "f"),
    ("Phoque", "m"),
    ("Moineau", "m"),
    ("Tapir", "m"),
    ("Morse", "m"),
]
ADJECTIVES_FR = [
    ("Ambré", "Ambrée"),
    ("Audacieux", "Audacieuse"),
    ("Courageux", "Courageuse"),
    ("Lumineux", "Lumineuse"),
    ("Calme", "Calme"),
    ("Malin", "Maligne"),
    ("Cosmique", "Cosmique"),
    ("Curieux", "Curieuse"),
    ("Hardi", "Hardie"),
    ("Doux", "Douce"),
    ("Rayonnant", "Rayonnante"),
    ("Doré", "Dorée"),
    ("Confiant", "Confiante"),
    ("Joyeux", "Joyeuse"),
    ("Gentil", "Gentille"),
    ("Enjoué", "Enjouée"),
    ("Chanceux", "Chanceuse"),
    ("Paisible", "Paisible"),
    ("Puissant", "Puissante"),
    ("Brumeux", "Brumeuse"),
    ("Agile", "Agile"),
    ("Patient", "Patiente"),
    ("Espiègle", "Espiègle"),
    ("Fier", "Fière"),
    ("Rapide", "Rapide"),
    ("Tranquille", "Tranquille"),
    ("Radieux", "Radieuse"),
    ("Rosé", "Rosée"),
    ("Serein", "Sereine"),
    ("Pétillant", "Pétillante"),
    ("Fougueux", "Fougueuse"),
    ("Constant", "Constante"),
    ("Ensoleillé", "Ensoleillée"),
    ("Leste", "Leste"),
    ("Tendre", "Tendre"),
    ("Éclatant", "Éclatante"),
    ("Chaleureux", "Chaleureuse"),
    ("Sauvage", "Sauvage"),
    ("Sage", "Sage"),
    ("Spirituel", "Spirituelle"),
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


def _french(adjective: int, animal: int) -> str:
    noun, gender = ANIMALS_FR[animal]
    masculine, feminine = ADJECTIVES_FR[adjective]
    return f"{noun} {feminine if gender == 'f' else masculine}"


@cache
def _pairs() -> dict[str, tuple[int, int]]:
    return {
        f"{adjective} {animal}": (i, j)
        for i, adjective in enumerate(ADJECTIVES)
        for j, animal in enumerate(ANIMALS)
    }


def in_language(pseudonym: str, language: str | None) -> str:
    """A stored pseudonym in ``language`` ("fr", "fr-ca"...): "Bright Otter 2" is "Loutre
    Lumineuse 2" in French. English, another language, or text that is not one of our
    pseudonyms (an older one, say) is given back as it is."""
    if not language or language.split("-")[0] != "fr":
        return pseudonym
    words, _space, round_number = pseudonym.rpartition(" ")
    if round_number.isdigit() and words in _pairs():
        return f"{_french(*_pairs()[words])} {round_number}"
    if pseudonym in _pairs():
        return _french(*_pairs()[pseudonym])
    return pseudonym
