"""The registry of hand-written contracts and the apps that must serve them.

Adding a service to the contract loop = its ``contracts/openapi/<name>.yaml`` + one
``ContractCase`` line here (and, for a service tested live, its fixture). A factory
takes ``settings=``; ``test_settings`` are the overrides the contract tests run with
(e.g. hangs cut short).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from schemathesis.openapi.checks import RejectedPositiveData

from backbone.jobs import KEY_REUSED

ROOT = Path(__file__).resolve().parents[2]

# The flaky service answers 5xx on purpose: its contract documents those statuses.
FLAKY_SCHEMATHESIS = """
[[operations]]
include-path = "/flaky/{key}"
checks.not_a_server_error.expected-statuses = ["2xx", "3xx", "4xx", "500", "502", "503", "504"]
"""

# A valid If-Match that names another version is refused with 412, as both contracts say.
CONDITIONAL_WRITES = """
[[operations]]
include-operation-id = [{ids}]
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "404", "409", "412"]
"""
USERS_SCHEMATHESIS = CONDITIONAL_WRITES.format(ids='"replaceUser", "updateUser", "deleteUser"')
ORDERS_SCHEMATHESIS = CONDITIONAL_WRITES.format(ids='"replaceOrder", "updateOrder", "deleteOrder"')

# A forwarded operation answers whatever the upstream answers (a 405 for HEAD on a
# resource the User Service does not serve HEAD for, a 404, a 422...): the gateway's
# contract documents them as `default: Passthrough`, so valid data may get any 4xx, and
# an upstream's 405 lists the methods the upstream serves, not those the gateway forwards.
GATEWAY_SCHEMATHESIS = """
[[operations]]
include-tag = "proxy"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "4xx"]
checks.allow_header_conformance.enabled = false
"""


# DELETE /reports/{job_id} cancels a job; the job stays, its status readable as
# "cancelled" (the issue asks for that status), so GET .../status answering 200 after the
# DELETE is right. use_after_free assumes a DELETE removes what it names; it is off for
# that one operation, for that reason alone (getReport after a DELETE is 409, checked).
REPORTS_SCHEMATHESIS = """
[[operations]]
include-operation-id = "getReportStatus"
checks.use_after_free.enabled = false
"""


def reports_keep_failure(_context: Any, failure: Any, _case: Any, response: Any) -> bool:
    """Every failure but one: a schema-valid ``POST /generate-report`` refused with the 422
    for an Idempotency-Key used before with another request. Whether a key was used is
    state no schema can describe, and schemathesis draws the same few keys ("0", ...)
    with many bodies, which the contract says is that 422; every other 422 of valid data
    is still a failure. Replays and the 422 are tested in
    tests/integration/reports/test_idempotency.py."""
    if not isinstance(failure, RejectedPositiveData) or response.status_code != 422:
        return True
    try:
        problem_type = json.loads(response.content).get("type")
    except (ValueError, AttributeError):
        return True
    return bool(problem_type != KEY_REUSED)


# POST /v1/tasks: schema-valid data is any of the three types with any of the three inputs.
# The contract documents 422 for what the schema cannot say: an `input` checked against
# its own type (an analysis needs a `dataset_id` or `"source": "orders"`), and a dataset
# id must name one of the caller's datasets. Valid tasks do come: the link from
# uploadDataset's 201 gives one. approveTask / rejectTask need no entry: a random task id
# is 404, and 409 / 422 (a plan not waiting, an id not in it) are documented.
ASSISTANT_SCHEMATHESIS = """
[generation]
with-security-parameters = false

[[operations]]
include-operation-id = "createTask"
checks.positive_data_acceptance.expected-statuses = [
    "2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"
]

[[operations]]
include-operation-id = "uploadDataset"
checks.negative_data_rejection.enabled = false

[[operations]]
include-operation-id = ["getTask", "getTaskEvents"]
checks.use_after_free.enabled = false
"""
# The bearer token comes from the auth hook as each request is sent: schemathesis is told
# not to draw an Authorization header of its own (whether it drew one depended on the
# headers the hook had set before, which Hypothesis saw as inconsistent data generation).
# Requests without a token or with a forged one: tests/integration/assistant/test_bola.py.
# DELETE /v1/tasks/{task_id} cancels a task, which stays readable as "cancelled" (the
# contract says so, as the reports' does): use_after_free, which takes a DELETE for a
# removal, is off for the two reads of a task, for that reason alone.
# A multipart form cannot carry a null: schemathesis sends a "null" name as the text
# `null`, which is a valid name, and takes the 201 for a schema-violating request
# accepted. The upload's real refusals (415, 413, 422 with a pointer) are checked in
# tests/integration/assistant/test_datasets.py; every other check stays on.

# POST /webhooks/github: schemathesis cannot sign a body with the webhook secret, so every
# delivery it makes is refused with the 401 the contract documents (nothing recorded);
# signed deliveries, valid and not, are tests/integration/review/test_webhook_api.py.
REVIEW_SCHEMATHESIS = """
[generation]
with-security-parameters = false

