import pytest


@pytest.fixture(autouse=True)
def _english_by_default(settings):
    """Tests read English strings unless they switch language themselves."""
    settings.LANGUAGE_CODE = "en"
