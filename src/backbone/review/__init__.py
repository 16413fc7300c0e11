"""backbone.review: the code-review agent (port 8003).

A GitHub webhook delivery is verified on its raw bytes, recorded and queued on the jobs
layer (:mod:`backbone.review.routes`); a worker (:mod:`backbone.review.handler`) reads
the pull request through one GitHub client (:mod:`backbone.review.github`), runs ruff
on the changed Python files, lets the "Expert Code Reviewer" crew explain the findings,
and posts one marked comment on the pull request, edited on every new head.
"""

from backbone.review.main import create_app

__all__ = ["create_app"]
