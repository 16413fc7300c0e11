"""GitHubClient's failure paths: rate limits waited out or refused, what is retried and
what is not, status → exception, no credential in errors or logs, one origin, and
``from_settings``."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from backbone.review.config import ReviewSettings
from backbone.review.github import (
    GitHubAuthError,
    GitHubClient,
    GitHubError,
    GitHubNotFound,
    GitHubRateLimited,
    GitHubUnavailable,
    RepoRef,
)
from tests.unit.review._github_stub import (
    API,
    NOW,
    TOKEN,
    Fault,
    GitHubStub,
    Sleeps,
    json_response,
    make_client,
)

REPO = RepoRef("octo-org", "hello-world")
PULL = "/repos/octo-org/hello-world/pulls/7"
COMMENTS = "/repos/octo-org/hello-world/issues/7/comments"
MARKER = "<!-- backbone-review -->"
LIMITED = {"message": "API rate limit exceeded for installation ID 1."}


# -- rate limits


async def test_a_primary_rate_limit_is_waited_out_until_its_reset(
    client: GitHubClient, stub: GitHubStub, sleeps: Sleeps
) -> None:
    """403 with ``x-ratelimit-remaining: 0``: wait until ``x-ratelimit-reset`` (plus a
    second for clock skew), then the same request again succeeds."""
    limited = json_response(
        403, LIMITED, **{"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 30)}
    )
    stub.faults.append(Fault("GET", PULL, limited))
    pull = await client.pull_request(REPO, 7)
    assert pull.number == 7
    assert sleeps == [31.0]
    assert stub.calls() == [f"GET {PULL}"] * 2


async def test_a_429_with_retry_after_is_waited_out(
    client: GitHubClient, stub: GitHubStub, sleeps: Sleeps
) -> None:
    """429 with ``Retry-After: 7``: wait 7 s, then retry."""
    stub.faults.append(Fault("GET", PULL, json_response(429, LIMITED, **{"Retry-After": "7"})))
    await client.pull_request(REPO, 7)
    assert sleeps == [7.0]


async def test_a_secondary_limit_without_a_time_waits_a_minute(
    client: GitHubClient, stub: GitHubStub, sleeps: Sleeps
) -> None:
    """A 403 whose message says "secondary rate limit" and names no time waits 60 s."""
    body = {"message": "You have exceeded a secondary rate limit. Please wait."}
    stub.faults.append(Fault("GET", PULL, json_response(403, body)))
    await client.pull_request(REPO, 7)
    assert sleeps == [60.0]


async def test_a_rate_limited_post_is_sent_again(
    client: GitHubClient, stub: GitHubStub, sleeps: Sleeps
) -> None:
    """GitHub processed nothing of a rate-limited POST: it is sent again after the wait,
    and one comment results."""
    stub.faults.append(Fault("POST", COMMENTS, json_response(429, LIMITED, **{"Retry-After": "2"})))
    await client.upsert_comment(REPO, 7, marker=MARKER, body=f"{MARKER}\nx")
    assert len(stub.comments) == 1
    assert stub.calls() == [f"GET {COMMENTS}", f"POST {COMMENTS}", f"POST {COMMENTS}"]
    assert sleeps == [2.0]


async def test_a_wait_over_the_cap_raises_rate_limited_with_the_wait(
    client: GitHubClient, stub: GitHubStub, sleeps: Sleeps
) -> None:
    """A reset an hour away, over the 60 s cap: GitHubRateLimited at once, with the wait."""
    limited = json_response(
        403, LIMITED, **{"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 3600)}
    )
    stub.faults.append(Fault("GET", PULL, limited))
    with pytest.raises(GitHubRateLimited) as caught:
        await client.pull_request(REPO, 7)
    assert caught.value.wait == 3601.0
    assert caught.value.status == 403
    assert sleeps == []


async def test_the_waits_of_one_request_add_up_to_the_cap(
    client: GitHubClient, stub: GitHubStub, sleeps: Sleeps
) -> None:
    """Two waits of 40 s would make 80 s, over the 60 s cap: the second one raises."""
    stub.faults.append(
        Fault("GET", PULL, json_response(429, LIMITED, **{"Retry-After": "40"}), times=2)
    )
    with pytest.raises(GitHubRateLimited):
        await client.pull_request(REPO, 7)
    assert sleeps == [40.0]


async def test_endless_zero_waits_are_bounded(
    client: GitHubClient, stub: GitHubStub, sleeps: Sleeps
) -> None:
    """``Retry-After: 0`` forever does not loop forever: a few waits, then RateLimited."""
    stub.faults.append(
        Fault("GET", PULL, json_response(429, LIMITED, **{"Retry-After": "0"}), times=99)
    )
    with pytest.raises(GitHubRateLimited):
        await client.pull_request(REPO, 7)
    assert sleeps == [0.0] * 5


async def test_a_403_that_is_not_a_rate_limit_is_an_auth_error(
    client: GitHubClient, stub: GitHubStub, sleeps: Sleeps
) -> None:
    """A 403 without rate-limit headers or wording: GitHubAuthError, not retried."""
    body = {"message": "Resource not accessible by integration"}
    stub.faults.append(
        Fault("GET", PULL, json_response(403, body, **{"x-ratelimit-remaining": "4999"}))
    )
    with pytest.raises(GitHubAuthError, match="not accessible") as caught:
        await client.pull_request(REPO, 7)
    assert caught.value.status == 403
    assert len(stub.requests) == 1
    assert sleeps == []


# -- retries


async def test_a_get_is_retried_after_a_502(
    client: GitHubClient, stub: GitHubStub, sleeps: Sleeps
) -> None:
    """A GET answered 502 twice is retried by ResilientClient, with backoff, and succeeds."""
    stub.faults.append(Fault("GET", PULL, httpx.Response(502), times=2))
    assert (await client.pull_request(REPO, 7)).number == 7
    assert len(stub.requests) == 3
    assert len(sleeps) == 2


async def test_a_get_is_retried_after_a_connection_error(
    client: GitHubClient, stub: GitHubStub
) -> None:
    """A connection reset on a GET is retried."""
    stub.faults.append(Fault("GET", PULL, httpx.ReadError("connection reset")))
    assert (await client.pull_request(REPO, 7)).number == 7
    assert len(stub.requests) == 2


async def test_a_get_failing_every_time_is_unavailable(
    client: GitHubClient, stub: GitHubStub
) -> None:
    """503 on every attempt: GitHubUnavailable (status 503) after 1 + max_retries tries."""
    stub.faults.append(Fault("GET", PULL, httpx.Response(503), times=99))
    with pytest.raises(GitHubUnavailable) as caught:
        await client.pull_request(REPO, 7)
    assert caught.value.status == 503
    assert len(stub.requests) == 3


async def test_a_post_answered_502_is_not_retried(stub: GitHubStub, sleeps: Sleeps) -> None:
    """With no re-checked retries (max_retries=0) a POST answered 502 is sent once."""
    stub.faults.append(Fault("POST", COMMENTS, httpx.Response(502), times=99))
    async with make_client(stub, sleeps, max_retries=0) as client:
        with pytest.raises(GitHubUnavailable):
            await client.upsert_comment(REPO, 7, marker=MARKER, body=f"{MARKER}\nx")
    assert stub.calls("POST") == [f"POST {COMMENTS}"]


# -- statuses and secrets


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, GitHubAuthError), (404, GitHubNotFound), (422, GitHubError), (410, GitHubError)],
)
async def test_statuses_become_the_matching_error(
    client: GitHubClient, stub: GitHubStub, status: int, error: type[GitHubError]
) -> None:
    """401 → GitHubAuthError, 404 → GitHubNotFound, other 4xx → GitHubError with status."""
    stub.faults.append(Fault("GET", PULL, json_response(status, {"message": "nope"})))
    with pytest.raises(GitHubError) as caught:
        await client.pull_request(REPO, 7)
    assert type(caught.value) is error
    assert caught.value.status == status
    assert "nope" in str(caught.value)


def _chain(error: BaseException | None) -> str:
    texts = []
    while error is not None:
        texts += [str(error), repr(error)]
        error = error.__cause__ or error.__context__
    return "\n".join(texts)


async def test_no_token_in_errors_or_logs(
    client: GitHubClient, stub: GitHubStub, caplog: pytest.LogCaptureFixture
) -> None:
    """A GitHub that echoes the Authorization header back, after rate limits and 5xx:
    the token is in no exception (nor its causes) and no log line."""

    def echo(request: httpx.Request) -> httpx.Response:
        echoed = request.headers["authorization"]
        return json_response(401, {"message": f"Bad credentials: {echoed}"})

    stub.faults += [
        Fault("GET", PULL, json_response(429, LIMITED, **{"Retry-After": "1"})),
        Fault("GET", PULL, httpx.Response(502)),
        Fault("GET", PULL, echo),
    ]
    caplog.set_level(logging.DEBUG)
    with pytest.raises(GitHubAuthError) as caught:
        await client.pull_request(REPO, 7)
    assert "Bad credentials" in str(caught.value)
    assert TOKEN not in _chain(caught.value)
    assert TOKEN not in caplog.text
    assert any("github_rate_limited" in r.getMessage() for r in caplog.records)


async def test_a_redirect_is_not_followed(client: GitHubClient, stub: GitHubStub) -> None:
    """A 301 to another host is an error; the Location is never requested."""
    moved = httpx.Response(301, headers={"Location": "https://evil.example/steal"})
    stub.faults.append(Fault("GET", PULL, moved))
    with pytest.raises(GitHubError, match="redirects are not followed") as caught:
        await client.pull_request(REPO, 7)
    assert caught.value.status == 301
    assert len(stub.requests) == 1


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/api/v3/repos/x",
        "http://ghe.example.com/api/v3/repos/x",
        "https://ghe.example.com:444/api/v3/repos/x",
        "https://ghe.example.com.evil.example/api/v3/repos/x",
    ],
)
async def test_a_request_to_another_origin_is_refused_unsent(
    client: GitHubClient, stub: GitHubStub, url: str
) -> None:
    """The request hook refuses any URL off the API's origin, before the transport."""
    with pytest.raises(GitHubError, match="refused a request outside"):
        await client._http.send("GET", url, authorization=f"Bearer {TOKEN}")
    assert stub.requests == []


