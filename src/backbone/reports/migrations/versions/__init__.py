"""Alembic revisions of the report processor (Alembic itself skips this file)."""
