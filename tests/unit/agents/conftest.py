"""Fixtures of the agents tests: CrewAI's files in a temporary directory, no network."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from backbone.agents import (
    AgentSettings,
    AgentSpec,
    CrewSpec,
    Step,
    TaskSpec,
    ToolSpec,
    configure_crewai,
)


@pytest.fixture(scope="session", autouse=True)
def crewai_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """CrewAI's storage, settings and credentials under a temporary data directory."""
    data_dir = tmp_path_factory.mktemp("agents-data")
    configure_crewai(data_dir=data_dir)
    return data_dir


def _is_loopback(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) else None
    if host is None:
        return True  # a Unix socket (asyncio's self-pipe): not the network
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Any connection to a non-loopback address fails the test (and is recorded)."""
    attempts: list[Any] = []
    original = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        if not _is_loopback(address):
            attempts.append(address)
            raise OSError(f"test tried to reach the network: {address!r}")
        return original(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    yield attempts
    assert attempts == [], f"non-loopback connections attempted: {attempts}"


@pytest.fixture(autouse=True)
def no_provider_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys and endpoints of the developer's shell do not leak into the tests."""
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_BASE", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name in ("MODEL", "BASE_URL", "API_KEY", "TIMEOUT", "MAX_RETRIES", "MAX_ITERATIONS"):
        monkeypatch.delenv(f"BACKBONE_LLM_{name}", raising=False)


class Numbers(BaseModel):
    """Arguments of the test tools."""

    values: list[int]
    label: str = ""


class Counter:
    """Tool functions that remember their calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Numbers]] = []

    def total(self, args: Numbers) -> dict[str, Any]:
        self.calls.append(("total", args))
        return {"total": sum(args.values), "label": args.label}

    def biggest(self, args: Numbers) -> dict[str, Any]:
        self.calls.append(("biggest", args))
        return {"max": max(args.values)}

    def secret(self, args: Numbers) -> str:
        self.calls.append(("secret", args))
        return "the vault is open"

    def broken(self, args: Numbers) -> None:
        self.calls.append(("broken", args))
        raise ZeroDivisionError("division by zero in the tool")


@pytest.fixture
def counter() -> Counter:
    """Fresh tool functions."""
    return Counter()


def tool(name: str, func: Callable[[Numbers], Any]) -> ToolSpec:
    """A ToolSpec over ``func`` with the :class:`Numbers` schema."""
    return ToolSpec(
        name=name, description=f"The {name} of some numbers.", args_schema=Numbers, func=func
    )


def crew(*tools: ToolSpec) -> CrewSpec:
    """A crew with one analyst whose task mentions ``{subject}``."""
    return CrewSpec(
        agent=AgentSpec(role="Analyst", goal="Describe numbers.", backstory="Careful."),
        task=TaskSpec(description="Describe {subject}.", expected_output="A sentence."),
        tools=tools,
    )


def compose(steps: Sequence[Step]) -> str:
    """The test composer: each step's tool and output, in order."""
    return " | ".join(f"{step.tool}={step.output}" for step in steps)


@pytest.fixture
def local() -> AgentSettings:
    """Settings of the offline engine."""
    return AgentSettings(model="local")
