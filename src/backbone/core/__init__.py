"""backbone.core: the plumbing every service shares.

Settings (:class:`CoreSettings`), logging (:func:`configure_logging`), RFC 9457 errors
(:class:`ProblemError`), request ids and body limits (pure ASGI middleware),
``/healthz`` ``/readyz`` ``/metrics``, the async database layer and its migrations,
all wired by :func:`create_service_app`. It imports no service.
"""

from backbone.core.app import create_service_app
from backbone.core.config import CoreSettings, get_settings, is_placeholder_secret
from backbone.core.db import (
    SessionDep,
    check_database,
    create_engine,
    get_session,
    migrate,
    normalize_database_url,
    session_factory,
    sync_database_url,
)
from backbone.core.health import ReadinessCheck, add_readiness_check
from backbone.core.logging import configure_logging, request_id_var
from backbone.core.problems import (
    PROBLEM_MEDIA_TYPE,
    Problem,
    ProblemError,
    problem_response,
    problem_responses,
)
from backbone.core.redis import check_redis, create_redis

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "CoreSettings",
    "Problem",
    "ProblemError",
    "ReadinessCheck",
    "SessionDep",
    "add_readiness_check",
    "check_database",
    "check_redis",
    "configure_logging",
    "create_engine",
    "create_redis",
    "create_service_app",
    "get_session",
    "get_settings",
    "is_placeholder_secret",
    "migrate",
    "normalize_database_url",
    "problem_response",
    "problem_responses",
    "request_id_var",
    "session_factory",
    "sync_database_url",
]
