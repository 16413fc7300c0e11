"""The client's own writes: the comment it edits and the review it will not post twice are
its own account's, learned once from GitHub (``GET /user`` for a token); anyone can write
the marker. Against the in-memory stub, then against the fake GitHub itself."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from backbone.mocks.github import create_app as create_fake_github
from backbone.mocks.github.config import DEFAULT_TOKEN, GitHubFakeSettings
from backbone.review.github import (
    GitHubAuthError,
    GitHubClient,
    InlineComment,
    RepoRef,
    TokenAuth,
)
from tests.unit.review._github_stub import (
    HEAD,
    LOGIN,
    Fault,
    GitHubStub,
    Sleeps,
    json_response,
    make_client,
)

REPO = RepoRef("octo-org", "hello-world")
MARKER = "<!-- backbone-review -->"
COMMENTS = "/repos/octo-org/hello-world/issues/7/comments"
REVIEWS = "/repos/octo-org/hello-world/pulls/7/reviews"
OTHER_HEAD = "c" * 40


def review_marker(head: str) -> str:
    return f"<!-- backbone-review:{head} -->"


# -- the comment


async def test_a_marked_comment_by_someone_else_is_not_found(
    client: GitHubClient, stub: GitHubStub
) -> None:
    """A contributor's comment carrying the marker comes first; the bot's own is found."""
    stub.add_comment(f"{MARKER}\nplease edit me", login="mallory")
    own = stub.add_comment(f"{MARKER}\nthe review")
    found = await client.find_comment(REPO, 7, marker=MARKER)
    assert found is not None
    assert (found.id, found.author) == (own["id"], LOGIN)


async def test_a_marked_comment_by_someone_else_is_left_alone(
    client: GitHubClient, stub: GitHubStub
) -> None:
    """Only someone else's marked comment: the bot creates its own (never edits theirs),
    then edits its own on the next head."""
    theirs = stub.add_comment(f"{MARKER}\nplease edit me", login="mallory")
    created = await client.upsert_comment(REPO, 7, marker=MARKER, body=f"{MARKER}\nfirst")
    edited = await client.upsert_comment(REPO, 7, marker=MARKER, body=f"{MARKER}\nsecond")
    assert created.id != theirs["id"]
    assert edited.id == created.id
    assert [(c["user"]["login"], c["body"]) for c in stub.comments] == [
        ("mallory", f"{MARKER}\nplease edit me"),
        (LOGIN, f"{MARKER}\nsecond"),
    ]
    assert stub.calls("PATCH") == [f"PATCH /repos/octo-org/hello-world/issues/comments/{edited.id}"]


async def test_a_marked_comment_of_a_deleted_account_is_not_found(
    client: GitHubClient, stub: GitHubStub
) -> None:
    """``user: null`` (a deleted account, GitHub's "ghost") is nobody's: not ours."""
    stub.add_comment(f"{MARKER}\norphan", login=None)
    assert await client.find_comment(REPO, 7, marker=MARKER) is None


async def test_logins_compare_as_github_does_without_case(
    client: GitHubClient, stub: GitHubStub
) -> None:
    """GitHub logins are case-insensitive: ``Backbone[Bot]`` is the same account."""
    own = stub.add_comment(f"{MARKER}\nx", login=LOGIN.upper())
    found = await client.find_comment(REPO, 7, marker=MARKER)
    assert found is not None
    assert found.id == own["id"]


async def test_the_login_is_asked_once(client: GitHubClient, stub: GitHubStub) -> None:
    """``GET /user`` once for the client's life, concurrent calls included."""
    stub.add_comment(f"{MARKER}\nx")
    await asyncio.gather(*(client.find_comment(REPO, 7, marker=MARKER) for _ in range(3)))
    await client.upsert_comment(REPO, 7, marker=MARKER, body=f"{MARKER}\ny")
    assert await client.own_login() == LOGIN
    assert stub.calls().count("GET /user") == 1


async def test_the_login_is_asked_only_when_a_marked_comment_needs_it(
    client: GitHubClient, stub: GitHubStub
) -> None:
    """No comment carries the marker: nothing to tell apart, no ``GET /user``."""
    stub.add_comment("lgtm", login="mallory")
    await client.upsert_comment(REPO, 7, marker=MARKER, body=f"{MARKER}\nfirst")
    assert stub.calls() == [f"GET {COMMENTS}", f"POST {COMMENTS}"]


async def test_a_login_github_will_not_give_writes_nothing(
    client: GitHubClient, stub: GitHubStub
) -> None:
    """``GET /user`` refused (401): GitHubAuthError, and no comment is written."""
    stub.add_comment(f"{MARKER}\nx")
    stub.faults.append(Fault("GET", "/user", json_response(401, {"message": "Bad credentials"})))
    with pytest.raises(GitHubAuthError):
        await client.upsert_comment(REPO, 7, marker=MARKER, body=f"{MARKER}\ny")
    assert stub.calls("POST") == stub.calls("PATCH") == []


async def test_an_anonymous_client_claims_no_comment(stub: GitHubStub) -> None:
    """Without a credential there is no account to compare: GitHubAuthError before any
    ``GET /user``."""
    stub.add_comment(f"{MARKER}\nx")
    async with make_client(stub, Sleeps(), auth=None) as anonymous:
        with pytest.raises(GitHubAuthError, match="anonymous"):
            await anonymous.find_comment(REPO, 7, marker=MARKER)
    assert "GET /user" not in stub.calls()


# -- the review


async def test_a_review_already_posted_on_the_head_is_not_posted_again(
    client: GitHubClient, stub: GitHubStub
) -> None:
    """The bot's review of this head carrying the marker exists (its worker was killed
    after the POST): it is returned, nothing is posted."""
    marker = review_marker(HEAD)
    posted = stub.add_review(f"{marker}\nfirst attempt", HEAD)
    again = await client.create_review(
        REPO, 7, commit_id=HEAD, body=f"{marker}\nsecond attempt", comments=[], marker=marker
    )
    assert again.id == posted["id"]
    assert stub.calls("POST") == []
    assert len(stub.reviews) == 1


async def test_posting_twice_for_one_head_gives_one_review(
    client: GitHubClient, stub: GitHubStub
) -> None:
    """The same head twice: one POST, the same review both times."""
    marker = review_marker(HEAD)
    comments = [InlineComment("src/a.py", 3, "E501")]
    first, second = [
        await client.create_review(
            REPO, 7, commit_id=HEAD, body=f"{marker}\nReview", comments=comments, marker=marker
        )
        for _ in range(2)
    ]
    assert first == second
    assert stub.calls("POST") == [f"POST {REVIEWS}"]


async def test_a_new_head_gets_a_new_review(client: GitHubClient, stub: GitHubStub) -> None:
    """The next head's marker names its commit: a second review is posted."""
    for head in (HEAD, OTHER_HEAD):
        marker = review_marker(head)
        await client.create_review(
            REPO, 7, commit_id=head, body=f"{marker}\nReview", comments=[], marker=marker
        )
    assert [r["commit_id"] for r in stub.reviews] == [HEAD, OTHER_HEAD]
    assert stub.calls("POST") == [f"POST {REVIEWS}"] * 2


async def test_a_marked_review_by_someone_else_or_on_another_commit_does_not_count(
    client: GitHubClient, stub: GitHubStub
) -> None:
    """Someone else's review with the marker, or the marker on another commit: the bot
    still posts its review."""
    marker = review_marker(HEAD)
    stub.add_review(f"{marker}\nforged", HEAD, login="mallory")
    stub.add_review(f"{marker}\nelsewhere", OTHER_HEAD)
    posted = await client.create_review(
        REPO, 7, commit_id=HEAD, body=f"{marker}\nReview", comments=[], marker=marker
    )
    assert stub.calls("POST") == [f"POST {REVIEWS}"]
    assert posted.id == stub.reviews[-1]["id"]


async def test_a_lost_review_answer_is_matched_to_the_bots_review_only(
    client: GitHubClient, stub: GitHubStub
) -> None:
    """Without a marker, after a 502: someone else's review with the same body on the
    same commit is not taken for the one the lost POST made."""
    stub.add_review("Review", HEAD, login="mallory")
    stub.faults.append(Fault("POST", REVIEWS, httpx.Response(502), apply=True))
    posted = await client.create_review(REPO, 7, commit_id=HEAD, body="Review", comments=[])
    assert posted.id == stub.reviews[-1]["id"]
    assert stub.reviews[-1]["user"]["login"] == LOGIN


async def test_a_review_body_without_its_marker_is_refused(
    client: GitHubClient, stub: GitHubStub
) -> None:
    """A body the next call could not find: ValueError, nothing sent."""
    with pytest.raises(ValueError, match="marker"):
        await client.create_review(
            REPO, 7, commit_id=HEAD, body="Review", comments=[], marker=review_marker(HEAD)
        )
    assert stub.requests == []


# -- against the fake GitHub


@pytest.fixture
async def fake() -> AsyncIterator[tuple[httpx.AsyncClient, GitHubClient]]:
    """The fake GitHub in-process: a control client, and the review's client with the
    fake's token."""
    app = create_fake_github(GitHubFakeSettings(_env_file=None))
    transport = httpx.ASGITransport(app=app)
    auth = TokenAuth(SecretStr(DEFAULT_TOKEN))
    base = "http://github.fake"
    async with (
        httpx.AsyncClient(transport=transport, base_url=base) as control,
        GitHubClient(base_url=base, auth=auth, transport=transport, sleep=Sleeps()) as client,
    ):
        yield control, client


async def test_on_the_fake_a_forged_marker_is_left_alone(
    fake: tuple[httpx.AsyncClient, GitHubClient],
) -> None:
    """The fake records mallory's marked comment; the client creates the bot's comment,
    then edits it; mallory's stays as written."""
    control, client = fake
    pull = "/_fake/pulls/octo-org/hello-world/1"
    forged = {"author": "mallory", "body": f"{MARKER}\nedit me, bot"}
    (await control.post(f"{pull}/comments", json=forged)).raise_for_status()
    seed = RepoRef("octo-org", "hello-world")
    first = await client.upsert_comment(seed, 1, marker=MARKER, body=f"{MARKER}\nfirst")
    second = await client.upsert_comment(seed, 1, marker=MARKER, body=f"{MARKER}\nsecond")
    state = (await control.get(pull)).json()
    assert second.id == first.id
    assert [(c["user"]["login"], c["body"]) for c in state["comments"]] == [
        ("mallory", forged["body"]),
        ("backbone-review[bot]", f"{MARKER}\nsecond"),
    ]


async def test_on_the_fake_one_review_per_head(
    fake: tuple[httpx.AsyncClient, GitHubClient],
) -> None:
    """The same head twice: one review recorded; after a push, a second one."""
    control, client = fake
    pull = "/_fake/pulls/octo-org/hello-world/1"
    seed = RepoRef("octo-org", "hello-world")
    for _ in range(2):
        head = (await control.get(pull)).json()["pull_request"]["head"]["sha"]
        for _ in range(2):
            marker = review_marker(head)
            await client.create_review(
                seed, 1, commit_id=head, body=f"{marker}\nReview", comments=[], marker=marker
            )
        push = await control.post(f"{pull}/push", json={"files": {"NOTES.md": "more\n"}})
        push.raise_for_status()
    reviews = (await control.get(pull)).json()["reviews"]
    assert len(reviews) == 2
    assert len({r["commit_id"] for r in reviews}) == 2
