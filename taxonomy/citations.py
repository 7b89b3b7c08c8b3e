"""Citation formats for the taxonomy's references: BibTeX, RIS and CSL-JSON, plus the helpers
the HTML bibliography shares with them.

Plain functions from Reference objects to text. Authors are stored as the source gives them
("Given Family", an organisation as one entry), so telling people from organisations and
splitting given from family names is best effort; an organisation is always kept whole.
"""

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from taxonomy.enums import ReferenceKind
from taxonomy.models import Reference

# Words that mark an author entry as an organisation rather than a person.
_ORGANISATION_WORDS = re.compile(
    r"\b(?:commission|department|division|ministry|agency|office|bureau|court|council|"
    r"committee|association|institute|institution|university|college|foundation|society|"
    r"organi[sz]ation|corporation|company|group|llc|inc|ltd|gmbh|government|centre|center|"
    r"project|collective|coalition|network|alliance|union|consortium|authority|board|"
    r"services?|team|laborator(?:y|ies)|et al)\b\.?",
    re.IGNORECASE,
)
_NAME_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"}
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_PAGE_SEPARATOR = re.compile(r"\s*(?:--|–|—|-)\s*")
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(?P<id>.+)$", re.IGNORECASE)
_ARXIV_URL = re.compile(r"arxiv\.org/(?:abs|pdf)/(?P<id>[^/?#]+?)(?:\.pdf)?(?:[?#]|$)")


@dataclass(frozen=True)
class Name:
    """One author: a person (given, family) or an organisation (literal, kept whole)."""

    given: str = ""
    family: str = ""
    suffix: str = ""
    literal: str = ""

    @property
    def is_organisation(self) -> bool:
        return bool(self.literal)


def is_organisation(name: str) -> bool:
    """Whether an author entry names an organisation ("U.S. Equal Employment Opportunity
    Commission") rather than a person. Best effort: organisation words, digits, ampersands or
    more words than a personal name usually has."""
    words = name.split()
    return (
        bool(_ORGANISATION_WORDS.search(name))
        or "&" in name
        or any(character.isdigit() for character in name)
        or len(words) > 4
    )


def parse_name(raw: object) -> Name:
    """Split an author entry into a Name.

    Accepts "Given Family", "Family, Given" or a CSL-style dict ({"literal": ...} or
    {"family": ..., "given": ...}). Lower-case words before the last one ("van", "de") start
    the family name, as BibTeX does; a trailing "Jr."/"III" is a suffix. A name holding the
    word "and" is kept whole, like an organisation: BibTeX would split it into two authors.
    """
    if isinstance(raw, dict):
        if raw.get("literal"):
            return Name(literal=str(raw["literal"]).strip())
        return Name(given=str(raw.get("given", "")).strip(), family=str(raw.get("family", "")))
    name = " ".join(str(raw).split())
    if not name:
        return Name(literal="")
    if is_organisation(name) or re.search(r"\band\b", name, re.IGNORECASE):
        return Name(literal=name)
    if "," in name:
        family, given = (part.strip() for part in name.split(",", 1))
        return Name(given=given, family=family)
    tokens = name.split()
    suffix = ""
    if len(tokens) > 2 and tokens[-1].lower() in _NAME_SUFFIXES:
        suffix = tokens.pop()
    if len(tokens) == 1:
        return Name(family=tokens[0], suffix=suffix)
    family_start = len(tokens) - 1
    for index in range(1, len(tokens) - 1):
        if tokens[index][0].islower():
            family_start = index
            break
    return Name(
        given=" ".join(tokens[:family_start]),
        family=" ".join(tokens[family_start:]),
        suffix=suffix,
    )


def split_pages(pages: str) -> tuple[str, str]:
    """("380:1", "380:31") from "380:1–380:31"; (start, "") for a single page or article id."""
    parts = _PAGE_SEPARATOR.split(pages.strip(), maxsplit=1)
    if len(parts) == 2 and parts[0] and parts[1]:
        return parts[0], parts[1]
    return pages.strip(), ""


def month_number(month: str) -> int | None:
    """1–12 from "10", "Oct", "October" (English) or None when it cannot tell."""
    month = month.strip().lower()
    if month.isdigit():
        number = int(month)
        return number if 1 <= number <= 12 else None
    for number, abbreviation in enumerate(_MONTHS, start=1):
        if month.startswith(abbreviation):
            return number
    return None


def citation_keys(references: Sequence[Reference]) -> dict[int, str]:
    """A unique, BibTeX-safe key per reference (by pk), from its stored key.

    Keys are unique per taxonomy already; this guards exports that mix taxonomies or keys
    edited in the admin with characters BibTeX does not allow.
    """
    keys: dict[int, str] = {}
    seen: set[str] = set()
    for reference in references:
        base = re.sub(r"[^\w\-:.]", "", reference.key, flags=re.ASCII) or f"ref{reference.number}"
        key, counter = base, 1
        while key.lower() in seen:
            counter += 1
            key = f"{base}-{counter}"
        seen.add(key.lower())
        keys[reference.pk] = key
    return keys


