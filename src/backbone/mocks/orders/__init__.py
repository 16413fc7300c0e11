"""The Order Service mock: a small order store, filtered by user and status.

Run with ``uvicorn --factory backbone.mocks.orders:create_app``.
"""

from backbone.mocks.orders.main import create_app

__all__ = ["create_app"]
