"""The fake GitHub serves GitHub's REST shapes: pull requests, files, contents, comments,
reviews; and its ``/_fake/`` controls set it up and bring it back to the seed."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from backbone.mocks.github.seed import SEED_BASE_FILES, SEED_HEAD_FILES
from tests.unit.mocks._github_fake import AUTH, PULL, RAW, REPO, client_for, make_app

SHA = re.compile(r"^[0-9a-f]{40}$")


@pytest.fixture
def app() -> FastAPI:
    return make_app()


@pytest.fixture
async def gh(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a fresh fake, authenticated with the configured token."""
    async with client_for(app) as client:
        client.headers.update(AUTH)
        yield client


def git_blob_sha(text: str) -> str:
    data = text.encode()
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


async def put_pull(gh: httpx.AsyncClient, **spec: Any) -> dict[str, Any]:
    spec = {"repo": "octo-org/other", "number": 7, **spec}
    response = await gh.post("/_fake/pulls", json=spec)
    assert response.status_code in {200, 201}, response.text
    body: dict[str, Any] = response.json()
    return body


# -- the pull request and its files ------------------------------------------------------


async def test_seeded_pull_request(gh: httpx.AsyncClient) -> None:
    """PR #1 has GitHub's fields: number, title, author, head and base with SHAs and refs."""
    response = await gh.get(PULL)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    pr = response.json()
    assert (pr["number"], pr["title"], pr["state"], pr["draft"]) == (
        1,
        "Add a greeting module",
        "open",
        False,
    )
    assert pr["user"]["login"] == "octocat"
    assert pr["user"]["type"] == "User"
    assert pr["html_url"] == "https://github.com/octo-org/hello-world/pull/1"
    assert pr["url"] == "http://github.fake/repos/octo-org/hello-world/pulls/1"
    assert (pr["head"]["ref"], pr["base"]["ref"]) == ("add-greeting", "main")
    assert SHA.match(pr["head"]["sha"])
    assert SHA.match(pr["base"]["sha"])
    assert pr["head"]["sha"] != pr["base"]["sha"]
    assert (
        pr["head"]["repo"]["full_name"] == pr["base"]["repo"]["full_name"] == "octo-org/hello-world"
    )
    assert (pr["changed_files"], pr["commits"]) == (3, 1)


@pytest.mark.parametrize(
    "path", [f"{REPO}/pulls/99", "/repos/octo-org/nothing/pulls/1", f"{REPO}/pulls/one"]
)
async def test_unknown_pull_request_is_github_404(gh: httpx.AsyncClient, path: str) -> None:
    """An unknown number or repository (or a number that is not one): GitHub's 404 body."""
    response = await gh.get(path)
    assert response.status_code == 404
    assert response.json()["message"] == "Not Found"
    assert response.json()["documentation_url"].startswith("https://docs.github.com/")


async def test_files_of_the_seed(gh: httpx.AsyncClient) -> None:
    """The files list: statuses, counts, GitHub's patch (hunks, no ---/+++), URLs at head."""
    head = (await gh.get(PULL)).json()["head"]["sha"]
    files = {f["filename"]: f for f in (await gh.get(f"{PULL}/files")).json()}
    assert {name: f["status"] for name, f in files.items()} == {
        "README.md": "modified",
        "src/hello/greet.py": "added",
        "src/hello/util.py": "modified",
    }
    greet = files["src/hello/greet.py"]
    assert greet["patch"].startswith('@@ -0,0 +1,21 @@\n+"""Greetings')
    assert (greet["additions"], greet["deletions"], greet["changes"]) == (21, 0, 21)
    assert greet["sha"] == git_blob_sha(SEED_HEAD_FILES["src/hello/greet.py"])
    assert greet["contents_url"].endswith(f"/contents/src/hello/greet.py?ref={head}")
    assert greet["blob_url"].endswith(f"/blob/{head}/src/hello/greet.py")
    util = files["src/hello/util.py"]
    assert util["patch"] == (
        "@@ -5,4 +5,4 @@\n \n def is_empty(items):\n"
        '     """True when ``items`` has nothing in it."""\n'
        "-    return len(items) == 0\n+    return items == None or len(items) == 0"
    )
    assert (util["additions"], util["deletions"], util["changes"]) == (1, 1, 2)
    assert not any("---" in line for f in files.values() for line in f["patch"].split("\n")[:1])