# BibTeX ---------------------------------------------------------------------------------------

# Braces become commands rather than \{ \}: classic BibTeX counts escaped braces too, so a lone
# \{ would unbalance the field.
_BIBTEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_BIBTEX_SPECIALS_RE = re.compile("|".join(re.escape(char) for char in _BIBTEX_SPECIALS))


def bibtex_escape(text: str) -> str:
    """Escape LaTeX's special characters in one pass; unicode is kept as it is (UTF-8)."""
    text = " ".join(str(text).split())
    return _BIBTEX_SPECIALS_RE.sub(lambda match: _BIBTEX_SPECIALS[match.group()], text)


def bibtex_title(title: str) -> str:
    """Escape a title and brace every word holding a capital, so that styles which change
    case keep "TikTok", "LGBTQ+" and proper nouns as written."""
    words = []
    for word in " ".join(title.split()).split(" "):
        escaped = bibtex_escape(word)
        if any(character.isupper() for character in word):
            # "{\command...}" at brace depth one is a BibTeX "special character" whose case
            # BibTeX may still change; a second pair of braces keeps it protected.
            escaped = f"{{{{{escaped}}}}}" if escaped.startswith("\\") else f"{{{escaped}}}"
        words.append(escaped)
    return " ".join(words)


def _bibtex_verbatim(value: str) -> str:
    """A URL or DOI for a BibTeX field: read verbatim by biblatex and hyperref, so it is not
    LaTeX-escaped; characters that would break the field are percent-encoded instead."""
    return quote(value.strip(), safe="!#$%&'()*+,-./:;=?@[]^_`|~")


def bibtex_names(authors: Iterable[object]) -> str:
    """Authors joined with " and "; an organisation in double braces so BibTeX keeps it whole
    ({{U.S. Equal Employment Opportunity Commission}})."""
    names = []
    for raw in authors:
        name = parse_name(raw)
        if name.is_organisation:
            names.append(f"{{{bibtex_escape(name.literal)}}}")
        elif name.given:
            parts = [name.family, *([name.suffix] if name.suffix else []), name.given]
            names.append(", ".join(bibtex_escape(part) for part in parts))
        else:
            names.append(bibtex_escape(name.family))
    return " and ".join(name for name in names if name)


def _eprint(reference: Reference) -> str:
    match = _ARXIV_DOI.match(reference.doi.strip()) or _ARXIV_URL.search(reference.url)
    return match.group("id") if match else ""


def bibtex_entry(reference: Reference, key: str | None = None) -> str:
    """One BibTeX entry. The type follows reference.kind: article → @article (journal),
    inproceedings → @inproceedings (booktitle), preprint, webpage and legal → @misc (with
    eprint, howpublished or url)."""
    kind = reference.kind
    entry_type = {
        ReferenceKind.ARTICLE: "article",
        ReferenceKind.INPROCEEDINGS: "inproceedings",
    }.get(kind, "misc")
    text = bibtex_escape
    # (field, value as written in the file): braced text, or a bare month macro.
    fields: list[tuple[str, str]] = []

    def add(name: str, value: str) -> None:
        fields.append((name, f"{{{value}}}"))

    def add_text(name: str, value: str) -> None:
        if value.strip():
            add(name, text(value))

    if reference.authors:
        add("author", bibtex_names(reference.authors))
    add("title", bibtex_title(reference.title))
    venue = reference.venue.strip()
    if kind == ReferenceKind.ARTICLE and venue:
        add("journal", text(venue))
    elif kind == ReferenceKind.INPROCEEDINGS and venue:
        add("booktitle", text(venue))
    elif venue:
        add("howpublished", text(venue))
    elif kind == ReferenceKind.WEBPAGE and reference.url:
        add("howpublished", f"\\url{{{_bibtex_verbatim(reference.url)}}}")
    add_text("series", getattr(reference, "series", ""))
    add_text("volume", reference.volume)
    add_text("number", reference.issue)
    if reference.pages.strip():
        start, end = split_pages(reference.pages)
        add("pages", f"{text(start)}--{text(end)}" if end else text(start))
    add_text("publisher", reference.publisher)
    add_text("address", getattr(reference, "address", ""))
    add("year", str(reference.year))
    if reference.month.strip():
        month = month_number(reference.month)
        # A month macro (unbraced) lets each style print the month in its own language.
        if month:
            fields.append(("month", _MONTHS[month - 1]))
        else:
            add("month", text(reference.month))
    if kind == ReferenceKind.PREPRINT and (eprint := _eprint(reference)):
        add("eprint", text(eprint))
        add("archiveprefix", "arXiv")
        add("eprinttype", "arxiv")
    if reference.doi.strip():
        add("doi", _bibtex_verbatim(reference.doi))
    if reference.url.strip():
        add("url", _bibtex_verbatim(reference.url))
    add_text("note", reference.note)

    key = key or citation_keys([reference])[reference.pk]
    body = ",\n".join(f"  {name} = {value}" for name, value in fields)
    return f"@{entry_type}{{{key},\n{body}\n}}\n"


