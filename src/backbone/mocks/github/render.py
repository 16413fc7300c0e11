"""GitHub's JSON for the fake's records: the REST API's shapes, field for field where the
review (or a webhook consumer) could read them.

API URLs (``url``, ``contents_url``, pagination links...) point at the fake itself, so a
client that follows them stays on it; ``html_url`` links point at the configured web
host (``https://github.com`` by default), as GitHub's do.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from backbone.mocks.github.gitdiff import FileChange
from backbone.mocks.github.store import (
    IssueComment,
    Pull,
    Repository,
    Review,
    ReviewComment,
)

Json = dict[str, Any]

INSTALLATION_PERMISSIONS = {
    "contents": "read",
    "issues": "write",
    "metadata": "read",
    "pull_requests": "write",
}


@dataclass(frozen=True, slots=True)
class Urls:
    """Where the API (this fake) and the web pages live, without trailing slashes."""

    api: str
    web: str

    def repo_api(self, repo: Repository) -> str:
        return f"{self.api}/repos/{repo.full_name}"

    def repo_web(self, repo: Repository) -> str:
        return f"{self.web}/{repo.full_name}"


def timestamp(at: datetime | None) -> str | None:
    """GitHub's ISO 8601 form, in UTC: ``2026-01-01T00:00:00Z``."""
    return None if at is None else at.strftime("%Y-%m-%dT%H:%M:%SZ")


def account_id(login: str) -> int:
    """A stable numeric id per login (GitHub's accounts have one)."""
    return int(hashlib.sha1(login.lower().encode(), usedforsecurity=False).hexdigest()[:7], 16)


def node_id(kind: str, number: int) -> str:
    return base64.b64encode(f"0:{kind}{number}".encode()).decode()


def user(login: str, urls: Urls, kind: str | None = None) -> Json:
    """A user, organization or bot account (``[bot]`` logins are bots)."""
    kind = kind or ("Bot" if login.endswith("[bot]") else "User")
    uid = account_id(login)
    slug = login.removesuffix("[bot]")
    return {
        "login": login,
        "id": uid,
        "node_id": node_id(kind, uid),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{uid}?v=4",
        "gravatar_id": "",
        "url": f"{urls.api}/users/{quote(login)}",
        "html_url": f"{urls.web}/apps/{slug}" if kind == "Bot" else f"{urls.web}/{login}",
        "type": kind,
        "site_admin": False,
    }


def repository(repo: Repository, urls: Urls) -> Json:
    api, web = urls.repo_api(repo), urls.repo_web(repo)
    return {
        "id": repo.id,
        "node_id": node_id("Repository", repo.id),
        "name": repo.name,
        "full_name": repo.full_name,
        "private": False,
        "owner": user(repo.owner, urls),
        "html_url": web,
        "description": None,
        "fork": False,
        "url": api,
        "pulls_url": f"{api}/pulls{{/number}}",
        "issues_url": f"{api}/issues{{/number}}",
        "issue_comment_url": f"{api}/issues/comments{{/number}}",
        "contents_url": f"{api}/contents/{{+path}}",
        "compare_url": f"{api}/compare/{{base}}...{{head}}",
        "clone_url": f"{web}.git",
        "default_branch": repo.default_branch,
        "visibility": "public",
        "archived": False,
        "disabled": False,
    }


def _branch(repo: Repository, ref: str, sha: str, urls: Urls) -> Json:
    return {
        "label": f"{repo.owner}:{ref}",
        "ref": ref,
        "sha": sha,
        "user": user(repo.owner, urls),
        "repo": repository(repo, urls),
    }


def association(repo: Repository, login: str) -> str:
    return "OWNER" if login.lower() == repo.owner.lower() else "CONTRIBUTOR"


