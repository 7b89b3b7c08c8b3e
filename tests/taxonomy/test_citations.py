import json
import re

import bibtexparser
import pytest
from bibtexparser.middlewares import LatexDecodingMiddleware, SeparateCoAuthors
from django.urls import reverse
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

from taxonomy import citations
from taxonomy.enums import ReferenceKind
from taxonomy.models import Reference
from tests.factories import ReferenceFactory, StrategyFactory, TaxonomyFactory, workshop_sample

pytestmark = pytest.mark.django_db


@pytest.fixture
def sample():
    return workshop_sample()


@pytest.fixture
def references(sample):
    return list(Reference.objects.order_by("number"))


def latex_decoder():
    """pylatexenc's decoder, taught the LaTeX kernel's \\textbraceleft and \\textbraceright
    (which the export uses because classic BibTeX counts even escaped braces)."""
    context = get_default_latex_context_db().filter_context()
    context.add_context_category(
        "braces",
        macros=[
            MacroTextSpec("textbraceleft", simplify_repl="{"),
            MacroTextSpec("textbraceright", simplify_repl="}"),
        ],
    )
    return LatexDecodingMiddleware(decoder=LatexNodes2Text(latex_context=context))


def parse(bibtex: str, *middlewares):
    library = bibtexparser.parse_string(bibtex, append_middleware=list(middlewares))
    assert library.failed_blocks == []
    return library


def entry_fields(library, key):
    entry = library.entries_dict[key]
    return entry.entry_type, {field.key: field.value for field in entry.fields}


# BibTeX ---------------------------------------------------------------------------------------


def test_bibtex_has_one_entry_per_reference_with_unique_keys(references):
    library = parse(citations.to_bibtex(references))

    keys = [entry.key for entry in library.entries]
    assert len(keys) == len(references) == 7
    assert len(set(keys)) == len(keys)
    assert keys == [reference.key for reference in references]


def test_bibtex_article_fields(references):
    library = parse(citations.to_bibtex(references))

    entry_type, fields = entry_fields(library, "karizat2021folk")
    assert entry_type == "article"
    assert fields["journal"] == "Proceedings of the ACM on Human-Computer Interaction"
    assert fields["volume"] == "5"
    assert fields["number"] == "CSCW2"
    assert fields["pages"] == "305:1--305:44"
    assert fields["year"] == "2021"
    assert fields["doi"] == "10.1145/3476046"
    assert fields["author"] == "Karizat, N. and Delmonaco, D. and Eslami, M. and Andalibi, N."
    # Words with capitals are braced so styles that change case keep them.
    assert fields["title"].startswith("{Algorithmic} folk theories and identity: {How} {TikTok}")


def test_bibtex_inproceedings_uses_booktitle_and_publisher(references):
    library = parse(citations.to_bibtex(references))

    entry_type, fields = entry_fields(library, "hardt2023algorithmic")
    assert entry_type == "inproceedings"
    assert fields["booktitle"] == "International conference on machine learning"
    assert fields["publisher"] == "PMLR"
    assert fields["pages"] == "12570--12586"
    assert "journal" not in fields and "doi" not in fields


def test_bibtex_preprint_is_misc_with_eprint_and_doi(references):
    library = parse(citations.to_bibtex(references))

    entry_type, fields = entry_fields(library, "aivodji2020model")
    assert entry_type == "misc"
    assert fields["doi"] == "10.48550/arXiv.2009.01884"
    assert fields["eprint"] == "2009.01884"
    assert fields["archiveprefix"] == "arXiv"


def test_bibtex_webpage_is_misc_with_url(references, sample):
    library = parse(citations.to_bibtex(references))

    entry_type, fields = entry_fields(library, "chowdhury2021cropping")
    url = sample["references"][4].url
    assert entry_type == "misc"
    assert fields["url"] == url  # verbatim: underscores in URLs are not escaped
    assert fields["howpublished"] == f"\\url{{{url}}}"


def test_bibtex_legal_document_is_misc_with_corporate_author_kept_whole(references):
    bibtex = citations.to_bibtex(references)
    library = parse(bibtex, SeparateCoAuthors())

    entry_type, fields = entry_fields(library, "eeoc2024mobley")
    assert entry_type == "misc"
    assert "author = {{U.S. Equal Employment Opportunity Commission}}" in bibtex
    # The splitter removes the field's own braces; the inner pair keeps the name whole.
    assert fields["author"] == ["{U.S. Equal Employment Opportunity Commission}"]
    assert fields["url"] == "https://www.eeoc.gov/litigation/briefs/mobley-v-workday-inc"


def test_bibtex_corporate_author_among_people_is_braced(sample):
    reference = ReferenceFactory(
        authors=["United States Department of Justice, Civil Rights Division", "Ada Lovelace"]
    )

    library = parse(citations.to_bibtex([reference]), SeparateCoAuthors())

    assert library.entries[0]["author"] == [
        "{United States Department of Justice, Civil Rights Division}",
        "Lovelace, Ada",
    ]


