"""require_bearer: the one static-token check of the review and CRM APIs."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from starlette.requests import Request

from backbone.core import ProblemError
from backbone.core.bearer import require_bearer

TOKEN = SecretStr("s3cret-token")


def _request(authorization: str | None) -> Request:
    headers = [] if authorization is None else [(b"authorization", authorization.encode())]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers})


@pytest.mark.parametrize("authorization", ["Bearer s3cret-token", "bearer  s3cret-token "])
def test_the_token_passes(authorization: str) -> None:
    """The scheme is case-insensitive and blanks around the token do not count."""
    require_bearer(_request(authorization), TOKEN, api="the test API", realm="test")


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer wrong", "Basic s3cret-token", "s3cret-token", "Bearer s3cret"],
)
def test_anything_else_is_a_401_naming_the_api_and_realm(authorization: str | None) -> None:
    """Missing, another scheme, a wrong or partial token: 401 with WWW-Authenticate."""
    with pytest.raises(ProblemError) as caught:
        require_bearer(_request(authorization), TOKEN, api="the test API", realm="test")
    assert caught.value.status == 401
    assert caught.value.headers == {"WWW-Authenticate": 'Bearer realm="test"'}
    assert "the test API's token" in str(caught.value.detail)
    assert "s3cret-token" not in str(caught.value.detail)
