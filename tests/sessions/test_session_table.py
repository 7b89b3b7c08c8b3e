"""The sessions' table on PostgreSQL: every write bumps its session's row, so the row's dead
versions must be pruned while a burst goes on (migration 0015; bench/writes.py --no-vacuum
measures what it is worth)."""

import pytest
from django.db import connection

from sessions.models import LiveSession

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's storage setting"),
]


def storage_options() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reloptions FROM pg_class WHERE relname = %s",
            [LiveSession._meta.db_table],
        )
        (options,) = cursor.fetchone()
    return options or []


def test_the_sessions_pages_are_pruned_of_dead_versions_early():
    # Pages nine tenths free count as full: PostgreSQL prunes them whenever it reads them.
    assert "fillfactor=10" in storage_options()
