"""GitHubClient against an in-memory GitHub: the calls, paging, contents and hostile
paths, the comment's upsert and the review (failure paths: test_github_limits.py)."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

import backbone.review.github as github
from backbone.review.github import (
    MAX_PULL_FILES,
    GitHubApi,
    GitHubBadResponse,
    GitHubClient,
    GitHubFileTooLarge,
    GitHubNotFound,
    GitHubUnavailable,
    InlineComment,
    RepoRef,
)
from tests._surface import assert_all_is_the_surface
from tests.unit.review._github_stub import (
    API,
    HEAD,
    PREFIX,
    TOKEN,
    Fault,
    GitHubStub,
    Sleeps,
    json_response,
    pull_file,
)

REPO = RepoRef("octo-org", "hello-world")
MARKER = "<!-- backbone-review -->"
COMMENTS = "/repos/octo-org/hello-world/issues/7/comments"
REVIEWS = "/repos/octo-org/hello-world/pulls/7/reviews"
PULL = "/repos/octo-org/hello-world/pulls/7"


def test_all_is_sorted_and_is_the_whole_surface() -> None:
    """``__all__`` is sorted and names exactly the package's public names."""
    assert_all_is_the_surface(github)


async def test_the_client_is_a_github_api(client: GitHubClient) -> None:
    """GitHubClient has every call of the GitHubApi protocol (mypy checks the types)."""
    api: GitHubApi = client
    for name in ("pull_request", "pull_request_files", "file_text", "find_comment"):
        assert callable(getattr(api, name))


# -- the calls


async def test_requests_carry_githubs_headers_under_the_enterprise_prefix(
    client: GitHubClient, stub: GitHubStub
) -> None:
    """Every request goes under the API URL's path with GitHub's media type, API version,
    a User-Agent and the token as a Bearer credential."""
    pull = await client.pull_request(REPO, 7)
    request = stub.requests[0]
    assert str(request.url) == f"{API}{PULL}"
    assert request.headers["accept"] == "application/vnd.github+json"
    assert request.headers["x-github-api-version"] == "2022-11-28"
    assert request.headers["user-agent"].startswith("backbone-review")
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert (pull.number, pull.head_sha, pull.author, pull.body) == (7, HEAD, "octocat", "")


async def test_an_answer_of_the_wrong_shape_is_a_bad_response(
    client: GitHubClient, stub: GitHubStub
) -> None:
    """JSON without the fields the review needs raises GitHubBadResponse naming the field."""
    stub.faults.append(Fault("GET", PULL, json_response(200, {"number": 7, "title": "x"})))
    with pytest.raises(GitHubBadResponse, match="head"):
        await client.pull_request(REPO, 7)


async def test_an_answer_that_is_not_json_is_a_bad_response(
    client: GitHubClient, stub: GitHubStub
) -> None:
    """An HTML page where JSON was expected raises GitHubBadResponse."""
    stub.faults.append(Fault("GET", PULL, httpx.Response(200, text="<html>oops</html>")))
    with pytest.raises(GitHubBadResponse, match="not JSON"):
        await client.pull_request(REPO, 7)


@pytest.mark.parametrize("number", [0, -1, True, "7"])
async def test_a_pull_request_number_must_be_a_positive_integer(
    client: GitHubClient, stub: GitHubStub, number: Any
) -> None:
    """Anything but a positive int is refused before a request is made."""
    with pytest.raises(ValueError, match="positive integer"):
        await client.pull_request(REPO, number)
    assert stub.requests == []


async def test_files_are_read_over_every_link_page(client: GitHubClient, stub: GitHubStub) -> None:
    """250 files come in three pages of 100, following ``Link: rel="next"``, in order."""
    stub.files = [pull_file(i) for i in range(250)]
    files = await client.pull_request_files(REPO, 7)
    assert [f.filename for f in files] == [f"src/module_{i}.py" for i in range(250)]
    assert [r.url.params["per_page"] for r in stub.requests] == ["100"] * 3
    assert [r.url.params.get("page") for r in stub.requests] == [None, "2", "3"]


async def test_files_stop_at_the_limit_without_reading_further(
    client: GitHubClient, stub: GitHubStub
) -> None:
    """With ``limit=150`` two pages are read and 150 files returned."""
    stub.files = [pull_file(i) for i in range(1000)]
    files = await client.pull_request_files(REPO, 7, limit=150)
    assert len(files) == 150
    assert len(stub.requests) == 2


