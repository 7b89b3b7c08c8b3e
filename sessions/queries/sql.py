"""Statements made from the models' own table and column names, never from input: for the
reads and writes that run on psycopg's async connection instead of the ORM
(sessions.queries.need_card, sessions.services.quick_sql)."""

from django.db import connections
from django.db.models import Model


def quote(name: str) -> str:
    return connections["default"].ops.quote_name(name)


def columns(model: type[Model], alias: str) -> tuple[list[str], str]:
    """The model's fields (attnames, for from_db) and its columns as a select list."""
    fields = model._meta.concrete_fields
    return [f.attname for f in fields], ", ".join(f"{alias}.{quote(f.column)}" for f in fields)