def test_bibtex_keeps_a_person_whose_name_holds_and_as_one_author(sample):
    reference = ReferenceFactory(authors=["Tom and Jerry", "Ada Lovelace"])

    library = parse(citations.to_bibtex([reference]), SeparateCoAuthors())

    assert library.entries[0]["author"] == ["{Tom and Jerry}", "Lovelace, Ada"]


def test_bibtex_keeps_unicode_authors(references):
    bibtex = citations.to_bibtex(references)
    library = parse(bibtex, SeparateCoAuthors())

    assert library.entries_dict["aivodji2020model"]["author"][0] == "Aïvodji, U."
    assert "Schölkopf, B." in library.entries_dict["karimi2023survey"]["author"]
    assert "Mendler-Dünner, Celestine" in library.entries_dict["hardt2023algorithmic"]["author"]


@pytest.mark.parametrize(
    "title",
    [
        "Fairness & accountability: 100% of {curly} data_sets",
        "Costs in $ and # of users ~ half",
        "A \\ backslash and a } closing brace first",
    ],
)
def test_bibtex_special_characters_survive_a_round_trip(title):
    reference = ReferenceFactory(title=title, venue="Harv. JL & Tech.", note="50% off_peak")

    bibtex = citations.to_bibtex([reference])
    raw = parse(bibtex).entries[0]
    decoded = parse(bibtex, latex_decoder()).entries[0]

    assert r"\&" in raw["journal"]
    assert decoded["title"] == title
    assert decoded["journal"] == "Harv. JL & Tech."
    assert decoded["note"] == "50% off_peak"


def test_bibtex_escapes_every_special_character():
    assert citations.bibtex_escape("& % $ # _ { } ~ ^ \\") == (
        r"\& \% \$ \# \_ \textbraceleft{} \textbraceright{} \textasciitilde{} "
        r"\textasciicircum{} \textbackslash{}"
    )


def test_bibtex_month_is_a_macro_and_title_capitals_are_protected():
    reference = ReferenceFactory(title="Glaze and LGBTQ+ creators", month="October")

    bibtex = citations.to_bibtex([reference])

    assert "  month = oct,\n" in bibtex
    assert "title = {{Glaze} and {LGBTQ+} creators}" in bibtex
    assert parse(bibtex).entries[0]["month"] == "oct"


def test_bibtex_keys_are_made_unique_and_safe():
    first = ReferenceFactory(key="same")
    second = ReferenceFactory(taxonomy=TaxonomyFactory(slug="other"), key="same")
    Reference.objects.filter(pk=first.pk).update(key="bad key,{x}")
    first.refresh_from_db()

    library = parse(citations.to_bibtex([first, second, ReferenceFactory(key="same-2")]))

    keys = [entry.key for entry in library.entries]
    assert keys[0] == "badkeyx"
    assert len(set(keys)) == 3


# RIS ------------------------------------------------------------------------------------------


def ris_records(text: str) -> list[list[tuple[str, str]]]:
    records, current = [], []
    for line in text.split("\r\n"):
        if not line:
            continue
        match = re.fullmatch(r"([A-Z][A-Z0-9])  - (.*)", line)
        assert match, line
        current.append((match.group(1), match.group(2)))
        if match.group(1) == "ER":
            records.append(current)
            current = []
    assert current == []
    return records


def test_ris_has_one_record_per_reference(references):
    records = ris_records(citations.to_ris(references))

    assert len(records) == len(references)
    for record in records:
        assert record[0][0] == "TY" and record[-1] == ("ER", "")


def test_ris_article_fields(references):
    records = ris_records(citations.to_ris(references))
    record = records[[r.number for r in references].index(12)]

    assert record[0] == ("TY", "JOUR")
    assert [value for tag, value in record if tag == "AU"] == [
        "Karimi, A.-H.",
        "Barthe, G.",
        "Schölkopf, B.",
        "Valera, I.",
    ]
    fields = dict(record)
    assert fields["PY"] == "2023"
    assert fields["TI"].startswith("A survey of algorithmic recourse")
    assert fields["T2"] == fields["JO"] == "ACM Computing Surveys"
    assert (fields["VL"], fields["IS"], fields["SP"], fields["EP"]) == ("55", "5", "1", "29")
    assert fields["DO"] == "10.1145/3527848"
    assert fields["UR"] == "https://doi.org/10.1145/3527848"


def test_ris_types_and_corporate_author(references):
    records = {dict(record)["TI"]: record for record in ris_records(citations.to_ris(references))}

    legal = records["Mobley v. Workday, inc."]
    assert legal[0] == ("TY", "CASE")
    assert ("AU", "U.S. Equal Employment Opportunity Commission") in legal
    types = {dict(record)["TI"][:20]: record[0][1] for record in records.values()}
    assert sorted(set(types.values())) == ["CASE", "CPAPER", "ELEC", "JOUR", "UNPB"]


