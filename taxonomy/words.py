"""How the taxonomy's words are compared with what people type: the taxonomy's search
(taxonomy.queries) and the merge suggestions' reading of needs (sessions.similarity)."""

import unicodedata


def folded(text: str) -> str:
    """Text without case or accents: "greves" meets "Grèves", "scholkopf" meets "Schölkopf"
    (a phone's keyboard, or a hurry, leaves them out)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