def _pull_urls(repo: Repository, pull: Pull, urls: Urls) -> Json:
    """A pull request's URL fields and ``_links``."""
    api = f"{urls.repo_api(repo)}/pulls/{pull.number}"
    web = f"{urls.repo_web(repo)}/pull/{pull.number}"
    issue = f"{urls.repo_api(repo)}/issues/{pull.number}"
    statuses = f"{urls.repo_api(repo)}/statuses/{pull.head_sha}"
    links = {"self": api, "html": web, "issue": issue, "comments": f"{issue}/comments"}
    links |= {"review_comments": f"{api}/comments", "commits": f"{api}/commits"}
    links |= {"statuses": statuses}
    return {
        "url": api,
        "html_url": web,
        "diff_url": f"{web}.diff",
        "patch_url": f"{web}.patch",
        "issue_url": issue,
        "commits_url": f"{api}/commits",
        "review_comments_url": f"{api}/comments",
        "review_comment_url": f"{urls.repo_api(repo)}/pulls/comments{{/number}}",
        "comments_url": f"{issue}/comments",
        "statuses_url": statuses,
        "_links": {name: {"href": href} for name, href in links.items()},
    }


def _unmerged() -> Json:
    """The fields of an open, unmerged, unassigned pull request with no labels."""
    return {
        "locked": False,
        "labels": [],
        "milestone": None,
        "active_lock_reason": None,
        "merged_at": None,
        "merge_commit_sha": None,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "auto_merge": None,
        "merged": False,
        "mergeable": True,
        "rebaseable": True,
        "mergeable_state": "clean",
        "merged_by": None,
        "maintainer_can_modify": False,
    }


def pull_request(
    repo: Repository,
    pull: Pull,
    changes: list[FileChange],
    urls: Urls,
    *,
    comments: int = 0,
    review_comments: int = 0,
) -> Json:
    """``GET /repos/{owner}/{repo}/pulls/{number}``."""
    return {
        "id": pull.id,
        "node_id": node_id("PullRequest", pull.id),
        "number": pull.number,
        "state": pull.state,
        "title": pull.title,
        "user": user(pull.author, urls, pull.author_type),
        "body": pull.body,
        "created_at": timestamp(pull.created_at),
        "updated_at": timestamp(pull.updated_at),
        "closed_at": timestamp(pull.updated_at) if pull.state == "closed" else None,
        "draft": pull.draft,
        "head": _branch(repo, pull.head_ref, pull.head_sha, urls),
        "base": _branch(repo, pull.base_ref, pull.base_sha, urls),
        "author_association": association(repo, pull.author),
        "comments": comments,
        "review_comments": review_comments,
        "commits": len(pull.heads),
        "additions": sum(change.additions for change in changes),
        "deletions": sum(change.deletions for change in changes),
        "changed_files": len(changes),
        **_pull_urls(repo, pull, urls),
        **_unmerged(),
    }


def pull_file(repo: Repository, pull: Pull, change: FileChange, urls: Urls) -> Json:
    """One entry of ``GET /repos/{owner}/{repo}/pulls/{number}/files``."""
    path, head = quote(change.filename), pull.head_sha
    entry: Json = {
        "sha": change.sha,
        "filename": change.filename,
        "status": change.status,
        "additions": change.additions,
        "deletions": change.deletions,
        "changes": change.changes,
        "blob_url": f"{urls.repo_web(repo)}/blob/{head}/{path}",
        "raw_url": f"{urls.repo_web(repo)}/raw/{head}/{path}",
        "contents_url": f"{urls.repo_api(repo)}/contents/{path}?ref={head}",
    }
    if change.patch is not None:
        entry["patch"] = change.patch
    return entry


def issue_comment(repo: Repository, comment: IssueComment, urls: Urls) -> Json:
    """An issue comment (on a pull request's conversation)."""
    web = f"{urls.repo_web(repo)}/pull/{comment.number}#issuecomment-{comment.id}"
    return {
        "url": f"{urls.repo_api(repo)}/issues/comments/{comment.id}",
        "html_url": web,
        "issue_url": f"{urls.repo_api(repo)}/issues/{comment.number}",
        "id": comment.id,
        "node_id": node_id("IssueComment", comment.id),
        "user": user(comment.author, urls),
        "created_at": timestamp(comment.created_at),
        "updated_at": timestamp(comment.updated_at),
        "author_association": "NONE",
        "body": comment.body,
        "performed_via_github_app": None,
    }


