"""The routes of contracts/openapi/users.yaml: the user resource and the proxy fixtures.

The fixtures come first, and the user routes never take their literal segments as ids.
"""

from fastapi import APIRouter

from backbone.mocks.users.routes import fixtures, users

router = APIRouter()
router.include_router(fixtures.router)
router.include_router(users.router)

__all__ = ["router"]