[[operations]]
include-operation-id = "receiveGitHubWebhook"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401"]
"""

# The CRM API's member routes all need its one token, which the auth hook puts in: told
# not to draw an Authorization header of its own (as for the review API). Requests
# without the token or with a wrong one: tests/integration/community/test_api.py.
COMMUNITY_SCHEMATHESIS = """
[generation]
with-security-parameters = false
"""


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    """A CSV file the assistant accepts: a header of distinct names, rows of integers."""
    names = draw(
        st.lists(
            st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True),
            min_size=1,
            max_size=4,
            unique=True,
        )
    )
    row = st.lists(st.integers(-(10**6), 10**6), min_size=len(names), max_size=len(names))
    rows = draw(st.lists(row, min_size=1, max_size=30))
    lines = [",".join(names), *(",".join(map(str, values)) for values in rows)]
    return ("\n".join(lines) + "\n").encode()


MEDIA_TYPES = {"text/csv": csv_files()}
"""Files of the media types a contract's uploads declare (``encoding.contentType``):
schemathesis cannot make them from a schema, so its positive uploads would all be refused."""

# The drift test builds the app without serving it: nothing connects before a request.
UNREACHABLE_STORES = {
    "database_url": "postgresql://postgres@127.0.0.1:1/none",
    "redis_url": "redis://127.0.0.1:1/0",
}


def _load(dotted: str) -> Any:
    module_name, _, attribute = dotted.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


@dataclass(frozen=True)
class ContractCase:
    """One service: its contract and the ``module:factory`` building an app that serves it."""

    name: str
    contract: str
    app_factory: str
    settings: str | None = None
    test_settings: dict[str, Any] = field(default_factory=dict)
    schemathesis_config: str = ""
    live: str | None = None
    """A fixture giving the base URL of a live instance: schemathesis calls it over HTTP
    (for services that need others running, like the gateway) instead of in-process."""
    stateful: bool = False
    """Also run schemathesis's stateful tests, which follow the contract's links."""
    bearer: str | None = None
    """A fixture giving ``token(method, path)``: schemathesis's auth provider puts the
    access token it returns in every request (``Authorization: Bearer ...``)."""
    keep_failure: Callable[[Any, Any, Any, Any], bool] | None = None
    """A ``filter_failure`` hook of the case's schema: False drops a failure, for refusals
    the contract documents but a schema cannot foresee."""

    @property
    def contract_path(self) -> Path:
        """The contract's absolute path."""
        return ROOT / self.contract

    def create_app(self) -> Any:
        """A fresh app from the factory, with the test settings when a settings class is named."""
        factory = _load(self.app_factory)
        if self.settings is None:
            return factory()
        return factory(settings=_load(self.settings)(**self.test_settings))


CONTRACTS = (
    ContractCase(
        name="flaky",
        contract="contracts/openapi/flaky.yaml",
        app_factory="backbone.mocks.flaky:create_app",
        settings="backbone.mocks.flaky.config:FlakySettings",
        test_settings={"max_hang_seconds": 0.01},
        schemathesis_config=FLAKY_SCHEMATHESIS,
    ),
    ContractCase(
        name="users",
        contract="contracts/openapi/users.yaml",
        app_factory="backbone.mocks.users:create_app",
        settings="backbone.mocks.users.config:UsersSettings",
        test_settings={"max_delay_seconds": 0.01, "max_export_pause_seconds": 0},
        schemathesis_config=USERS_SCHEMATHESIS,
    ),
    ContractCase(
        name="orders",
        contract="contracts/openapi/orders.yaml",
        app_factory="backbone.mocks.orders:create_app",
        settings="backbone.mocks.orders.config:OrdersSettings",
        schemathesis_config=ORDERS_SCHEMATHESIS,
    ),
    ContractCase(
        name="gateway",
        contract="contracts/openapi/gateway.yaml",
        app_factory="backbone.gateway:create_app",
        settings="backbone.gateway.config:GatewaySettings",
        live="live_gateway",
        schemathesis_config=GATEWAY_SCHEMATHESIS,
    ),
    ContractCase(
        name="reports",
        contract="contracts/openapi/reports.yaml",
        app_factory="backbone.reports:create_app",
        settings="backbone.reports.config:ReportsSettings",
        test_settings=UNREACHABLE_STORES,
        live="live_reports",
        stateful=True,
        schemathesis_config=REPORTS_SCHEMATHESIS,
        keep_failure=reports_keep_failure,
    ),
    ContractCase(
        name="assistant",
        contract="contracts/openapi/assistant.yaml",
        app_factory="backbone.assistant:create_app",
        settings="backbone.assistant.config:AssistantSettings",
        test_settings=UNREACHABLE_STORES,
        live="live_assistant",
        bearer="assistant_tokens",
        # No stateful run: with a live worker changing the tasks under it, schemathesis's
        # choice of an id (one a response gave, or a new one) depended on earlier answers,
        # and Hypothesis stopped about one run in five as inconsistent data generation.
        # The links' flows (upload -> 202 -> status, cancel) are integration tests:
        # tests/integration/assistant/test_tasks_api.py and test_analysis_flow.py.
        schemathesis_config=ASSISTANT_SCHEMATHESIS,
    ),
    ContractCase(
        name="review",
        contract="contracts/openapi/review.yaml",
        app_factory="backbone.review:create_app",
        settings="backbone.review.config:ReviewSettings",
        test_settings=UNREACHABLE_STORES,
        live="live_review",
        bearer="review_tokens",
        schemathesis_config=REVIEW_SCHEMATHESIS,
    ),
    ContractCase(
        name="community",
        contract="contracts/openapi/community.yaml",
        app_factory="backbone.community:create_app",
        settings="backbone.community.config:CommunitySettings",
        test_settings=UNREACHABLE_STORES,
        live="live_community",
        bearer="community_tokens",
        schemathesis_config=COMMUNITY_SCHEMATHESIS,
    ),
)