def review(repo: Repository, record: Review, urls: Urls) -> Json:
    """A pull-request review."""
    pull_api = f"{urls.repo_api(repo)}/pulls/{record.number}"
    web = f"{urls.repo_web(repo)}/pull/{record.number}#pullrequestreview-{record.id}"
    body: Json = {
        "id": record.id,
        "node_id": node_id("PullRequestReview", record.id),
        "user": user(record.author, urls),
        "body": record.body,
        "state": record.state,
        "html_url": web,
        "pull_request_url": pull_api,
        "author_association": "NONE",
        "_links": {"html": {"href": web}, "pull_request": {"href": pull_api}},
        "commit_id": record.commit_id,
    }
    if record.submitted_at is not None:
        body["submitted_at"] = timestamp(record.submitted_at)
    return body


def review_comment(repo: Repository, comment: ReviewComment, urls: Urls) -> Json:
    """An inline review comment."""
    pull_api = f"{urls.repo_api(repo)}/pulls/{comment.number}"
    api = f"{urls.repo_api(repo)}/pulls/comments/{comment.id}"
    web = f"{urls.repo_web(repo)}/pull/{comment.number}#discussion_r{comment.id}"
    links = {"self": {"href": api}, "html": {"href": web}, "pull_request": {"href": pull_api}}
    return {
        "url": api,
        "pull_request_review_id": comment.review_id,
        "id": comment.id,
        "node_id": node_id("PullRequestReviewComment", comment.id),
        "diff_hunk": comment.diff_hunk,
        "path": comment.path,
        "position": comment.position,
        "original_position": comment.position,
        "commit_id": comment.commit_id,
        "original_commit_id": comment.commit_id,
        "user": user(comment.author, urls),
        "body": comment.body,
        "created_at": timestamp(comment.created_at),
        "updated_at": timestamp(comment.created_at),
        "html_url": web,
        "pull_request_url": pull_api,
        "author_association": "NONE",
        "_links": links,
        "start_line": comment.start_line,
        "original_start_line": comment.start_line,
        "start_side": comment.start_side,
        "line": comment.line,
        "original_line": comment.line,
        "side": comment.side,
        "subject_type": "line",
    }


def github_app(urls: Urls, *, app_id: int, slug: str) -> Json:
    """``GET /app``: the App a JWT authenticates (its installations write as
    ``{slug}[bot]``)."""
    return {
        "id": app_id,
        "slug": slug,
        "node_id": node_id("Integration", app_id),
        "owner": None,
        "name": slug,
        "description": "The fake GitHub's App.",
        "external_url": f"{urls.web}/apps/{slug}",
        "html_url": f"{urls.web}/apps/{slug}",
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
        "permissions": INSTALLATION_PERMISSIONS,
        "events": ["pull_request"],
        "installations_count": 1,
    }


def installation(
    repo: Repository, urls: Urls, *, installation_id: int, app_id: int, app_slug: str
) -> Json:
    """``GET /repos/{owner}/{repo}/installation``: the App's one installation."""
    return {
        "id": installation_id,
        "account": user(repo.owner, urls),
        "repository_selection": "all",
        "access_tokens_url": f"{urls.api}/app/installations/{installation_id}/access_tokens",
        "repositories_url": f"{urls.api}/installation/repositories",
        "html_url": f"{urls.web}/settings/installations/{installation_id}",
        "app_id": app_id,
        "app_slug": app_slug,
        "target_id": account_id(repo.owner),
        "target_type": "User",
        "permissions": INSTALLATION_PERMISSIONS,
        "events": ["pull_request"],
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
        "single_file_name": None,
        "suspended_at": None,
    }