def to_bibtex(references: Sequence[Reference]) -> str:
    """A BibTeX file (UTF-8 text) with one entry per reference, in the given order."""
    keys = citation_keys(references)
    return "\n".join(bibtex_entry(reference, keys[reference.pk]) for reference in references)


# RIS ------------------------------------------------------------------------------------------

_RIS_TYPES = {
    ReferenceKind.ARTICLE: "JOUR",
    ReferenceKind.INPROCEEDINGS: "CPAPER",
    ReferenceKind.PREPRINT: "UNPB",
    ReferenceKind.WEBPAGE: "ELEC",
    ReferenceKind.LEGAL: "CASE",
}


def _ris_name(name: Name) -> str:
    if name.is_organisation or not name.given:
        return name.literal or name.family
    return ", ".join(part for part in (name.family, name.given, name.suffix) if part)


def ris_record(reference: Reference) -> str:
    """One RIS record, TY to ER, each tag on its own line (CRLF, as the format specifies)."""
    lines: list[tuple[str, str]] = [("TY", _RIS_TYPES.get(reference.kind, "GEN"))]
    lines += [("AU", _ris_name(parse_name(raw))) for raw in reference.authors]
    lines.append(("PY", str(reference.year)))
    if month := month_number(reference.month) if reference.month else None:
        lines.append(("DA", f"{reference.year}/{month:02d}//"))
    lines.append(("TI", reference.title))
    if reference.venue.strip():
        lines.append(("T2", reference.venue))
        if reference.kind == ReferenceKind.ARTICLE:
            lines.append(("JO", reference.venue))
    start, end = split_pages(reference.pages) if reference.pages.strip() else ("", "")
    lines += [
        ("T3", getattr(reference, "series", "")),
        ("VL", reference.volume),
        ("IS", reference.issue),
        ("SP", start),
        ("EP", end),
        ("PB", reference.publisher),
        ("CY", getattr(reference, "address", "")),
        ("DO", reference.doi),
        ("UR", reference.link),
        ("N1", reference.note),
    ]
    body = "".join(
        f"{tag}  - {' '.join(str(value).split())}\r\n" for tag, value in lines if str(value).strip()
    )
    return body + "ER  - \r\n"


def to_ris(references: Sequence[Reference]) -> str:
    """A RIS file with one TY…ER record per reference, separated by blank lines."""
    return "\r\n".join(ris_record(reference) for reference in references)


# CSL-JSON -------------------------------------------------------------------------------------

_CSL_TYPES = {
    ReferenceKind.ARTICLE: "article-journal",
    ReferenceKind.INPROCEEDINGS: "paper-conference",
    ReferenceKind.PREPRINT: "article",  # CSL 1.0.2: "article" is a preprint or working paper
    ReferenceKind.WEBPAGE: "webpage",
    ReferenceKind.LEGAL: "legal_case",
}


def _csl_name(name: Name) -> dict[str, str]:
    if name.is_organisation or not name.given:
        return {"literal": name.literal or name.family}
    result = {"family": name.family, "given": name.given}
    if name.suffix:
        result["suffix"] = name.suffix
    return result


def csl_item(reference: Reference, key: str | None = None) -> dict:
    """One CSL-JSON item: id, type, title, author, issued date-parts, container-title,
    volume, issue, page, publisher, DOI and URL (empty fields left out)."""
    date_parts = [reference.year]
    if month := month_number(reference.month) if reference.month else None:
        date_parts.append(month)
    start, end = split_pages(reference.pages) if reference.pages.strip() else ("", "")
    item: dict = {
        "id": key or citation_keys([reference])[reference.pk],
        "type": _CSL_TYPES.get(reference.kind, "document"),
        "title": reference.title,
        "author": [_csl_name(parse_name(raw)) for raw in reference.authors],
        "issued": {"date-parts": [date_parts]},
    }
    optional = {
        "container-title": reference.venue,
        "collection-title": getattr(reference, "series", ""),
        "volume": reference.volume,
        "issue": reference.issue,
        "page": f"{start}-{end}" if end else start,
        "publisher": reference.publisher,
        "publisher-place": getattr(reference, "address", ""),
        "DOI": reference.doi,
        "URL": reference.link,
        "note": reference.note,
    }
    item.update({name: value.strip() for name, value in optional.items() if value.strip()})
    return item


def to_csl_json(references: Sequence[Reference]) -> str:
    """A CSL-JSON array (UTF-8, unicode unescaped) with one item per reference."""
    keys = citation_keys(references)
    items = [csl_item(reference, keys[reference.pk]) for reference in references]
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


# Exports --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFormat:
    extension: str
    content_type: str
    render: Callable[[Sequence[Reference]], str]


EXPORT_FORMATS = {
    "bib": ExportFormat("bib", "text/x-bibtex; charset=utf-8", to_bibtex),
    "ris": ExportFormat("ris", "application/x-research-info-systems; charset=utf-8", to_ris),
    "json": ExportFormat(
        "json", "application/vnd.citationstyles.csl+json; charset=utf-8", to_csl_json
    ),
}