async def test_files_stop_at_githubs_3000_whatever_the_links_say(
    client: GitHubClient, stub: GitHubStub
) -> None:
    """A listing that never ends is read up to 3,000 files (30 pages), no further."""
    stub.files = [pull_file(i) for i in range(5000)]
    files = await client.pull_request_files(REPO, 7)
    assert len(files) == MAX_PULL_FILES
    assert len(stub.requests) == 30


@pytest.mark.parametrize("limit", [0, MAX_PULL_FILES + 1])
async def test_a_limit_outside_githubs_range_is_refused(client: GitHubClient, limit: int) -> None:
    """``limit`` must be within 1..3000."""
    with pytest.raises(ValueError, match="limit"):
        await client.pull_request_files(REPO, 7, limit=limit)


async def test_an_empty_page_ends_the_listing_even_with_a_next_link(
    client: GitHubClient, stub: GitHubStub
) -> None:
    """An empty page stops the paging, so a server looping on ``next`` cannot hold us."""
    files_path = f"{PULL}/files"
    link = {"Link": f'<{API}{files_path}?page=2>; rel="next"'}
    stub.faults.append(Fault("GET", files_path, httpx.Response(200, json=[], headers=link)))
    assert await client.pull_request_files(REPO, 7) == []
    assert len(stub.requests) == 1


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example/api/v3/repos/x/files?page=2",
        "http://ghe.example.com/api/v3/repos/x/files?page=2",
        "https://ghe.example.com:8443/api/v3/repos/x/files?page=2",
        "/api/v3/repos/x/files?page=2",
        "https://[::1/",
    ],
)
async def test_a_next_link_to_another_origin_is_not_followed(
    client: GitHubClient, stub: GitHubStub, link: str
) -> None:
    """A ``Link: rel="next"`` off the API's origin raises GitHubBadResponse, unsent."""
    files_path = f"{PULL}/files"
    answer = httpx.Response(200, json=[pull_file(0)], headers={"Link": f'<{link}>; rel="next"'})
    stub.faults.append(Fault("GET", files_path, answer))
    with pytest.raises(GitHubBadResponse, match="origin"):
        await client.pull_request_files(REPO, 7)
    assert len(stub.requests) == 1


# -- contents


async def test_a_small_file_is_decoded_from_base64(client: GitHubClient, stub: GitHubStub) -> None:
    """The contents API's base64 (with GitHub's line breaks) becomes the file's text."""
    text = "def f():\n    return 'é'\n" * 200
    stub.add_file("src/app.py", text.encode())
    assert await client.file_text(REPO, "src/app.py", ref=HEAD) == text
    assert len(stub.requests) == 1
    assert stub.requests[0].url.params["ref"] == HEAD


async def test_undecodable_bytes_are_replaced(client: GitHubClient, stub: GitHubStub) -> None:
    """Bytes that are not UTF-8 become U+FFFD rather than failing the read."""
    stub.add_file("bin.py", b"x = 1\n\xff\xfe\n")
    assert await client.file_text(REPO, "bin.py", ref=HEAD) == "x = 1\n\ufffd\ufffd\n"


async def test_a_file_without_inline_content_is_fetched_raw(
    client: GitHubClient, stub: GitHubStub
) -> None:
    """``encoding: none`` (files over 1 MB) makes a second GET with the raw media type."""
    data = b"# big\n" + b"x = 1\n" * 300_000
    stub.add_file("big.py", data, inline=False)
    assert await client.file_text(REPO, "big.py", ref=HEAD) == data.decode()
    assert [r.headers["accept"] for r in stub.requests] == [
        "application/vnd.github+json",
        "application/vnd.github.raw+json",
    ]


async def test_a_file_over_one_megabyte_is_fetched_raw_even_if_inlined(
    client: GitHubClient, stub: GitHubStub
) -> None:
    """Past 1 MB the inline content is not trusted to be whole: the raw bytes are read."""
    data = b"y = 2\n" * 200_000
    stub.add_file("big.py", data)
    stub.contents["big.py"]["content"] = base64.b64encode(b"truncated").decode()
    assert await client.file_text(REPO, "big.py", ref=HEAD) == data.decode()
    assert len(stub.requests) == 2


