"""The flaky service: failures configured per key.

Run with ``uvicorn --factory backbone.mocks.flaky:create_app``.
"""

from backbone.mocks.flaky.main import create_app

__all__ = ["create_app"]