async def test_files_pages_with_link_headers(gh: httpx.AsyncClient) -> None:
    """30 a page by default, GitHub's Link rels (prev/next/last/first), per_page ≤ 100."""
    await put_pull(gh, head_files={f"f{i:03}.txt": f"{i}\n" for i in range(250)})
    first = await gh.get("/repos/octo-org/other/pulls/7/files")
    assert len(first.json()) == 30
    assert first.headers["link"] == (
        '<http://github.fake/repos/octo-org/other/pulls/7/files?page=2>; rel="next", '
        '<http://github.fake/repos/octo-org/other/pulls/7/files?page=9>; rel="last"'
    )
    middle = await gh.get("/repos/octo-org/other/pulls/7/files?per_page=100&page=2")
    assert [f["filename"] for f in middle.json()][:1] == ["f100.txt"]
    rels = {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', middle.headers["link"])}
    assert list(rels) == ["prev", "next", "last", "first"]
    assert rels["next"].endswith("per_page=100&page=3")
    last = await gh.get("/repos/octo-org/other/pulls/7/files?per_page=500&page=3")
    assert len(last.json()) == 50
    assert 'rel="next"' not in last.headers["link"]


async def test_files_stop_at_3000(gh: httpx.AsyncClient) -> None:
    """Like GitHub, the list holds at most 3,000 files."""
    await put_pull(gh, head_files={f"f{i:04}.txt": "x\n" for i in range(3005)})
    last = await gh.get("/repos/octo-org/other/pulls/7/files?per_page=100&page=30")
    assert len(last.json()) == 100
    assert (await gh.get("/repos/octo-org/other/pulls/7/files?per_page=100&page=31")).json() == []
    assert 'rel="next"' not in last.headers["link"]
    before = await gh.get("/repos/octo-org/other/pulls/7/files?per_page=100&page=29")
    assert before.headers["link"].endswith(
        '?per_page=100&page=30>; rel="last", '
        '<http://github.fake/repos/octo-org/other/pulls/7/files?per_page=100&page=1>; rel="first"'
    )


async def test_single_page_has_no_link(gh: httpx.AsyncClient) -> None:
    """A list that fits one page carries no Link header."""
    assert "link" not in (await gh.get(f"{PULL}/files")).headers


# -- contents ----------------------------------------------------------------------------


async def test_contents_base64(gh: httpx.AsyncClient) -> None:
    """A file at the head SHA: base64 in 60-character lines, git's blob SHA, its size."""
    head = (await gh.get(PULL)).json()["head"]["sha"]
    response = await gh.get(f"{REPO}/contents/src/hello/greet.py", params={"ref": head})
    assert response.status_code == 200
    body = response.json()
    text = SEED_HEAD_FILES["src/hello/greet.py"]
    assert (body["type"], body["encoding"], body["name"]) == ("file", "base64", "greet.py")
    assert (body["path"], body["size"], body["sha"]) == (
        "src/hello/greet.py",
        len(text.encode()),
        git_blob_sha(text),
    )
    lines = body["content"].split("\n")
    assert lines[-1] == ""
    assert all(len(line) == 60 for line in lines[:-2])
    assert base64.b64decode(body["content"]).decode() == text


@pytest.mark.parametrize("accept", [RAW, "application/vnd.github.raw"])
async def test_contents_raw(gh: httpx.AsyncClient, accept: str) -> None:
    """The raw media types answer the file's bytes themselves."""
    head = (await gh.get(PULL)).json()["head"]["sha"]
    response = await gh.get(
        f"{REPO}/contents/README.md", params={"ref": head}, headers={"Accept": accept}
    )
    assert response.status_code == 200
    assert response.content == SEED_HEAD_FILES["README.md"].encode()


async def test_large_file_only_raw(gh: httpx.AsyncClient) -> None:
    """Over 1 MB: ``encoding: none`` and empty content; the raw media type has it all."""
    big = "x" * 1_500_000
    pr = await put_pull(gh, head_files={"big.txt": big})
    url = "/repos/octo-org/other/contents/big.txt"
    body = (await gh.get(url, params={"ref": pr["head"]["sha"]})).json()
    assert (body["encoding"], body["content"], body["size"]) == ("none", "", 1_500_000)
    raw = await gh.get(url, params={"ref": pr["head"]["sha"]}, headers={"Accept": RAW})
    assert raw.content == big.encode()


async def test_contents_refs(gh: httpx.AsyncClient) -> None:
    """No ref is the default branch (the base); a branch name or a short SHA works too."""
    pr = (await gh.get(PULL)).json()
    readme = f"{REPO}/contents/README.md"
    raw = {"Accept": RAW}
    assert (await gh.get(readme, headers=raw)).text == SEED_BASE_FILES["README.md"]
    by_branch = await gh.get(readme, params={"ref": "add-greeting"}, headers=raw)
    assert by_branch.text == SEED_HEAD_FILES["README.md"]
    short = await gh.get(readme, params={"ref": pr["head"]["sha"][:7]}, headers=raw)
    assert short.text == SEED_HEAD_FILES["README.md"]


@pytest.mark.parametrize(
    ("path", "ref"),
    [("src/hello/nothing.py", None), ("src/hello/greet.py", None), ("README.md", "f" * 40)],
)
async def test_contents_not_found(gh: httpx.AsyncClient, path: str, ref: str | None) -> None:
    """An unknown path (greet.py is not in the base) or ref: 404."""
    params = {"ref": ref} if ref else {}
    response = await gh.get(f"{REPO}/contents/{path}", params=params)
    assert response.status_code == 404
    assert "Not Found" in response.json()["message"] or "No commit" in response.json()["message"]


async def test_contents_directory(gh: httpx.AsyncClient) -> None:
    """A directory lists its entries, directories as ``dir``."""
    listing = (await gh.get(f"{REPO}/contents/src/hello", params={"ref": "add-greeting"})).json()
    assert [(e["name"], e["type"]) for e in listing] == [
        ("__init__.py", "file"),
        ("greet.py", "file"),
        ("util.py", "file"),
    ]
    root = (await gh.get(f"{REPO}/contents")).json()
    assert [(e["name"], e["type"]) for e in root] == [("README.md", "file"), ("src", "dir")]


# -- pushes ------------------------------------------------------------------------------


async def test_push_makes_a_new_head_and_keeps_old_ones(gh: httpx.AsyncClient) -> None:
    """A push: new head SHA, diff base → new head, the old head still readable."""
    old = (await gh.get(PULL)).json()
    response = await gh.post(
        "/_fake/pulls/octo-org/hello-world/1/push",
        json={"files": {"src/hello/greet.py": "GREETING = 'hi'\n", "README.md": None}},
    )
    assert response.status_code == 200
    new = (await gh.get(PULL)).json()
    assert new["head"]["sha"] == response.json()["head"]["sha"] != old["head"]["sha"]
    assert new["base"]["sha"] == old["base"]["sha"]
    assert new["commits"] == 2
    files = {f["filename"]: f for f in (await gh.get(f"{PULL}/files")).json()}
    assert files["README.md"]["status"] == "removed"
    assert files["src/hello/greet.py"]["patch"] == "@@ -0,0 +1 @@\n+GREETING = 'hi'"
    for sha, expected in [(old["head"]["sha"], SEED_HEAD_FILES), (old["base"]["sha"], None)]:
        got = await gh.get(
            f"{REPO}/contents/README.md", params={"ref": sha}, headers={"Accept": RAW}
        )
        assert got.text == (expected or SEED_BASE_FILES)["README.md"]


# -- issue comments ----------------------------------------------------------------------


async def test_comment_create_list_edit(gh: httpx.AsyncClient) -> None:
    """POST → 201 by the bot with Location; the list shows it; PATCH edits it in place."""
    created = await gh.post(f"{REPO}/issues/1/comments", json={"body": "<!-- m -->\nFirst"})
    assert created.status_code == 201
    comment = created.json()
    assert created.headers["location"] == comment["url"]
    assert comment["user"] == comment["user"] | {"login": "backbone-review[bot]", "type": "Bot"}
    assert comment["html_url"].endswith(f"/pull/1#issuecomment-{comment['id']}")
    assert {"created_at", "updated_at"} <= comment.keys()
    url = f"{REPO}/issues/comments/{comment['id']}"
    edited = await gh.patch(url, json={"body": "<!-- m -->\nSecond"})
    assert edited.status_code == 200
    assert (edited.json()["id"], edited.json()["body"]) == (comment["id"], "<!-- m -->\nSecond")
    listed = (await gh.get(f"{REPO}/issues/1/comments")).json()
    assert [(c["id"], c["body"]) for c in listed] == [(comment["id"], "<!-- m -->\nSecond")]


async def test_comments_page(gh: httpx.AsyncClient) -> None:
    """Comments come oldest first, in pages with Link headers."""
    for n in range(3):
        await gh.post(f"{REPO}/issues/1/comments", json={"body": f"c{n}"})
    page = await gh.get(f"{REPO}/issues/1/comments", params={"per_page": 2, "page": 2})
    assert [c["body"] for c in page.json()] == ["c2"]
    assert 'rel="prev"' in page.headers["link"]
    assert 'rel="next"' not in page.headers["link"]


@pytest.mark.parametrize(
    ("content", "status"),
    [(b"{not json", 400), (b"{}", 422), (b'{"body": 3}', 422), (b'{"body": "  "}', 422)],
)
async def test_comment_body_refused(gh: httpx.AsyncClient, content: bytes, status: int) -> None:
    """Bad JSON → 400 "Problems parsing JSON"; a missing, mistyped or blank body → 422."""
    response = await gh.post(f"{REPO}/issues/1/comments", content=content)
    assert response.status_code == status
    assert (await gh.get(f"{REPO}/issues/1/comments")).json() == []


async def test_comment_too_long(gh: httpx.AsyncClient) -> None:
    """GitHub's 65,536-character limit on a comment body is kept."""
    response = await gh.post(f"{REPO}/issues/1/comments", json={"body": "x" * 65537})
    assert response.status_code == 422
    assert response.json()["message"] == "Validation Failed"


async def test_edit_unknown_comment(gh: httpx.AsyncClient) -> None:
    """PATCH of a comment that does not exist: 404."""
    response = await gh.patch(f"{REPO}/issues/comments/424242", json={"body": "x"})
    assert response.status_code == 404