async def test_a_file_over_the_clients_cap_is_not_read(
    client: GitHubClient, stub: GitHubStub
) -> None:
    """A file larger than ``max_file_bytes`` raises GitHubFileTooLarge, its bytes unread."""
    stub.add_file("huge.bin", b"\0" * (4 * 1024 * 1024 + 1), inline=False)
    with pytest.raises(GitHubFileTooLarge) as caught:
        await client.file_text(REPO, "huge.bin", ref=HEAD)
    assert (caught.value.size, caught.value.limit) == (4 * 1024 * 1024 + 1, 4 * 1024 * 1024)
    assert len(stub.requests) == 1


async def test_path_segments_are_percent_encoded(client: GitHubClient, stub: GitHubStub) -> None:
    """Spaces, ``#``, ``?``, ``%`` and non-ASCII are encoded per segment, ``/`` kept."""
    path = "docs/my file #1?%2e%2e/café.md"
    stub.add_file(path, b"hello")
    assert await client.file_text(REPO, path, ref=HEAD) == "hello"
    raw_path = stub.requests[0].url.raw_path.decode()
    assert raw_path == (
        f"{PREFIX}/repos/octo-org/hello-world/contents/"
        f"docs/my%20file%20%231%3F%252e%252e/caf%C3%A9.md?ref={HEAD}"
    )


@pytest.mark.parametrize(
    "path",
    [
        "",
        "../secrets.txt",
        "src/../../etc/passwd",
        "/etc/passwd",
        "src//app.py",
        "src/./app.py",
        "src/",
        "..",
        "src\\..\\app.py",
        "src/app.py\x00.txt",
        "src/app\n.py",
        "a" * 5000,
    ],
)
async def test_hostile_paths_are_refused_before_any_request(
    client: GitHubClient, stub: GitHubStub, path: str
) -> None:
    """Traversal, absolute, empty-segment, backslash and control-character paths raise
    ValueError and send nothing."""
    with pytest.raises(ValueError, match="relative repository path"):
        await client.file_text(REPO, path, ref=HEAD)
    assert stub.requests == []


@pytest.mark.parametrize(
    "ref", ["main", "a" * 39, "a" * 41, "g" * 40, f"{HEAD}/../x", f"{HEAD}&x=1", ""]
)
async def test_a_ref_that_is_not_a_commit_sha_is_refused(
    client: GitHubClient, stub: GitHubStub, ref: str
) -> None:
    """Only a 40-hex SHA is a ref: branch names and anything else raise ValueError, unsent."""
    with pytest.raises(ValueError, match="40-hex"):
        await client.file_text(REPO, "src/app.py", ref=ref)
    assert stub.requests == []


async def test_a_missing_file_is_not_found(client: GitHubClient) -> None:
    """A 404 from the contents API raises GitHubNotFound with the status."""
    with pytest.raises(GitHubNotFound) as caught:
        await client.file_text(REPO, "nope.py", ref=HEAD)
    assert caught.value.status == 404


@pytest.mark.parametrize(
    "answer",
    [
        [{"type": "file", "name": "a.py", "size": 1}],
        {"type": "submodule", "size": 0, "submodule_git_url": "git://x"},
        {"type": "symlink", "size": 4, "target": "../x"},
    ],
)
async def test_a_directory_or_submodule_is_not_a_file(
    client: GitHubClient, stub: GitHubStub, answer: Any
) -> None:
    """A directory listing, a submodule or a symlink raises GitHubNotFound."""
    stub.faults.append(
        Fault("GET", "/repos/octo-org/hello-world/contents/src", json_response(200, answer))
    )
    with pytest.raises(GitHubNotFound, match="not a file"):
        await client.file_text(REPO, "src", ref=HEAD)


async def test_content_that_is_not_base64_is_a_bad_response(
    client: GitHubClient, stub: GitHubStub
) -> None:
    """Garbage in ``content`` raises GitHubBadResponse."""
    stub.add_file("a.py", b"x")
    stub.contents["a.py"]["content"] = "!!not base64!!"
    with pytest.raises(GitHubBadResponse, match="base64"):
        await client.file_text(REPO, "a.py", ref=HEAD)


# -- the comment and the review


