"""The User Service mock: a small user store, plus the endpoints a proxy has to carry.

Run with ``uvicorn --factory backbone.mocks.users:create_app``.
"""

from backbone.mocks.users.main import create_app

__all__ = ["create_app"]
