"""Every registered service serves its hand-written contract: no drift, and schemathesis
finds nothing with every default check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from tests.integration.contracts import CONTRACTS, MEDIA_TYPES, ContractCase

HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
MAX_EXAMPLES = 50

Operation = tuple[str, str]


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local ``$ref`` (``#/components/...``) to the object it names."""
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _operations(document: dict[str, Any]) -> dict[Operation, dict[str, Any]]:
    """``(path, method)`` → its parameters ``{(name, in): required}`` and response codes."""
    operations: dict[Operation, dict[str, Any]] = {}
    for path, item in document.get("paths", {}).items():
        shared = [_resolve(document, p) for p in item.get("parameters", [])]
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            parameters = {(p["name"], p["in"]): bool(p.get("required")) for p in shared}
            for parameter in operation.get("parameters", []):
                p = _resolve(document, parameter)
                parameters[(p["name"], p["in"])] = bool(p.get("required"))
            operations[(path, method)] = {
                "parameters": parameters,
                "responses": set(map(str, operation.get("responses", {}))),
            }
    return operations


@pytest.fixture(params=CONTRACTS, ids=lambda case: case.name)
def contract_case(request: pytest.FixtureRequest) -> ContractCase:
    """One registered service."""
    case: ContractCase = request.param
    return case


@pytest.fixture
def documents(contract_case: ContractCase) -> tuple[dict[str, Any], dict[str, Any]]:
    """The hand-written contract and the app's generated OpenAPI document."""
    contract = yaml.safe_load(contract_case.contract_path.read_text(encoding="utf-8"))
    generated = contract_case.create_app().openapi()
    return contract, generated


def test_same_operations(documents: tuple[dict[str, Any], dict[str, Any]]) -> None:
    """The app serves exactly the contract's paths and methods (operations included)."""
    contract, generated = documents
    assert set(_operations(generated)) == set(_operations(contract))


def test_same_parameters(documents: tuple[dict[str, Any], dict[str, Any]]) -> None:
    """Each operation takes the same parameters (name, location, required) as the contract."""
    contract, generated = documents
    expected, actual = _operations(contract), _operations(generated)
    for operation in expected.keys() & actual.keys():
        assert actual[operation]["parameters"] == expected[operation]["parameters"], operation


def test_same_response_statuses(documents: tuple[dict[str, Any], dict[str, Any]]) -> None:
    """Each operation documents the same response status codes as the contract."""
    contract, generated = documents
    expected, actual = _operations(contract), _operations(generated)
    for operation in expected.keys() & actual.keys():
        assert actual[operation]["responses"] == expected[operation]["responses"], operation


def test_drift_comparison_sees_a_difference(
    documents: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    """The comparison is not vacuous: removing one response code is noticed."""
    contract, _ = documents
    operations = _operations(contract)
    path, method = next(iter(operations))
    first_status = next(iter(contract["paths"][path][method]["responses"]))
    del contract["paths"][path][method]["responses"][first_status]
    assert (
        _operations(contract)[(path, method)]["responses"]
        != operations[(path, method)]["responses"]
    )


class BearerToken(requests.auth.AuthBase):
    """A schema's auth provider (``schema.auth.set_from_requests``): the access token its
    case's fixture gives for the request, put in as the request is sent — asked then, not
    when the case is generated, since the coverage phase builds its cases at collection,
    before any fixture runs."""

    def __init__(self) -> None:
        self.token: Callable[[str, str], str] | None = None

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if self.token is None:
            raise RuntimeError("no access token: the test did not ask for its case's fixture")
        path = urlsplit(request.url or "").path
        request.headers["Authorization"] = f"Bearer {self.token(request.method or '', path)}"
        return request


BEARERS: dict[str, BearerToken] = {}
"""The auth provider of each case that has one, by name."""


def _schema(contract_case: ContractCase) -> Any:
    """The HAND-WRITTEN contract, loaded by schemathesis, aimed at the app in-process
    (or, for a live case, at the URL its fixture gives, when the test runs)."""
    config = SchemathesisConfig.from_str(contract_case.schemathesis_config)
    schema = schemathesis.openapi.from_path(contract_case.contract_path, config=config)
    if contract_case.live is None:
        schema.app = contract_case.create_app()
    if contract_case.bearer is not None:
        schema.auth.set_from_requests(BEARERS.setdefault(contract_case.name, BearerToken()))
    if contract_case.keep_failure is not None:
        schema.hooks.register_hook_with_name(contract_case.keep_failure, "filter_failure")
    return schema


for _media_type, _files in MEDIA_TYPES.items():
    schemathesis.openapi.media_type(_media_type, _files)

# Built at import: schemathesis generates one subtest per operation of each schema.
# (`schemathesis.pytest.from_fixture` would be lazier but breaks on pytest 9's nodes.)
SCHEMAS = {case.name: _schema(case) for case in CONTRACTS}
# Keyed by the contract's location: the schema object a test case carries may be a copy.
BY_LOCATION = {SCHEMAS[case.name].location: case for case in CONTRACTS}


def _serve(contract_case: ContractCase, request: pytest.FixtureRequest) -> str | None:
    """The live instance's base URL (None for an in-process app); the case's access
    token handed to its auth provider."""
    if contract_case.bearer is not None:
        BEARERS[contract_case.name].token = request.getfixturevalue(contract_case.bearer)
    return request.getfixturevalue(contract_case.live) if contract_case.live else None


@schemathesis.pytest.parametrize(**SCHEMAS)
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_schemathesis(case: Any, request: pytest.FixtureRequest) -> None:
    """Generated requests, valid and invalid, get answers the contract allows (all checks)."""
    base_url = _serve(BY_LOCATION[case.operation.schema.location], request)
    if base_url is None:
        case.call_and_validate()
    else:
        case.call_and_validate(base_url=base_url)


@pytest.mark.parametrize(
    "stateful_case", [c for c in CONTRACTS if c.stateful], ids=lambda case: case.name
)
def test_schemathesis_stateful(stateful_case: ContractCase, request: pytest.FixtureRequest) -> None:
    """Sequences following the contract's links get answers it allows (all checks)."""
    schema = SCHEMAS[stateful_case.name]
    base_url = _serve(stateful_case, request)

    class Links(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": base_url} if base_url else {}

    Links.run(
        settings=settings(
            max_examples=MAX_EXAMPLES,
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