async def test_find_comment_reads_pages_until_the_marker(
    client: GitHubClient, stub: GitHubStub
) -> None:
    """The first comment carrying the marker is found on page 2 (and its author asked
    once); page 3 is never read."""
    for i in range(150):
        stub.add_comment(f"comment {i}", login="someone")
    wanted = stub.add_comment(f"{MARKER}\nold review")
    for i in range(100):
        stub.add_comment(f"later {i}")
    found = await client.find_comment(REPO, 7, marker=MARKER)
    assert found is not None
    assert (found.id, found.author) == (wanted["id"], "backbone[bot]")
    assert stub.calls() == [f"GET {COMMENTS}"] * 2 + ["GET /user"]


async def test_find_comment_answers_none_when_no_comment_has_the_marker(
    client: GitHubClient, stub: GitHubStub
) -> None:
    """No comment with the marker: None."""
    stub.add_comment("lgtm")
    assert await client.find_comment(REPO, 7, marker=MARKER) is None


async def test_upsert_edits_the_comment_that_carries_the_marker(
    client: GitHubClient, stub: GitHubStub
) -> None:
    """An existing marked comment is edited with PATCH; nothing is created."""
    stub.add_comment("unrelated")
    old = stub.add_comment(f"{MARKER}\nold")
    comment = await client.upsert_comment(REPO, 7, marker=MARKER, body=f"{MARKER}\nnew")
    assert comment.id == old["id"]
    assert [c["body"] for c in stub.comments] == ["unrelated", f"{MARKER}\nnew"]
    assert stub.calls("PATCH") == [f"PATCH /repos/octo-org/hello-world/issues/comments/{old['id']}"]
    assert stub.calls("POST") == []


async def test_upsert_creates_the_comment_when_there_is_none(
    client: GitHubClient, stub: GitHubStub
) -> None:
    """No marked comment: one POST creates it."""
    comment = await client.upsert_comment(REPO, 7, marker=MARKER, body=f"{MARKER}\nfirst")
    assert [c["body"] for c in stub.comments] == [f"{MARKER}\nfirst"]
    assert comment.id == stub.comments[0]["id"]
    assert stub.calls("POST") == [f"POST {COMMENTS}"]


async def test_upsert_writes_nothing_when_the_comment_is_unchanged(
    client: GitHubClient, stub: GitHubStub
) -> None:
    """The same body again: no PATCH, no POST."""
    stub.add_comment(f"{MARKER}\nsame")
    await client.upsert_comment(REPO, 7, marker=MARKER, body=f"{MARKER}\nsame")
    assert stub.calls("PATCH") == stub.calls("POST") == []


async def test_upsert_refuses_a_body_without_its_marker(client: GitHubClient) -> None:
    """A body the next upsert could not find is refused."""
    with pytest.raises(ValueError, match="marker"):
        await client.upsert_comment(REPO, 7, marker=MARKER, body="no marker here")


@pytest.mark.parametrize("lost", [httpx.Response(502), httpx.ReadTimeout("read timed out")])
async def test_a_create_whose_answer_is_lost_does_not_create_twice(
    client: GitHubClient, stub: GitHubStub, sleeps: Sleeps, lost: Any
) -> None:
    """GitHub creates the comment but the answer is a 502 or a timeout: the client looks
    again, finds it, and leaves one comment (one POST)."""
    stub.faults.append(Fault("POST", COMMENTS, lost, apply=True))
    comment = await client.upsert_comment(REPO, 7, marker=MARKER, body=f"{MARKER}\nbody")
    assert len(stub.comments) == 1
    assert comment.id == stub.comments[0]["id"]
    assert stub.calls() == [f"GET {COMMENTS}", f"POST {COMMENTS}", f"GET {COMMENTS}", "GET /user"]
    assert sleeps == [1.0]


async def test_a_create_that_did_not_happen_is_made_after_looking_again(
    client: GitHubClient, stub: GitHubStub
) -> None:
    """A POST that never reached GitHub (connection refused) is sent again only after
    the comments were listed again; one comment results."""
    stub.faults.append(Fault("POST", COMMENTS, httpx.ConnectError("refused")))
    await client.upsert_comment(REPO, 7, marker=MARKER, body=f"{MARKER}\nbody")
    assert len(stub.comments) == 1
    assert stub.calls() == [
        f"GET {COMMENTS}",
        f"POST {COMMENTS}",
        f"GET {COMMENTS}",
        f"POST {COMMENTS}",
    ]