# -- construction


async def test_the_context_manager_closes_the_pool(stub: GitHubStub, sleeps: Sleeps) -> None:
    """Leaving ``async with`` closes the connections; a call after that fails."""
    async with make_client(stub, sleeps) as client:
        await client.pull_request(REPO, 7)
    with pytest.raises(RuntimeError, match="closed"):
        await client.pull_request(REPO, 7)


async def test_from_settings_uses_the_token_and_the_api_url(stub: GitHubStub) -> None:
    """The settings' token and Enterprise URL (trailing slash or not) are what is used."""
    settings = ReviewSettings(github_token=SecretStr(TOKEN), github_api_url=f"{API}/")
    async with GitHubClient.from_settings(settings, transport=stub.transport()) as client:
        await client.pull_request(REPO, 7)
    assert str(stub.requests[0].url) == f"{API}{PULL}"
    assert stub.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


async def test_from_settings_without_credentials_is_anonymous(stub: GitHubStub) -> None:
    """No token and no App (the fake GitHub): no Authorization header at all."""
    settings = ReviewSettings(github_api_url=API)
    async with GitHubClient.from_settings(settings, transport=stub.transport()) as client:
        await client.pull_request(REPO, 7)
    assert "authorization" not in stub.requests[0].headers


def test_from_settings_refuses_an_unreadable_key_file(tmp_path: Path) -> None:
    """A missing private key file raises GitHubAuthError naming the path, not a key."""
    missing = tmp_path / "missing.pem"
    settings = ReviewSettings(github_app_id=1, github_private_key_file=missing)
    with pytest.raises(GitHubAuthError, match=r"missing\.pem"):
        GitHubClient.from_settings(settings)
