import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from tests.factories import (
    CategoryFactory,
    ReferenceFactory,
    StrategyFactory,
    TaxonomyFactory,
    build_taxonomy,
    workshop_sample,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def sample():
    return workshop_sample()


def search(client, q, **kwargs):
    return client.get(reverse("taxonomy:search"), {"q": q}, **kwargs)


def result_names(response, kind):
    """The linked names in one group of search results ("strategies", "cases", ...)."""
    section = re.search(
        rf'<section aria-labelledby="found-{kind}-title">(.*?)</section>', response.text, re.S
    )
    if section is None:
        return []
    return re.findall(r'<a class="fw-semibold" href="[^"]+">([^<]+)</a>', section.group(1))


# Pages ----------------------------------------------------------------------------------------


def test_overview_shows_categories_with_strategies_and_approach_badges(client, sample):
    response = client.get(reverse("taxonomy:overview"))

    assert response.status_code == 200
    body = response.text
    assert "<title>Taxonomy · Common Ground</title>" in body
    assert "<h1>Taxonomy of Collective Action in Algorithmic Systems</h1>" in body
    for category in sample["categories"].values():
        assert f'href="{category.get_absolute_url()}">{category.name}</a>' in body
        assert category.goal in body
    for strategy in sample["strategies"].values():
        assert f'href="{strategy.get_absolute_url()}">{strategy.name}</a>' in body
    for label in ["Platform-based", "Model-based", "Legal and organising"]:
        assert f">{label}</span>" in body
    assert f'href="{reverse("taxonomy:references")}"' in body
    assert f'href="{reverse("taxonomy:search")}"' in body
    assert 'aria-label="Breadcrumb"' in body


def test_overview_counts_strategies_and_cases_per_approach(client, sample):
    response = client.get(reverse("taxonomy:overview"))

    rows = re.findall(
        r'approach-(platform|model|legal_organising)">[^<]+</span></th>\s*<td>\s*'
        r'<span class="split-count">(\d+)</span>.*?<span class="split-count">(\d+)</span>',
        response.text,
        re.S,
    )
    # Platform: folk theorisation, everyday auditing, data leverage, data strikes; model: ACA,
    # recourse, extraction, poisoning; legal: contestation. Cases: cropping (platform) and
    # Decline Now (model).
    assert rows == [("platform", "4", "1"), ("model", "4", "1"), ("legal_organising", "1", "0")]
    assert "9 strategies, 2 cases." in response.text


def test_overview_without_any_taxonomy_says_so(client):
    response = client.get(reverse("taxonomy:overview"))

    assert response.status_code == 200
    assert "The taxonomy has not been loaded yet." in response.text


def test_category_page_nests_sub_strategies_under_their_parent(client, sample):
    category = sample["categories"]["opt-out"]

    response = client.get(category.get_absolute_url())

    assert response.status_code == 200
    body = response.text
    assert f"<title>{category.name} · Taxonomy · Common Ground</title>" in body
    assert "<h1>Algorithmic Opt-Out</h1>" in body
    assert "Preventing data misuse" in body
    parent = re.search(
        r'href="/taxonomy/s/data-leverage/">Data leverage</a>(.*?)</li>\s*</ul>', body, re.S
    )
    assert parent is not None
    nested = parent.group(1)
    assert 'class="strategy-tree strategy-tree-nested"' in nested
    assert "Data strikes" in nested and "Data poisoning" in nested


def test_category_page_lists_cases_of_its_strategies(client, sample):
    response = client.get(sample["categories"]["auditing"].get_absolute_url())

    assert 'href="/taxonomy/cases/twitter-image-cropping/">Twitter image' in response.text
    assert "Decline Now" not in response.text
    assert 'Illustrates:\n              <a href="/taxonomy/s/everyday-auditing/">' in response.text


def test_strategy_page_shows_description_approach_category_cases_and_references(client, sample):
    strategy = sample["strategies"]["everyday-auditing"]

    response = client.get(strategy.get_absolute_url())

    assert response.status_code == 200
    body = response.text
    assert "<title>Everyday algorithmic auditing · Taxonomy · Common Ground</title>" in body
    assert escape(strategy.description) in body
    assert '<span class="badge approach-badge approach-platform">Platform-based</span>' in body
    assert 'href="/taxonomy/c/auditing/">Auditing, Challenging, and Contesting</a>' in body
    assert 'href="/taxonomy/cases/twitter-image-cropping/">Twitter image cropping</a>' in body
    assert 'href="/taxonomy/references/#ref-4"' in body
    citation = "R. Chowdhury. 2021. <cite>Sharing learnings about our image cropping algorithm."
    assert citation in body
    assert f'<a href="{sample["references"][4].url}">' in body
    for extension in ["bib", "ris", "json"]:
        assert f'href="/taxonomy/s/everyday-auditing/references.{extension}" download' in body


def test_strategy_page_links_doi_of_references(client, sample):
    response = client.get(sample["strategies"]["folk-theorisation"].get_absolute_url())

    doi_link = '<a href="https://doi.org/10.1145/3476046">https://doi.org/10.1145/3476046</a>'
    assert doi_link in response.text
    assert "5, CSCW2, 305:1–305:44." in response.text


def test_strategy_page_shows_parent_and_children(client, sample):
    parent = client.get(sample["strategies"]["data-leverage"].get_absolute_url()).text
    child = client.get(sample["strategies"]["data-strikes"].get_absolute_url()).text

    assert "Sub-strategies" in parent
    assert 'href="/taxonomy/s/data-strikes/">Data strikes</a>' in parent
    assert '<dt>Part of</dt><dd><a href="/taxonomy/s/data-leverage/">Data leverage</a>' in child
    crumb = '<li class="breadcrumb-item"><a href="/taxonomy/s/data-leverage/">Data leverage</a>'
    assert crumb in child


def test_strategy_page_shows_explicit_related_strategies(client, sample):
    response = client.get(sample["strategies"]["algorithmic-recourse"].get_absolute_url())

    assert "Related strategies</h2>" in response.text
    related = response.text.split("Related strategies</h2>")[1]
    assert "Model extraction" in related


def test_strategy_without_related_suggests_others_in_its_category(client, sample):
    response = client.get(sample["strategies"]["folk-theorisation"].get_absolute_url())

    assert "Other strategies in Auditing, Challenging, and Contesting</h2>" in response.text
    others = response.text.split("Other strategies in")[1]
    assert "Everyday algorithmic auditing" in others and "Legal contestation" in others
    assert ">Folk theorisation</a>" not in others


def test_case_page_shows_details_strategies_and_references(client, sample):
    response = client.get(reverse("taxonomy:case", args=["twitter-image-cropping"]))

    assert response.status_code == 200
    body = response.text
    assert "<title>Twitter image cropping · Cases · Taxonomy · Common Ground</title>" in body
    assert "<dt>Community</dt><dd>Black Twitter users</dd>" in body
    assert "<dt>Year</dt><dd>2020</dd>" in body
    assert 'href="/taxonomy/s/everyday-auditing/">Everyday algorithmic auditing</a>' in body
    assert 'href="/taxonomy/references/#ref-4"' in body


def test_case_list_shows_every_case(client, sample):
    response = client.get(reverse("taxonomy:cases"))

    assert response.status_code == 200
    assert 'href="/taxonomy/cases/decline-now/">Decline Now</a>' in response.text
    assert 'href="/taxonomy/cases/twitter-image-cropping/">Twitter image' in response.text
    assert "Community: DoorDash drivers" in response.text


def test_references_page_is_a_numbered_bibliography_with_citing_pages(client, sample):
    response = client.get(reverse("taxonomy:references"))

    assert response.status_code == 200
    body = response.text
    for number in sample["references"]:
        assert f'<li id="ref-{number}" value="{number}">' in body
    assert (
        "A.-H. Karimi, G. Barthe, B. Schölkopf, and I. Valera. 2023. <cite>A survey of algorithmic "
        "recourse: Contrastive explanations and consequential recommendations.</cite> "
        '<span class="fst-italic">ACM Computing Surveys</span> 55, 5, 1–29. '
        '<a href="https://doi.org/10.1145/3527848">https://doi.org/10.1145/3527848</a>'
    ) in body
    entry = body.split('id="ref-4"')[1].split("</li>")[0]
    assert 'href="/taxonomy/s/everyday-auditing/">Everyday algorithmic auditing</a>' in entry
    assert 'href="/taxonomy/cases/twitter-image-cropping/">Twitter image cropping</a>' in entry
    assert 'href="/taxonomy/references.bib" download' in body


def test_titles_are_unique_across_pages(client, sample):
    urls = [
        reverse("taxonomy:overview"),
        reverse("taxonomy:cases"),
        reverse("taxonomy:references"),
        reverse("taxonomy:search"),
        sample["categories"]["auditing"].get_absolute_url(),
        sample["strategies"]["folk-theorisation"].get_absolute_url(),
        sample["cases"]["decline-now"].get_absolute_url(),
    ]
    titles = [re.search(r"<title>(.*?)</title>", client.get(url).text).group(1) for url in urls]

    assert len(set(titles)) == len(urls)


@pytest.mark.parametrize(
    "url",
    [
        "/taxonomy/c/no-such-category/",
        "/taxonomy/s/no-such-strategy/",
        "/taxonomy/cases/no-such-case/",
        "/taxonomy/s/no-such-strategy/references.bib",
        "/taxonomy/references.docx",
    ],
)
def test_unknown_slugs_are_404(client, sample, url):
    assert client.get(url).status_code == 404


def test_slugs_of_another_taxonomy_are_404(client, sample):
    other_taxonomy = TaxonomyFactory(slug="other")
    other = StrategyFactory(category=CategoryFactory(taxonomy=other_taxonomy), slug="elsewhere")

    assert other.taxonomy != sample["taxonomy"]
    assert client.get(other.get_absolute_url()).status_code == 404


def test_pages_only_answer_get_and_head(client, sample):
    assert client.post(reverse("taxonomy:overview")).status_code == 405
    assert client.head(reverse("taxonomy:references")).status_code == 200


def test_text_from_the_database_is_escaped(client, sample):
    StrategyFactory(
        category=sample["categories"]["auditing"],
        slug="sneaky",
        name="<script>alert(1)</script>",
        summary='"><img src=x onerror=alert(1)>',
    )

    body = client.get(reverse("taxonomy:strategy", args=["sneaky"])).text

    assert "<script>alert(1)" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<img src=x" not in body


def test_reference_link_is_only_rendered_for_web_urls(client, sample):
    reference = ReferenceFactory(taxonomy=sample["taxonomy"], doi="", url="")
    # The URL field validates in forms; data written another way must still not make a link.
    type(reference).objects.filter(pk=reference.pk).update(url="javascript:alert(1)")

    assert "javascript:" not in client.get(reverse("taxonomy:references")).text


# Search ---------------------------------------------------------------------------------------


def test_search_finds_a_strategy_by_a_word_of_its_description(client, sample):
    StrategyFactory(
        category=sample["categories"]["opt-out"],
        name="Style cloaking",
        summary="Perturbing images before posting them.",
        description="Tools such as Glaze add a kaleidoscope of tiny changes to artwork.",
    )

    response = search(client, "kaleidoscope")

    assert response.status_code == 200
    assert result_names(response, "strategies") == ["Style cloaking"]
    assert "1 result for “kaleidoscope”" in response.text


def test_search_finds_a_case_by_its_community(client, sample):
    response = search(client, "doordash DRIVERS")

    assert result_names(response, "cases") == ["Decline Now"]


def test_search_finds_a_reference_by_an_author(client, sample):
    response = search(client, "Hardt")

    assert '<a class="ref-number" href="/taxonomy/references/#ref-8">' in response.text
    assert "Algorithmic collective action in machine learning" in response.text


def test_search_finds_a_reference_by_an_accented_author(client, sample):
    response = search(client, "Schölkopf")

    assert 'href="/taxonomy/references/#ref-12"' in response.text
    assert "1 result for “Schölkopf”" in response.text


def test_search_finds_an_accented_author_typed_without_accents(client, sample):
    response = search(client, "SCHOLKOPF")

    assert 'href="/taxonomy/references/#ref-12"' in response.text
    assert "1 result for “SCHOLKOPF”" in response.text


@pytest.mark.parametrize("typed", ["greves", "GRÈVES", "grèves"])
def test_search_finds_french_words_with_or_without_their_accents(client, db, typed):
    """A phone's keyboard, or a hurry, leaves accents out; a French speaker types them into
    English words: either way the strategy is found, its French name ranked as a name."""
    from tests.factories import StrategyFactory

    StrategyFactory(name="Data strikes", name_fr="Grèves de données")
    StrategyFactory(name="Collective refusal", summary="Workers organise grèves and walkouts.")

    response = search(client, typed)

    assert result_names(response, "strategies")[:2] in (
        ["Data strikes", "Collective refusal"],
        ["Grèves de données", "Collective refusal"],
    )


def test_search_finds_a_community_word_without_its_accent(client, db):
    from tests.factories import StrategyFactory

    StrategyFactory(
        name="Folk theorisation",
        synonyms=[{"en": ["shadowban"], "fr": ["publications masquées"]}],
    )

    assert result_names(search(client, "masquees"), "strategies") == ["Folk theorisation"]
    assert result_names(search(client, "fr"), "strategies") == [], "not the entries' keys"


def test_search_ranks_a_community_word_with_the_names(client, db):
    """The community's word for a strategy names it as well as its title does: searching
    "shadowban" lists folk theorisation before a strategy that only mentions the word."""
    from tests.factories import CategoryFactory, StrategyFactory

    category = CategoryFactory()
    StrategyFactory(
        category=category, position=1, name="Platform audits", summary="Audits of shadowban."
    )
    StrategyFactory(
        category=category,
        position=2,
        name="Folk theorisation",
        synonyms=[{"en": ["shadowban"], "fr": ["shadowban"]}],
    )

    names = result_names(search(client, "shadowban"), "strategies")

    assert names == ["Folk theorisation", "Platform audits"]


def test_search_finds_a_reference_by_its_key(client, sample):
    response = search(client, "eeoc2024mobley")

    assert 'href="/taxonomy/references/#ref-26"' in response.text


def test_search_terms_must_all_match(client, sample):
    response = search(client, "data poisoning")

    assert result_names(response, "strategies") == ["Data poisoning"]
    assert result_names(response, "cases") == []


def test_search_ranks_name_matches_first(client, sample):
    names = result_names(search(client, "data"), "strategies")

    # Algorithmic collective action only mentions data in its summary.
    assert names[:3] == ["Data leverage", "Data strikes", "Data poisoning"]
    assert "Algorithmic collective action" in names[3:]


def test_search_treats_like_wildcards_literally(client, sample):
    assert search(client, "%").text.count('class="fw-semibold"') == 0
    assert "0 results for “%”" in search(client, "%").text


def test_search_with_nothing_found_says_so(client, sample):
    response = search(client, "zzzz")

    assert "0 results for “zzzz”" in response.text
    assert "Nothing matches every word." in response.text


def test_search_page_without_query_is_a_form_that_works_without_javascript(client, sample):
    response = client.get(reverse("taxonomy:search"))

    assert response.status_code == 200
    body = response.text
    assert '<form action="/taxonomy/search/" method="get" role="search"' in body
    assert '<button type="submit" class="btn btn-primary">Search</button>' in body
    assert 'hx-get="/taxonomy/search/"' in body
    assert 'hx-trigger="input changed delay:300ms, search"' in body
    assert 'hx-target="#search-results"' in body
    assert 'role="status" aria-live="polite"' in body
    assert '<div id="search-results">' in body


def test_htmx_search_returns_only_the_results_partial(client, sample):
    response = search(client, "folk", headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "<html" not in response.text
    assert "<form" not in response.text
    status = '<span id="search-status" hx-swap-oob="innerHTML">2 results for “folk”</span>'
    assert status in response.text
    assert result_names(response, "strategies") == ["Folk theorisation"]
    assert 'href="/taxonomy/references/#ref-13"' in response.text  # "Algorithmic folk theories"
    assert "HX-Request" in response.headers["Vary"]


def test_htmx_history_restore_gets_the_whole_page(client, sample):
    response = search(
        client, "folk", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )

    assert "<html" in response.text


def test_too_long_search_gets_a_clear_message(client, sample):
    response = search(client, "x" * 201)

    assert response.status_code == 400
    assert "Please search for at most 200 characters (the search had 201)." in response.text
    assert 'aria-invalid="true"' in response.text


def test_too_long_htmx_search_shows_the_message_in_the_results(client, sample):
    response = search(client, "x" * 201, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "Please search for at most 200 characters" in response.text


def test_search_query_is_stripped_and_escaped(client, sample):
    response = search(client, "  <b>folk</b>  ")

    assert "<b>folk</b>" not in response.text
    assert "“&lt;b&gt;folk&lt;/b&gt;”" in response.text


def test_search_rejects_null_characters_without_error(client, sample):
    response = search(client, "folk\x00")

    assert response.status_code == 400
    assert "Null characters are not allowed." in response.text


# Query counts: fixed however large the taxonomy is -------------------------------------------


@pytest.mark.parametrize("item_count", [1, 5])
def test_overview_query_count_is_constant(client, django_assert_num_queries, item_count):
    build_taxonomy(item_count)

    # taxonomy, categories, strategies, case counts per approach
    with django_assert_num_queries(4):
        response = client.get(reverse("taxonomy:overview"))
    assert response.text.count('class="badge approach-badge') == item_count * (item_count + 1) + 3


@pytest.mark.parametrize("item_count", [1, 5])
def test_category_query_count_is_constant(client, django_assert_num_queries, item_count):
    taxonomy = build_taxonomy(item_count)

    # taxonomy, category, its strategies, cases, each case's strategies in this category
    with django_assert_num_queries(5):
        response = client.get(taxonomy["categories"][0].get_absolute_url())
    assert response.text.count("/taxonomy/cases/") == item_count


@pytest.mark.parametrize("item_count", [1, 5])
def test_strategy_query_count_is_constant(client, django_assert_num_queries, item_count):
    taxonomy = build_taxonomy(item_count)

    # taxonomy, strategy with category and parent, children, cases, references, related,
    # others in the category (no explicit related ones), its published evidence (none)
    with django_assert_num_queries(8):
        response = client.get(taxonomy["strategies"][0].get_absolute_url())
    assert response.text.count('<a class="ref-number"') == item_count


@pytest.mark.parametrize("item_count", [1, 5])
def test_strategy_with_related_query_count_is_constant(
    client, django_assert_num_queries, item_count
):
    taxonomy = build_taxonomy(item_count)
    strategy = taxonomy["strategies"][0]
    strategy.related.set(taxonomy["strategies"][-item_count:])

    # as above, without the category fallback; its published evidence (none) included
    with django_assert_num_queries(7):
        response = client.get(strategy.get_absolute_url())
    assert "Related strategies</h2>" in response.text


@pytest.mark.parametrize("item_count", [1, 5])
def test_case_query_count_is_constant(client, django_assert_num_queries, item_count):
    taxonomy = build_taxonomy(item_count)

    # taxonomy, case, strategies with categories, references
    with django_assert_num_queries(4):
        response = client.get(taxonomy["cases"][0].get_absolute_url())
    assert response.text.count('<a class="ref-number"') == item_count


@pytest.mark.parametrize("item_count", [1, 5])
def test_case_list_query_count_is_constant(client, django_assert_num_queries, item_count):
    build_taxonomy(item_count)

    # taxonomy, cases, their strategies
    with django_assert_num_queries(3):
        response = client.get(reverse("taxonomy:cases"))
    assert response.text.count('<h2 class="h5 mb-1">') == item_count


@pytest.mark.parametrize("item_count", [1, 5])
def test_references_query_count_is_constant(client, django_assert_num_queries, item_count):
    build_taxonomy(item_count)

    # taxonomy, references, citing strategies, citing cases
    with django_assert_num_queries(4):
        response = client.get(reverse("taxonomy:references"))
    assert response.text.count('<li id="ref-') == item_count


@pytest.mark.parametrize("item_count", [1, 5])
def test_search_query_count_is_constant(client, django_assert_num_queries, item_count):
    build_taxonomy(item_count)

    # taxonomy, strategies (with category), cases, references
    with django_assert_num_queries(4):
        response = search(client, "a")
    assert "results for “a”" in response.text


@pytest.mark.parametrize("extension", ["bib", "ris", "json"])
@pytest.mark.parametrize("item_count", [1, 5])
def test_export_query_counts_are_constant(client, django_assert_num_queries, item_count, extension):
    taxonomy = build_taxonomy(item_count)

    # taxonomy, references
    with django_assert_num_queries(2):
        assert client.get(f"/taxonomy/references.{extension}").status_code == 200
    # taxonomy, strategy, its references
    with django_assert_num_queries(3):
        url = f"{taxonomy['strategies'][0].get_absolute_url()}references.{extension}"
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("item_count", [1, 5])
def test_home_query_count_is_constant(client, django_assert_num_queries, item_count):
    build_taxonomy(item_count)

    # taxonomy, categories, strategies
    with django_assert_num_queries(3):
        assert client.get(reverse("home")).status_code == 200


def test_search_finds_a_strategy_by_its_french_name(client, db):
    from tests.factories import StrategyFactory

    StrategyFactory(name="Data strikes", name_fr="Grèves de données")

    response = client.get(reverse("taxonomy:search"), {"q": "grèves"})

    assert response.status_code == 200
    assert "Data strikes" in response.text or "Grèves de données" in response.text