async def test_a_comment_deleted_before_its_edit_is_created_again(
    client: GitHubClient, stub: GitHubStub
) -> None:
    """The PATCH answers 404 (deleted meanwhile): the client looks again and creates it."""
    old = stub.add_comment(f"{MARKER}\nold")

    def deleted(request: httpx.Request) -> httpx.Response:
        stub.comments.clear()
        return json_response(404, {"message": "Not Found"})

    edit = f"/repos/octo-org/hello-world/issues/comments/{old['id']}"
    stub.faults.append(Fault("PATCH", edit, deleted))
    comment = await client.upsert_comment(REPO, 7, marker=MARKER, body=f"{MARKER}\nnew")
    assert [c["body"] for c in stub.comments] == [f"{MARKER}\nnew"]
    assert comment.id != old["id"]
    assert stub.calls("POST") == [f"POST {COMMENTS}"]


async def test_an_unavailable_github_fails_the_upsert_after_the_retries(
    client: GitHubClient, stub: GitHubStub
) -> None:
    """A POST failing with 502 every time: one POST per look-up, then GitHubUnavailable."""
    stub.faults.append(Fault("POST", COMMENTS, httpx.Response(502), times=99))
    with pytest.raises(GitHubUnavailable) as caught:
        await client.upsert_comment(REPO, 7, marker=MARKER, body=f"{MARKER}\nbody")
    assert caught.value.status == 502
    assert stub.calls() == [f"GET {COMMENTS}", f"POST {COMMENTS}"] * 3


async def test_a_review_is_a_comment_event_on_the_right_side(
    client: GitHubClient, stub: GitHubStub
) -> None:
    """The review is posted with ``event: COMMENT``, the head commit, and each inline
    comment on ``side: RIGHT``."""
    comments = [InlineComment("src/a.py", 3, "E501"), InlineComment("src/b.py", 9, "F401")]
    posted = await client.create_review(REPO, 7, commit_id=HEAD, body="Review", comments=comments)
    sent = stub.reviews[0]["sent"]
    assert sent == {
        "commit_id": HEAD,
        "body": "Review",
        "event": "COMMENT",
        "comments": [
            {"path": "src/a.py", "line": 3, "side": "RIGHT", "body": "E501"},
            {"path": "src/b.py", "line": 9, "side": "RIGHT", "body": "F401"},
        ],
    }
    assert posted.id == stub.reviews[0]["id"]


async def test_a_review_whose_answer_is_lost_is_not_posted_twice(
    client: GitHubClient, stub: GitHubStub
) -> None:
    """GitHub records the review but answers 502: the client finds it and posts no other."""
    stub.faults.append(Fault("POST", REVIEWS, httpx.Response(502), apply=True))
    posted = await client.create_review(REPO, 7, commit_id=HEAD, body="Review", comments=[])
    assert len(stub.reviews) == 1
    assert posted.id == stub.reviews[0]["id"]
    assert stub.calls() == [f"POST {REVIEWS}", f"GET {REVIEWS}", "GET /user"]


async def test_a_review_post_is_never_resent_without_looking_first(
    client: GitHubClient, stub: GitHubStub
) -> None:
    """A POST failing with 502 (GitHub did nothing): each new POST follows a look-up;
    after the retries, GitHubUnavailable."""
    stub.faults.append(Fault("POST", REVIEWS, httpx.Response(502), times=99))
    with pytest.raises(GitHubUnavailable):
        await client.create_review(REPO, 7, commit_id=HEAD, body="Review", comments=[])
    assert stub.calls() == [f"POST {REVIEWS}", f"GET {REVIEWS}"] * 2 + [f"POST {REVIEWS}"]
    assert stub.reviews == []


@pytest.mark.parametrize(
    ("commit_id", "body", "line"),
    [("main", "Review", 1), (HEAD, "  ", 1), (HEAD, "Review", 0)],
)
async def test_a_bad_review_is_refused_before_sending(
    client: GitHubClient, stub: GitHubStub, commit_id: str, body: str, line: int
) -> None:
    """A commit that is not a SHA, an empty body or a line below 1: ValueError, unsent."""
    with pytest.raises(ValueError):  # noqa: PT011 - three different messages
        await client.create_review(
            REPO, 7, commit_id=commit_id, body=body, comments=[InlineComment("a.py", line, "x")]
        )
    assert stub.requests == []
