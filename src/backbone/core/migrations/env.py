"""Alembic's entry point (see :mod:`backbone.core.migrations.environment`)."""

from backbone.core.migrations.environment import run_migrations

run_migrations()
