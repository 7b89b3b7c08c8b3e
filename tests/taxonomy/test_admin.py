import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from taxonomy.datafile import BUNDLED_TAXONOMY_FILE
from taxonomy.loading import load_taxonomy
from taxonomy.models import Case, Category, Reference, Strategy, Taxonomy

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    load_taxonomy(BUNDLED_TAXONOMY_FILE)
    user = get_user_model().objects.create_superuser("organiser", password="not-a-real-secret")
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("model", "query", "expected"),
    [
        (Taxonomy, "collective", "Taxonomy of Collective Action in Algorithmic Systems"),
        (Category, "opt-out", "Algorithmic Opt-Out Strategies"),
        (Strategy, "poisoning", "Data poisoning"),
        (Case, "DoorDash", "Decline Now"),
        (Reference, "Dünner", "Algorithmic collective action in machine learning"),
    ],
)
def test_admin_changelist_search_finds_the_row(admin_client, model, query, expected):
    url = reverse(f"admin:taxonomy_{model._meta.model_name}_changelist")

    response = admin_client.get(url, {"q": query})

    assert response.status_code == 200
    assert expected in response.text


@pytest.mark.parametrize(
    ("model", "filters"),
    [
        (Strategy, {"approach__exact": "model"}),
        (Case, {"year": "2023"}),
        (Reference, {"kind__exact": "legal"}),
    ],
)
def test_admin_changelist_filters_work(admin_client, model, filters):
    url = reverse(f"admin:taxonomy_{model._meta.model_name}_changelist")

    response = admin_client.get(url, filters)

    assert response.status_code == 200
    shown = response.context["cl"].result_list
    assert len(shown) == model.objects.filter(**filters).count() > 0


@pytest.mark.parametrize(
    ("model", "lookup"),
    [
        (Taxonomy, {"slug": "facct-2026-common-ground"}),
        (Category, {"slug": "algorithmic-opt-out"}),
        (Strategy, {"slug": "data-strikes"}),
        (Case, {"slug": "reddit-blackout-2023"}),
        (Reference, {"number": 8}),
    ],
)
def test_admin_change_page_opens(admin_client, model, lookup):
    obj = model.objects.get(**lookup)
    url = reverse(f"admin:taxonomy_{model._meta.model_name}_change", args=[obj.pk])

    response = admin_client.get(url)

    assert response.status_code == 200
    assert str(obj) in response.text


def test_admin_strategy_change_page_needs_few_queries(admin_client, django_assert_max_num_queries):
    url = reverse("admin:taxonomy_strategy_changelist")

    # One query per row would be 21 or more.
    with django_assert_max_num_queries(12):
        response = admin_client.get(url)

    assert response.status_code == 200


def test_admin_refuses_a_reference_from_another_taxonomy(admin_client):
    other = Taxonomy.objects.create(slug="other", title="Other")
    foreign = Reference.objects.create(
        taxonomy=other, number=1, key="x2024", kind="article", authors=["X"], year=2024, title="X"
    )
    strategy = Strategy.objects.get(slug="data-strikes")
    url = reverse("admin:taxonomy_strategy_change", args=[strategy.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data["references"] = [foreign.pk]
    data["related"] = [s.pk for s in form.initial["related"]]

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["references"] == [
        "Choose only items from the taxonomy Taxonomy of Collective Action in Algorithmic "
        "Systems (1.0)."
    ]
    assert list(strategy.references.values_list("number", flat=True)) == [27]
