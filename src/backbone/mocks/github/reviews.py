"""Creating a pull-request review as GitHub does: every inline comment must sit on a line
of the diff (base → the review's commit), or the whole review is refused with a 422 and
nothing is recorded."""

from __future__ import annotations

from dataclasses import dataclass

from backbone.mocks.github.errors import unprocessable
from backbone.mocks.github.gitdiff import DiffLines, FileChange, Side, diff_hunk, diff_lines
from backbone.mocks.github.schemas import ReviewBody, ReviewCommentBody
from backbone.mocks.github.store import FakeGitHub, Pull, Repository, Review, ReviewComment

STATES = {
    "APPROVE": "APPROVED",
    "REQUEST_CHANGES": "CHANGES_REQUESTED",
    "COMMENT": "COMMENTED",
    None: "PENDING",
}
NOT_IN_DIFF = "Pull request review thread line must be part of the diff"
START_NOT_IN_DIFF = "Pull request review thread start line must be part of the diff"
START_AFTER_END = "Pull request review thread start line must precede the end line"
BAD_POSITION = "Pull request review thread position is invalid"
NO_PATH = "Path could not be resolved"


def _placed(comment: ReviewCommentBody, lines: DiffLines) -> tuple[Side, int, int]:
    """The side, line and position ``comment`` goes on; a 422 unless the diff shows it."""
    if comment.line is None and comment.position is not None:
        placed = lines.line_at(comment.position)
        if placed is None:
            raise unprocessable(BAD_POSITION)
        return *placed, comment.position
    side: Side = comment.side or "RIGHT"
    position = None if comment.line is None else lines.position_of(side, comment.line)
    if comment.line is None or position is None:
        raise unprocessable(NOT_IN_DIFF)
    if comment.start_line is not None:
        start_side: Side = comment.start_side or side
        if not lines.contains(start_side, comment.start_line):
            raise unprocessable(START_NOT_IN_DIFF)
        if comment.start_line >= comment.line and start_side == side:
            raise unprocessable(START_AFTER_END)
    return side, comment.line, position


@dataclass(frozen=True, slots=True)
class _Placement:
    """An inline comment checked against the diff, not recorded yet."""

    comment: ReviewCommentBody
    side: Side
    line: int
    start_side: Side | None
    position: int
    diff_hunk: str


def _place(comment: ReviewCommentBody, changes: dict[str, FileChange]) -> _Placement:
    """Where ``comment`` goes; a 422 unless its path and lines are in the diff."""
    change = changes.get(comment.path)
    if change is None or change.patch is None:
        raise unprocessable(NO_PATH)
    lines = diff_lines(change.patch)
    side, line, position = _placed(comment, lines)
    start_side = (comment.start_side or side) if comment.start_line is not None else None
    hunk = diff_hunk(change.patch, position)
    return _Placement(comment, side, line, start_side, position, hunk)


def _check_review(
    store: FakeGitHub, repo: Repository, pull: Pull, body: ReviewBody, author: str
) -> str:
    """The commit the review is on; a 422 for what GitHub refuses before the comments."""
    commit_id = body.commit_id or pull.head_sha
    if commit_id not in pull.heads:
        raise unprocessable(f"No commit found for SHA: {commit_id}")
    if body.event == "REQUEST_CHANGES" and not body.body:
        raise unprocessable("Review body is required when requesting changes")
    if body.event == "COMMENT" and not body.body and not body.comments:
        raise unprocessable("Review body or comments are required for a COMMENT review")
    if body.event is None and any(
        r.state == "PENDING" and r.author == author
        for r in store.reviews_of(repo.full_name, pull.number)
    ):
        raise unprocessable("User can only have one pending review per pull request")
    return commit_id


def create_review(
    store: FakeGitHub, repo: Repository, pull: Pull, body: ReviewBody, *, author: str | None = None
) -> Review:
    """Record the review and its inline comments by ``author`` (the bot login by
    default), all or nothing."""
    author = author or store.bot_login
    commit_id = _check_review(store, repo, pull, body, author)
    changes = {change.filename: change for change in store.changes(repo, pull, commit_id)}
    placements = [_place(comment, changes) for comment in body.comments]
    at = store.now()
    state = STATES[body.event]
    review = Review(
        id=store.new_id(),
        repo=repo.full_name,
        number=pull.number,
        body=body.body or "",
        state=state,
        commit_id=commit_id,
        author=author,
        submitted_at=None if state == "PENDING" else at,
    )
    store.reviews[review.id] = review
    for placed in placements:
        comment = ReviewComment(
            id=store.new_id(),
            review_id=review.id,
            repo=repo.full_name,
            number=pull.number,
            path=placed.comment.path,
            body=placed.comment.body,
            commit_id=commit_id,
            line=placed.line,
            side=placed.side,
            start_line=placed.comment.start_line,
            start_side=placed.start_side,
            position=placed.position,
            diff_hunk=placed.diff_hunk,
            author=author,
            created_at=at,
        )
        store.review_comments[comment.id] = comment
    return review
