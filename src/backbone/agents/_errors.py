"""The agents layer's errors (the tree is drawn in the package's docstring)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from backbone.agents._specs import Step

__all__ = [
    "AgentsError",
    "CrewConfigError",
    "LLMBadResponse",
    "LLMConfigError",
    "LLMError",
    "LLMUnavailable",
    "ToolFailed",
]


class AgentsError(Exception):
    """Every error the agents layer raises."""


class CrewConfigError(AgentsError):
    """A crew's specification or its YAML is wrong (a missing key, an unknown placeholder)."""


class LLMError(AgentsError):
    """The language model could not be used for the task."""


class LLMConfigError(LLMError):
    """The model is misconfigured: unknown provider, missing or refused key, unknown model."""


class LLMUnavailable(LLMError):
    """The model server did not answer usefully in time: unreachable, 429, 5xx, timeout."""


class LLMBadResponse(LLMError):
    """The model server answered with something that is not a usable completion."""


class ToolFailed(AgentsError):
    """A tool raised, or the model asked for a tool outside the task's allow-list.

    ``step`` is the failed :class:`Step` when one of the task's tools ran and raised.
    """

    def __init__(self, message: str, *, step: Step | None = None) -> None:
        super().__init__(message)
        self.step = step
