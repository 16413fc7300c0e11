"""``GET /repos/{owner}/{repo}/contents/{path}``: a file (base64, or raw bytes with the
raw media type) or a directory listing, at any commit the repository has.

As on GitHub: base64 with a newline every 60 characters (and one at the end); a file
over 1 MB comes as ``encoding: "none"`` with empty ``content`` unless asked for raw.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import Response

from backbone.mocks.github.deps import StoreDep, TokenAuth, UrlsDep
from backbone.mocks.github.errors import not_found
from backbone.mocks.github.gitdiff import Snapshot, blob_sha, tree_sha
from backbone.mocks.github.render import Urls
from backbone.mocks.github.routes._http import github_json
from backbone.mocks.github.store import CONTENTS_DOCS, Repository

router = APIRouter(tags=["repos"], dependencies=[TokenAuth])

MAX_INLINE_BYTES = 1024 * 1024
"""Files larger than this come without their content in the JSON (GitHub: 1 MB)."""
RAW_MEDIA_TYPES = ("application/vnd.github.raw", "application/vnd.github.v3.raw")


def encode_content(data: bytes) -> str:
    """Base64 as GitHub (Ruby's ``Base64.encode64``) sends it: 60-character lines."""
    encoded = base64.b64encode(data).decode("ascii")
    return "".join(f"{encoded[i : i + 60]}\n" for i in range(0, len(encoded), 60))


def _links(
    repo: Repository, path: str, sha: str, ref: str, urls: Urls, kind: str
) -> dict[str, Any]:
    quoted = quote(path)
    url = f"{urls.repo_api(repo)}/contents/{quoted}?ref={quote(ref, safe='')}"
    git = f"{urls.repo_api(repo)}/git/{'trees' if kind == 'dir' else 'blobs'}/{sha}"
    html = f"{urls.repo_web(repo)}/{'tree' if kind == 'dir' else 'blob'}/{ref}/{quoted}"
    download = None if kind == "dir" else f"{urls.repo_web(repo)}/raw/{ref}/{quoted}"
    return {
        "url": url,
        "git_url": git,
        "html_url": html,
        "download_url": download,
        "_links": {"self": url, "git": git, "html": html},
    }


def file_entry(
    repo: Repository, path: str, data: bytes, ref: str, urls: Urls, *, content: bool
) -> dict[str, Any]:
    """A file as the contents API describes it (with its content when ``content``)."""
    sha = blob_sha(data)
    entry: dict[str, Any] = {"type": "file", "size": len(data), "name": path.rsplit("/", 1)[-1]}
    entry |= {"path": path, "sha": sha, **_links(repo, path, sha, ref, urls, "file")}
    if content:
        inline = len(data) <= MAX_INLINE_BYTES
        entry["content"] = encode_content(data) if inline else ""
        entry["encoding"] = "base64" if inline else "none"
    return entry


def _listing(repo: Repository, tree: Snapshot, folder: str, ref: str, urls: Urls) -> list[Any]:
    """The entries directly inside ``folder`` ("" for the root), dirs and files by name."""
    prefix = f"{folder}/" if folder else ""
    children: dict[str, dict[str, bytes]] = {}
    files: dict[str, bytes] = {}
    for path, data in tree.items():
        if not path.startswith(prefix):
            continue
        name, sep, rest = path[len(prefix) :].partition("/")
        if sep:
            children.setdefault(name, {})[rest] = data
        else:
            files[name] = data
    entries = [file_entry(repo, prefix + n, d, ref, urls, content=False) for n, d in files.items()]
    for name, subtree in children.items():
        sha = tree_sha(subtree)
        entry = {"type": "dir", "size": 0, "name": name, "path": prefix + name, "sha": sha}
        entries.append(entry | _links(repo, prefix + name, sha, ref, urls, "dir"))
    return sorted(entries, key=lambda entry: str(entry["name"]))


def _wants_raw(request: Request) -> bool:
    accept = request.headers.get("accept", "").lower()
    return any(media_type in accept for media_type in RAW_MEDIA_TYPES)


async def _contents(
    owner: str, repo: str, path: str, request: Request, store: StoreDep, urls: UrlsDep
) -> Response:
    repository = store.repo(owner, repo)
    given_ref = request.query_params.get("ref")
    tree = store.tree(repository, given_ref)
    ref = given_ref or repository.default_branch
    path = path.strip("/")
    data = tree.get(path)
    if data is not None:
        if _wants_raw(request):
            headers = {"x-github-media-type": "github.v3; param=raw"}
            return Response(data, media_type="application/vnd.github.raw", headers=headers)
        return github_json(file_entry(repository, path, data, ref, urls, content=True))
    listing = _listing(repository, tree, path, ref, urls)
    if not listing:
        raise not_found(CONTENTS_DOCS)
    return github_json(listing)


@router.get("/repos/{owner}/{repo}/contents", summary="Get repository content (the root).")
async def get_root(
    owner: str, repo: str, request: Request, store: StoreDep, urls: UrlsDep
) -> Response:
    return await _contents(owner, repo, "", request, store, urls)


@router.get("/repos/{owner}/{repo}/contents/{path:path}", summary="Get repository content.")
async def get_contents(
    owner: str, repo: str, path: str, request: Request, store: StoreDep, urls: UrlsDep
) -> Response:
    return await _contents(owner, repo, path, request, store, urls)
