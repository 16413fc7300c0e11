"""redact_urls: credentials in URLs (userinfo, secret query values) never reach a message."""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
import pytest

from backbone.resilience import (
    GiveUpEvent,
    ResilientClient,
    RetryEvent,
    RetryExhaustedError,
    redact_urls,
)

from .conftest import Script

MakeClient = Callable[..., ResilientClient]
SECRET_URL = "http://user:pa55@svc:8080/items?token=s3cret&page=2"
REDACTED_URL = "http://***@svc:8080/items?token=***&page=2"
SECRETS = ("user:", "pa55", "s3cret")


def test_userinfo_and_secret_query_values_are_masked_the_rest_intact() -> None:
    """user:password@ and token=... are masked; host, port, path and page=2 stay."""
    assert redact_urls(SECRET_URL) == REDACTED_URL


@pytest.mark.parametrize(
    "name",
    [
        "token", "key", "api_key", "apikey", "access_token", "secret", "signature", "sig",
        "password", "passwd", "auth", "code", "credential", "credentials",
        "TOKEN", "Api_Key", "refresh_token", "client_secret", "private_key", "api%5Fkey",
        "X-Amz-Signature", "X-Amz-Credential", "x-api-key",
    ],
)  # fmt: skip
def test_sensitive_query_parameters_are_masked(name: str) -> None:
    """Each sensitive name (any case, percent-encoded too, or a *_token/_key/_secret)."""
    url = f"https://h/p?a=1&{name}=v%2Fx-9&b=2"
    assert redact_urls(url) == f"https://h/p?a=1&{name}=***&b=2"


@pytest.mark.parametrize("name", ["page", "q", "monkey", "keys", "tokens", "country_code"])
def test_other_query_parameters_are_kept(name: str) -> None:
    """Names that only look alike are left as they are."""
    url = f"https://h/p?{name}=1&x"
    assert redact_urls(url) == url


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("http://u:p@ss@h/x", "http://***@h/x"),
        ("postgresql://app:pw@db:5432/app", "postgresql://***@db:5432/app"),
        ("http://@h/", "http://@h/"),
        ("http://h/a@b?c=d", "http://h/a@b?c=d"),
        ("/callback?code=abc&state=1", "/callback?code=***&state=1"),
        ("https://h/cb#access_token=abc&type=bearer", "https://h/cb#access_token=***&type=bearer"),
        ("https://h/?token=", "https://h/?token=***"),
        (
            "ConnectError(\"url=URL('http://u:p@h/x?sig=1')\") at http://h:1/?key=2 then",
            "ConnectError(\"url=URL('http://***@h/x?sig=***')\") at http://h:1/?key=*** then",
        ),
        ("no url here: token=abc key=1", "no url here: token=abc key=1"),
    ],
)
def test_urls_inside_text(text: str, expected: str) -> None:
    """URLs in a message, a repr or a relative target are masked where they stand."""
    assert redact_urls(text) == expected
    assert redact_urls(expected) == expected


async def test_the_final_exception_and_its_attempts_carry_no_credentials(
    make_client: MakeClient,
) -> None:
    """str(RetryExhaustedError), each attempt's url and error, and the cause are masked."""
    refused = httpx.ConnectError(f"cannot connect to {SECRET_URL}")
    async with make_client(Script(refused, 503), max_retries=1) as client:
        with pytest.raises(RetryExhaustedError) as caught:
            await client.get(SECRET_URL)
    error = caught.value
    texts = [str(error), str(error.__cause__), *(repr(a) for a in error.attempts)]
    assert not [text for text in texts if any(secret in text for secret in SECRETS)]
    assert str(error).startswith(f"GET {REDACTED_URL} failed after 2 attempts")
    assert [attempt.url for attempt in error.attempts] == [REDACTED_URL] * 2
    assert error.attempts[0].error == f"ConnectError('cannot connect to {REDACTED_URL}')"
    assert str(error.__cause__) == f"503 Service Unavailable for GET {REDACTED_URL}"


async def test_hooks_and_log_events_carry_no_credentials(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    """retry_scheduled / retry_exhausted log fields and hook events show the masked URL."""
    retries: list[RetryEvent] = []
    giveups: list[GiveUpEvent] = []
    caplog.set_level(logging.WARNING, logger="backbone.resilience")
    client = make_client(
        Script(httpx.ReadError(SECRET_URL), 503),
        max_retries=1,
        on_retry=retries.append,
        on_giveup=giveups.append,
    )
    async with client:
        with pytest.raises(RetryExhaustedError):
            await client.get(SECRET_URL)
    assert [event.url for event in [*retries, *giveups]] == [REDACTED_URL] * 2
    assert retries[0].reason == f"ReadError('{REDACTED_URL}')"
    fields = [vars(record) for record in caplog.records]
    assert [(f["msg"], f["url"]) for f in fields] == [
        ("retry_scheduled", REDACTED_URL),
        ("retry_exhausted", REDACTED_URL),
    ]
    assert not any(secret in str(f) for f in fields for secret in SECRETS)
