"""Alembic migrations of the platform's shared tables (run by :func:`backbone.core.db.migrate`)."""