# CSL-JSON -------------------------------------------------------------------------------------


def test_csl_json_structure(references):
    items = json.loads(citations.to_csl_json(references))

    assert [item["id"] for item in items] == [reference.key for reference in references]
    by_id = {item["id"]: item for item in items}
    article = by_id["karimi2023survey"]
    assert article["type"] == "article-journal"
    assert article["title"].startswith("A survey of algorithmic recourse")
    assert article["author"][2] == {"family": "Schölkopf", "given": "B."}
    assert article["issued"] == {"date-parts": [[2023]]}
    assert article["container-title"] == "ACM Computing Surveys"
    assert (article["volume"], article["issue"], article["page"]) == ("55", "5", "1-29")
    assert article["DOI"] == "10.1145/3527848"
    assert article["URL"] == "https://doi.org/10.1145/3527848"
    assert by_id["eeoc2024mobley"]["author"] == [
        {"literal": "U.S. Equal Employment Opportunity Commission"}
    ]
    assert by_id["eeoc2024mobley"]["type"] == "legal_case"
    assert by_id["hardt2023algorithmic"]["type"] == "paper-conference"
    assert by_id["aivodji2020model"]["type"] == "article"
    assert by_id["chowdhury2021cropping"]["type"] == "webpage"
    assert "DOI" not in by_id["chowdhury2021cropping"]


def test_csl_json_month_goes_into_date_parts():
    item = json.loads(citations.to_csl_json([ReferenceFactory(year=2024, month="March")]))[0]

    assert item["issued"] == {"date-parts": [[2024, 3]]}


# Names and pages ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("M. A. DeVito", citations.Name(given="M. A.", family="DeVito")),
        ("Ben Y Zhao", citations.Name(given="Ben Y", family="Zhao")),
        ("Ludwig van Beethoven", citations.Name(given="Ludwig", family="van Beethoven")),
        ("Martin Luther King Jr.", citations.Name("Martin Luther", "King", suffix="Jr.")),
        ("Wachter, Sandra", citations.Name(given="Sandra", family="Wachter")),
        ("Divino Group LLC et al.", citations.Name(literal="Divino Group LLC et al.")),
        (
            "United States Department of Justice, Civil Rights Division",
            citations.Name(literal="United States Department of Justice, Civil Rights Division"),
        ),
        ({"literal": "Reddit"}, citations.Name(literal="Reddit")),
        ("Tom and Jerry", citations.Name(literal="Tom and Jerry")),
    ],
)
def test_parse_name(raw, expected):
    assert citations.parse_name(raw) == expected


@pytest.mark.parametrize(
    ("pages", "expected"),
    [("380:1–380:31", ("380:1", "380:31")), ("1-29", ("1", "29")), ("841", ("841", ""))],
)
def test_split_pages(pages, expected):
    assert citations.split_pages(pages) == expected


# Downloads ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extension", "content_type"),
    [
        ("bib", "text/x-bibtex; charset=utf-8"),
        ("ris", "application/x-research-info-systems; charset=utf-8"),
        ("json", "application/vnd.citationstyles.csl+json; charset=utf-8"),
    ],
)
def test_bibliography_downloads(client, sample, extension, content_type):
    response = client.get(reverse("taxonomy:references_export", args=[extension]))

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == (
        f'attachment; filename="default-references.{extension}"'
    )
    text = response.content.decode("utf-8")
    assert "Schölkopf" in text
    assert text.count("survey of algorithmic recourse") == 1


def test_strategy_downloads_contain_only_its_references(client, sample):
    strategy = sample["strategies"]["data-leverage"]
    strategy.references.add(sample["references"][2])

    def download(extension):
        url = reverse("taxonomy:strategy_references_export", args=[strategy.slug, extension])
        response = client.get(url)
        assert response.status_code == 200
        assert f'filename="data-leverage-references.{extension}"' in response["Content-Disposition"]
        return response.content.decode("utf-8")

    bib_keys = [entry.key for entry in parse(download("bib")).entries]
    ris_titles = [dict(record)["TI"] for record in ris_records(download("ris"))]
    json_ids = [item["id"] for item in json.loads(download("json"))]

    assert bib_keys == json_ids == ["aivodji2020model", "vincent2021data"]
    assert ris_titles == [sample["references"][2].title, sample["references"][27].title]


def test_strategy_without_references_downloads_an_empty_file(client, sample):
    strategy = StrategyFactory(category=sample["categories"]["recourse"], slug="lonely")

    response = client.get(reverse("taxonomy:strategy_references_export", args=["lonely", "json"]))

    assert strategy.references.count() == 0
    assert json.loads(response.content) == []


def test_reference_kinds_all_have_an_export_type():
    for kind in ReferenceKind:
        reference = Reference(pk=1, kind=kind, key="k", number=1, year=2020, title="T")
        assert citations.bibtex_entry(reference).startswith("@")
        assert citations.ris_record(reference).startswith("TY  - ")
        assert citations.csl_item(reference)["type"] != "document"
