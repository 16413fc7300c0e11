"""One static bearer token in front of an API's read routes (the review and CRM APIs).

:func:`require_bearer` compares the ``Authorization: Bearer`` credential with the
expected token in constant time and answers 401 problem+json with ``WWW-Authenticate``
otherwise. A token that identifies no user is all these APIs need; the assistant, which
has users, uses JWTs instead.
"""

from __future__ import annotations

import hmac

from pydantic import SecretStr
from starlette.requests import Request

from backbone.core.problems import ProblemError

__all__ = ["require_bearer"]


def require_bearer(request: Request, expected: SecretStr, *, api: str, realm: str) -> None:
    """Return if ``request`` carries ``expected`` as its bearer token; else raise a 401
    naming ``api`` ("the review API") with ``WWW-Authenticate: Bearer realm="<realm>"``."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    wanted = expected.get_secret_value().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), wanted):
        raise ProblemError(
            401,
            detail=f"Send {api}'s token as 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": f'Bearer realm="{realm}"'},
        )
