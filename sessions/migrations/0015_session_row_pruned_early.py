"""PostgreSQL: the sessions' table keeps nine tenths of each page free.

Every write in a session bumps its row's sequence number (sessions.live.events), hundreds of
times a second in a plenary. Each bump leaves a dead version of the row. PostgreSQL removes
dead versions from a page when it reads a page that is nearly full (opportunistic pruning), or
when autovacuum comes, which looks at a database once a minute. Under a burst that is not often
enough: the row's versions spread over a hundred pages within half a minute, and every request
that reads the session walks them. Bare needs per second fell from 1,026 to 573 to 439 over
three 8-second bursts in a row (bench/writes.py --no-vacuum, docs/performance.md).

A page counts as nearly full once less than its fillfactor's free space is left. At 10 per cent,
a page holding the session's row is pruned whenever it is read with some dead versions on it, so
the versions are removed while the burst goes on. The table holds a row per session, so the
pages this costs are few. SQLite has no such setting and does not keep dead versions."""

from django.db import migrations


def _sessions_table(apps, schema_editor) -> str:
    """The model's own table name, quoted."""
    table = apps.get_model("live_sessions", "LiveSession")._meta.db_table
    return schema_editor.quote_name(table)


def prune_early(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        table = _sessions_table(apps, schema_editor)
        schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = 10)")


def prune_as_usual(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        table = _sessions_table(apps, schema_editor)
        schema_editor.execute(f"ALTER TABLE {table} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("live_sessions", "0014_needs_compared_one_by_one"),
    ]

    operations = [migrations.RunPython(prune_early, prune_as_usual)]
