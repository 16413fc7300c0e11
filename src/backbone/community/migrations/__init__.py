"""The community bot's Alembic revisions: its CRM tables, a branch on core's baseline.

``backbone migrate`` and ``backbone up`` pass :data:`VERSIONS` to
:func:`backbone.core.db.migrate` with every other service's.
"""

from pathlib import Path

__all__ = ["VERSIONS"]

VERSIONS = Path(__file__).resolve().parent / "versions"
