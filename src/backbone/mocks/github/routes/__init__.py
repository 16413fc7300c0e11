"""The fake GitHub's routes: GitHub's REST endpoints (authenticated, rate limited,
recorded) and the fake's own ``/_fake/`` controls."""

from fastapi import APIRouter

from backbone.mocks.github.routes import apps, contents, control, issues, pulls, users

router = APIRouter()
for module in (pulls, issues, contents, apps, users, control):
    router.include_router(module.router)

__all__ = ["router"]
